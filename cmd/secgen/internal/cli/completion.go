package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/project"
)

// Shell completion. Every flag that takes a value has a completion
// function (TestEveryFlagCompletes fails otherwise): the values of a
// closed set (formats, conflict policies), the names of a discoverable one
// (blueprints, components and --set keys of the catalog the command line
// names, named catalogs, tags the cache knows), files or directories for
// paths, and explicitly nothing for free text. A completion never uses the
// network and loads only the catalog the command line names.

// completionFunc is cobra's signature for dynamic completions.
type completionFunc = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// completeWords completes a flag from a fixed list of values.
func completeWords(words ...string) completionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNothing is the completion of free text (an author, a
// fingerprint, a glob): no value to offer, and no file names either.
func completeNothing(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeDirs completes directory names.
func completeDirs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// completeFiles completes file names.
func completeFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}

// completeYAMLFiles completes YAML file names (and directories to them).
func completeYAMLFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeComponents completes add's argument with the component names
// of the project's catalog.
func completeComponents(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	_, components, err := completionNames(cmd, args)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return components, cobra.ShellCompDirectiveNoFileComp
}

// completeBlueprints completes a flag with blueprint names.
func completeBlueprints(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	blueprints, _, err := completionNames(cmd, args)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return blueprints, cobra.ShellCompDirectiveNoFileComp
}

// completionNames are the blueprint and component names of the catalog a
// completion reads; those of the built-in catalog come from its file names
// alone, without loading it.
func completionNames(cmd *cobra.Command, args []string) (blueprints, components []string, err error) {
	if builtinCompletion(cmd, args) {
		return builtin.BlueprintNames(), builtin.ComponentNames(), nil
	}
	cat, err := completionCatalog(cmd, args)
	if err != nil {
		return nil, nil, err
	}
	return cat.BlueprintNames(), cat.ComponentNames(), nil
}

// builtinCompletion reports whether a completion reads the built-in
// catalog: no --catalog, no NAME/ENTRY argument, and no project around
// for a project verb.
func builtinCompletion(cmd *cobra.Command, args []string) bool {
	if flagValue(cmd, "catalog") != "" {
		return false
	}
	if len(args) > 0 && (cmd.Name() == "new" || cmd.Name() == "show") && strings.Contains(args[0], "/") {
		return false
	}
	switch cmd.Name() {
	case "add", "update", "check", "audit":
		_, found, err := project.Locate(flagValue(cmd, "directory"))
		return err == nil && !found
	}
	return true
}

// completeEntry completes a [CATALOG/]ENTRY argument: the entries of the
// catalog --catalog names (the built-in one by default) and NAME/ for
// each named catalog; after NAME/, the entries of that catalog alone,
// from the cache. components adds component names to blueprint names
// (show).
func completeEntry(components bool) func(*cobra.Command, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, toComplete string) ([]string, cobra.ShellCompDirective) {
		names := func(blueprints, comps []string, prefix string) []string {
			out := prefixed(prefix, blueprints)
			if components {
				out = append(out, prefixed(prefix, comps)...)
			}
			return out
		}
		if name, _, ok := strings.Cut(toComplete, "/"); ok {
			c, err := completionResolver().Named(completionContext(cmd), name)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return names(c.Catalog.BlueprintNames(), c.Catalog.ComponentNames(), name+"/"), cobra.ShellCompDirectiveNoFileComp
		}
		bps, comps, err := completionNames(cmd, nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := names(bps, comps, "")
		directive := cobra.ShellCompDirectiveNoFileComp
		if flagValue(cmd, "catalog") != "" {
			return out, directive // NAME/ENTRY and --catalog exclude each other
		}
		for _, n := range namedCatalogNames() {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n+"/")
				directive |= cobra.ShellCompDirectiveNoSpace
			}
		}
		return out, directive
	}
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// namedCatalogNames are the names of the user's named catalogs.
func namedCatalogNames() []string {
	_, f, err := completionResolver().Catalogs()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(f.Catalogs))
	for _, e := range f.Catalogs {
		names = append(names, e.Name)
	}
	return names
}

// completeCatalogName completes the NAME of catalog update and remove.
func completeCatalogName(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return namedCatalogNames(), cobra.ShellCompDirectiveNoFileComp
}

// completeCatalogSource completes --catalog: builtin (where the command
// reads a catalog of its own choice) and each named catalog's source at
// its ref, else directories. A value that starts like a path completes
// directories only.
func completeCatalogSource(builtinToo bool) completionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if strings.HasPrefix(toComplete, ".") || strings.HasPrefix(toComplete, "/") || strings.HasPrefix(toComplete, "~") {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
		var out []string
		if builtinToo && strings.HasPrefix(catsource.BuiltinName, toComplete) {
			out = append(out, catsource.BuiltinName+"\tthe catalog built into secgen")
		}
		if _, f, err := completionResolver().Catalogs(); err == nil {
			for _, e := range f.Catalogs {
				source := displaySource(e.Source)
				if e.Ref != "" {
					source += "@" + e.Ref
				}
				if strings.HasPrefix(source, toComplete) {
					out = append(out, source+"\tnamed catalog "+e.Name)
				}
			}
		}
		if len(out) == 0 {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTags completes a ref with the tags the cache knows for the git
// catalog source returns (none for a directory or the built-in catalog).
func completeTags(source func(cmd *cobra.Command, args []string) string) completionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		src := source(cmd, args)
		if src == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		spec, err := catsource.Parse(src, "")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return (&catsource.Opener{Offline: true}).CachedTags(spec), cobra.ShellCompDirectiveNoFileComp
	}
}

// sourceArg is catalog add's SOURCE argument (without an @REF).
func sourceArg(_ *cobra.Command, args []string) string {
	if len(args) < 2 {
		return ""
	}
	return args[1]
}

// catalogArg is the git source of lint's and test's CATALOG argument: a
// URL, or a named catalog's source.
func catalogArg(cmd *cobra.Command, args []string) string {
	if len(args) < 1 {
		return ""
	}
	if src := namedSource(cmd, args); src != "" {
		return src
	}
	return args[0]
}

// namedSource is the source of the named catalog catalog update names.
func namedSource(_ *cobra.Command, args []string) string {
	if len(args) < 1 {
		return ""
	}
	if _, f, err := completionResolver().Catalogs(); err == nil {
		if e, ok := f.Find(args[0]); ok {
			return e.Source
		}
	}
	return ""
}

// projectSource is the catalog source the project of -C (or the working
// directory) records.
func projectSource(cmd *cobra.Command, _ []string) string {
	root, found, err := project.Locate(flagValue(cmd, "directory"))
	if err != nil || !found {
		return ""
	}
	m, err := project.ReadManifest(root)
	if err != nil {
		return ""
	}
	return m.Catalog.Source
}

// setScope names the components whose questions --set may answer for a
// command line so far; nil means every component of the catalog.
type setScope func(cmd *cobra.Command, args []string, cat *catalog.Catalog) []string

// blueprintScope scopes --set to the blueprint named by the first argument
// (new, as [CATALOG/]BLUEPRINT) or by the --blueprint flag (init).
func blueprintScope(cmd *cobra.Command, args []string, cat *catalog.Catalog) []string {
	name := flagValue(cmd, "blueprint")
	if len(args) > 0 {
		_, name = project.SplitEntry(args[0])
	}
	if bp, err := cat.Blueprint(name); err == nil {
		return bp.Components
	}
	return nil
}

// componentScope scopes --set to the component named by the first argument (add).
func componentScope(_ *cobra.Command, args []string, cat *catalog.Catalog) []string {
	if len(args) > 0 && cat.HasComponent(args[0]) {
		return []string{args[0]}
	}
	return nil
}

// componentsFlagScope scopes --set to the components --components lists
// (audit), known to the catalog.
func componentsFlagScope(cmd *cobra.Command, _ []string, cat *catalog.Catalog) []string {
	var out []string
	for _, n := range strings.Split(flagValue(cmd, "components"), ",") {
		if n = strings.TrimSpace(n); cat.HasComponent(n) {
			out = append(out, n)
		}
	}
	return out
}

// projectComponents scopes --set to the components the project of -C (or
// the working directory) records (update), known to the catalog; outside
// a project, to every component.
func projectComponents(cmd *cobra.Command, _ []string, cat *catalog.Catalog) []string {
	root, found, err := project.Locate(flagValue(cmd, "directory"))
	if err != nil || !found {
		return nil
	}
	m, err := project.ReadManifest(root)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range m.Components {
		if cat.HasComponent(c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// completeSet completes --set: question keys followed by "=" (no space
// after them), then, after "KEY=", the choices of an enum or a bool. Only
// the catalog the command line names is opened, and only the components
// scope names are loaded (an embedded catalog loads a component when it is
// first asked for) and their questions offered.
func completeSet(scope setScope) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cat, err := completionCatalog(cmd, args)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var components []string
		if scope != nil {
			components = scope(cmd, args, cat)
		}
		if components == nil {
			components = cat.ComponentNames()
		}
		qs, err := cat.Questions(components)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if key, _, ok := strings.Cut(toComplete, "="); ok {
			for _, q := range qs {
				if q.Name == key {
					return valueCompletions(q, key), cobra.ShellCompDirectiveNoFileComp
				}
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := make([]string, 0, len(qs))
		for _, q := range qs {
			if strings.HasPrefix(q.Name, toComplete) {
				out = append(out, q.Name+"=\t"+q.Prompt)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// valueCompletions are the values a question can take, when they are few.
func valueCompletions(q answers.Asked, key string) []string {
	var values []string
	switch q.Type {
	case answers.Enum:
		values = q.Choices
	case answers.Bool:
		values = []string{"true", "false"}
	}
	out := make([]string, 0, len(values))
	for _, v := range values {
		out = append(out, key+"="+v)
	}
	return out
}

// completionResolver opens catalogs for completion: from the cache only.
func completionResolver() *project.Resolver { return resolver(true) }

// completionCatalog is the catalog a completion reads, from the cache
// only: inside a project (add, update, check, audit), the project's
// recorded catalog; for new and show, the named catalog of a NAME/ENTRY
// argument or --catalog; else the built-in one.
func completionCatalog(cmd *cobra.Command, args []string) (*catalog.Catalog, error) {
	ctx := completionContext(cmd)
	switch cmd.Name() {
	case "add", "update", "check", "audit":
		dir := flagValue(cmd, "directory")
		if _, found, err := project.Locate(dir); err == nil && found {
			src := ProjectSource{Offline: true, Catalog: flagValue(cmd, "catalog")}
			if p, err := openProject(ctx, dir, src, project.Recorded, false); err == nil {
				return p.Catalog.Catalog, nil
			}
		}
	}
	entry := ""
	if len(args) > 0 && (cmd.Name() == "new" || cmd.Name() == "show") {
		entry = args[0]
	}
	c, _, err := completionResolver().Entry(ctx, entry, flagValue(cmd, "catalog"), nil)
	if err != nil {
		return nil, err
	}
	return c.Catalog, nil
}

func completionContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// flagValue is the value of cmd's flag name so far, "" when it has none.
func flagValue(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// conflictValues are the --conflict policies add and update accept (the
// same, engine.ConflictPolicies), each command's default first.
var conflictValues = map[string][]string{
	"add":    {"fail", "skip", "new", "mark"},
	"update": {"mark", "fail", "skip", "new"},
}

// completeComponentList completes a comma-separated list of component
// names (audit --components): the names not listed yet, after the ones
// already typed.
func completeComponentList(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, prefix := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, prefix = toComplete[:i+1], toComplete[i+1:]
	}
	_, components, err := completionNames(cmd, args)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	listed := strings.Split(done, ",")
	var out []string
	for _, n := range components {
		if strings.HasPrefix(n, prefix) && !slices.Contains(listed, n) {
			out = append(out, done+n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeWithout completes new --without: the blueprint's components not
// left out yet.
func completeWithout(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	cat, err := completionCatalog(cmd, args)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var without []string
	if f := cmd.Flags().Lookup("without"); f != nil {
		if v, ok := f.Value.(pflag.SliceValue); ok {
			without = v.GetSlice()
		}
	}
	var out []string
	for _, c := range blueprintScope(cmd, args, cat) {
		if !slices.Contains(without, c) {
			out = append(out, c)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// registerCompletions attaches the completion functions of the flags a
// command has that depend on it: the scope of --set and the formats of
// -o/--output. Every other flag is completed by its name (flagCompletions).
func registerCompletions(cmd *cobra.Command, scope setScope, outputs ...string) {
	register := func(flag string, f completionFunc) {
		if cmd.Flags().Lookup(flag) != nil {
			// The only error is an unknown flag, excluded above.
			_ = cmd.RegisterFlagCompletionFunc(flag, f)
		}
	}
	register("set", completeSet(scope))
	if len(outputs) > 0 {
		register("output", completeWords(outputs...))
	}
}

// flagCompletions complete the flags that mean the same on every command
// that has them, by name.
func flagCompletions(cmd *cobra.Command) map[string]completionFunc {
	return map[string]completionFunc{
		"conflict":  completeWords(conflictValues[cmd.Name()]...),
		"blueprint": completeBlueprints,
		"directory": completeDirs,
		// new, list and show choose their catalog, builtin included; a
		// project verb reads the project's catalog from another place.
		"catalog":       completeCatalogSource(cmd.Name() == "new" || cmd.Name() == "list" || cmd.Name() == "show"),
		"catalog-ref":   completeTags(projectSource),
		"components":    completeComponentList,
		"without":       completeWithout,
		"answers":       completeYAMLFiles,
		"config":        completeYAMLFiles,
		"baseline":      completeYAMLFiles,
		"base-manifest": completeYAMLFiles,
		"keyring":       completeFiles,
		"sign-key":      completeFiles,
		"output-file":   completeFiles,
		"git-author":    completeNothing,
		"accept-signer": completeNothing,
		"exclude":       completeNothing,
	}
}

// commandCompletions are the completions that differ per command: its
// arguments, and flags whose values depend on it.
var commandCompletions = map[string]struct {
	args  func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)
	flags map[string]completionFunc
}{
	"secgen new": {args: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return completeDirs(cmd, args, toComplete)
		}
		return completeEntry(false)(cmd, toComplete)
	}},
	"secgen show": {args: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return completeNothing(cmd, args, toComplete)
		}
		return completeEntry(true)(cmd, toComplete)
	}},
	"secgen add":            {args: completeComponents},
	"secgen audit":          {args: argsDirs(1)},
	"secgen lint":           {args: argsDirs(1), flags: map[string]completionFunc{"output": completeWords("text", "json"), "ref": completeTags(catalogArg)}},
	"secgen test":           {args: argsDirs(1), flags: map[string]completionFunc{"output": completeWords("text", "json"), "ref": completeTags(catalogArg)}},
	"secgen catalog list":   {args: completeNothing, flags: map[string]completionFunc{"output": completeWords("table", "json")}},
	"secgen catalog update": {args: completeCatalogName, flags: map[string]completionFunc{"ref": completeTags(namedSource)}},
	"secgen catalog remove": {args: completeCatalogName},
	"secgen catalog add": {args: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 1 {
			return completeDirs(cmd, args, toComplete) // SOURCE: a directory, or a URL typed out
		}
		return completeNothing(cmd, args, toComplete) // NAME is new
	}, flags: map[string]completionFunc{"ref": completeTags(sourceArg)}},
}

// argsDirs completes up to n arguments with directory names.
func argsDirs(n int) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= n {
			return completeNothing(cmd, args, toComplete)
		}
		return completeDirs(cmd, args, toComplete)
	}
}

// registerAll completes every command of root: its arguments (nothing for
// a command that takes none) and each flag that takes a value and has no
// completion yet, per command, then by the flag's name.
func registerAll(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		per := commandCompletions[cmd.CommandPath()]
		if cmd.ValidArgsFunction == nil && len(cmd.ValidArgs) == 0 {
			if per.args != nil {
				cmd.ValidArgsFunction = per.args
			} else if !cmd.HasSubCommands() {
				cmd.ValidArgsFunction = completeNothing
			}
		}
		byName := flagCompletions(cmd)
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if _, done := cmd.GetFlagCompletionFunc(f.Name); done {
				return
			}
			fn, ok := per.flags[f.Name]
			if !ok {
				fn, ok = byName[f.Name]
			}
			if ok {
				_ = cmd.RegisterFlagCompletionFunc(f.Name, fn)
			}
		})
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
}

package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/project"
)

// completionFunc is cobra's signature for dynamic completions.
type completionFunc = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// completeWords completes a flag from a fixed list of values.
func completeWords(words ...string) completionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeComponents completes the first argument with component names.
func completeComponents(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if cat, ok := recordedCatalog(cmd); ok {
		return cat.ComponentNames(), cobra.ShellCompDirectiveNoFileComp
	}
	// The built-in catalog's names, from its directory names alone: no
	// catalog is loaded to list them.
	return builtin.ComponentNames(), cobra.ShellCompDirectiveNoFileComp
}

// completeBlueprints completes a flag with blueprint names.
func completeBlueprints(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return blueprintNames(), cobra.ShellCompDirectiveNoFileComp
}

// setScope names the components whose questions --set may answer for a
// command line so far; nil means every component of the catalog.
type setScope func(cmd *cobra.Command, args []string, cat *catalog.Catalog) []string

// blueprintScope scopes --set to the blueprint named by the first argument
// (new) or by the --blueprint flag (init).
func blueprintScope(cmd *cobra.Command, args []string, cat *catalog.Catalog) []string {
	name := ""
	if len(args) > 0 {
		name = args[0]
	} else if f := cmd.Flags().Lookup("blueprint"); f != nil {
		name = f.Value.String()
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

// completeSet completes --set: question keys followed by "=" (no space
// after them), then, after "KEY=", the choices of an enum or a bool.
func completeSet(scope setScope) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cat, err := completionCatalog(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		components := scope(cmd, args, cat)
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

// completionContext is the command's context, which cobra leaves nil
// during completion.
// completionCatalog is the catalog a completion reads: for add and update
// inside a project, the project's recorded catalog from the cache (a
// completion never uses the network), else the built-in one.
func completionCatalog(cmd *cobra.Command) (*catalog.Catalog, error) {
	if cat, ok := recordedCatalog(cmd); ok {
		return cat, nil
	}
	return loadCatalog(completionContext(cmd))
}

// recordedCatalog is, for add and update inside a project, the project's
// recorded catalog from the cache; ok is false elsewhere.
func recordedCatalog(cmd *cobra.Command) (cat *catalog.Catalog, ok bool) {
	if cmd.Name() != "add" && cmd.Name() != "update" {
		return nil, false
	}
	dir := ""
	if f := cmd.Flags().Lookup("directory"); f != nil {
		dir = f.Value.String()
	}
	if _, found, err := project.Locate(dir); err != nil || !found {
		return nil, false
	}
	p, err := openProject(completionContext(cmd), dir, ProjectSource{Offline: true}, project.Recorded, false)
	if err != nil {
		return nil, false
	}
	return p.Catalog.Catalog, true
}

func completionContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
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
func completeComponentList(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, prefix := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, prefix = toComplete[:i+1], toComplete[i+1:]
	}
	listed := strings.Split(done, ",")
	var out []string
	for _, n := range builtin.ComponentNames() {
		if strings.HasPrefix(n, prefix) && !slices.Contains(listed, n) {
			out = append(out, done+n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// registerCompletions attaches the completion functions of the flags a
// command has; a flag it lacks is skipped.
func registerCompletions(cmd *cobra.Command, scope setScope, outputs ...string) {
	register := func(flag string, f completionFunc) {
		if cmd.Flags().Lookup(flag) != nil {
			// The only error is an unknown flag, excluded above.
			_ = cmd.RegisterFlagCompletionFunc(flag, f)
		}
	}
	register("set", completeSet(scope))
	if values, ok := conflictValues[cmd.Name()]; ok {
		register("conflict", completeWords(values...))
	}
	register("blueprint", completeBlueprints)
	dirs := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}
	register("directory", dirs)
	register("catalog", dirs) // a catalog directory, where the command has --catalog
	if len(outputs) > 0 {
		register("output", completeWords(outputs...))
	}
}

// anyComponent scopes --set to every component (update, whose project's
// components are not known to completion).
func anyComponent(*cobra.Command, []string, *catalog.Catalog) []string { return nil }

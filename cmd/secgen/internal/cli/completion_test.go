package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// completed is what cobra's hidden __complete command prints for one
// command line: the candidates (without descriptions) and the directive.
type completed struct {
	values    []string
	directive cobra.ShellCompDirective
}

func complete(t *testing.T, args ...string) completed {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, args...))
	if err := root.Execute(); err != nil {
		t.Fatalf("__complete %q: %v (%s)", args, err, errOut.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	var c completed
	if _, err := fmt.Sscanf(last, ":%d", &c.directive); err != nil {
		t.Fatalf("__complete %q: no directive in %q", args, out.String())
	}
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		c.values = append(c.values, v)
	}
	return c
}

// flagged is every command of the tree with each flag that takes a value
// (a bool flag is complete as it is), as "PATH --FLAG".
func flagged(root *cobra.Command) map[string]*cobra.Command {
	out := map[string]*cobra.Command{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "bool" && f.Name != "help" {
				out[cmd.CommandPath()+" --"+f.Name] = cmd
			}
		})
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
	return out
}

// TestEveryFlagCompletes fails when a flag that takes a value has no
// completion function, or a command no completion of its arguments: the
// shell would offer file names for a format, a policy or a key.
func TestEveryFlagCompletes(t *testing.T) {
	root := NewRoot(&IO{})
	for key, cmd := range flagged(root) {
		name := key[strings.LastIndex(key, "--")+2:]
		if _, ok := cmd.GetFlagCompletionFunc(name); !ok {
			t.Errorf("%s has no completion function", key)
		}
	}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		if !cmd.HasSubCommands() && cmd.ValidArgsFunction == nil && len(cmd.ValidArgs) == 0 {
			t.Errorf("%s does not complete its arguments", cmd.CommandPath())
		}
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
}

// flagWant is what completing one flag of one command must give: every
// value of values (exactly them with exact), and the directive.
type flagWant struct {
	args      []string // the arguments before the flag
	values    []string
	exact     bool
	directive cobra.ShellCompDirective
}

const (
	noFiles = cobra.ShellCompDirectiveNoFileComp
	noSpace = cobra.ShellCompDirectiveNoSpace
	dirs    = cobra.ShellCompDirectiveFilterDirs
	exts    = cobra.ShellCompDirectiveFilterFileExt
	files   = cobra.ShellCompDirectiveDefault
)

// TestCompletionPerCommandAndFlag completes every flag of every command
// through __complete, as a shell does, and fails for a flag the table does
// not cover: a new flag needs its completion decided.
func TestCompletionPerCommandAndFlag(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no named catalogs
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Chdir(t.TempDir()) // not in a project
	text := flagWant{values: []string{"text", "json"}, exact: true, directive: noFiles}
	table := flagWant{values: []string{"table", "json"}, exact: true, directive: noFiles}
	yaml := flagWant{values: []string{"yaml", "yml"}, exact: true, directive: exts}
	file := flagWant{exact: true, directive: files}
	dir := flagWant{exact: true, directive: dirs}
	free := flagWant{exact: true, directive: noFiles}
	catalogOwn := flagWant{values: []string{"builtin"}, exact: true, directive: noFiles}
	catalogProject := dir // no named catalog to offer: directories
	tags := free          // no tag in the cache
	set := func(args []string, keys ...string) flagWant {
		return flagWant{args: args, values: keys, directive: noFiles | noSpace}
	}
	want := map[string]flagWant{
		"secgen new --answers":       yaml,
		"secgen new --catalog":       catalogOwn,
		"secgen new --git-author":    free,
		"secgen new --keyring":       file,
		"secgen new --output":        text,
		"secgen new --set":           set([]string{"go-service"}, "name=", "database=", "replicas="),
		"secgen new --sign-key":      file,
		"secgen new --without":       {args: []string{"go-service"}, values: []string{"k8s", "terraform-aws", "github-actions", "backstage"}, directive: noFiles},
		"secgen add --accept-signer": free,
		"secgen add --answers":       yaml,
		"secgen add --catalog":       catalogProject,
		"secgen add --conflict":      {values: []string{"fail", "skip", "new", "mark"}, exact: true, directive: noFiles},
		"secgen add --directory":     dir,
		"secgen add --keyring":       file,
		"secgen add --output":        text,
		"secgen add --set":           set([]string{"k8s"}, "namespace=", "mesh="),

		"secgen update --accept-signer": free,
		"secgen update --answers":       yaml,
		"secgen update --catalog":       catalogProject,
		"secgen update --catalog-ref":   tags,
		"secgen update --conflict":      {values: []string{"mark", "fail", "skip", "new"}, exact: true, directive: noFiles},
		"secgen update --directory":     dir,
		"secgen update --keyring":       file,
		"secgen update --output":        text,
		"secgen update --set":           set(nil, "name=", "replicas="),

		"secgen init --answers":   yaml,
		"secgen init --blueprint": {values: []string{"go-service", "terraform-module"}, exact: true, directive: noFiles},
		"secgen init --directory": dir,
		"secgen init --output":    text,
		"secgen init --set":       set(nil, "name="),

		"secgen list --catalog": catalogOwn,
		"secgen list --keyring": file,
		"secgen list --output":  table,
		"secgen show --catalog": catalogOwn,
		"secgen show --keyring": file,
		"secgen show --output":  text,

		"secgen catalog add --keyring":          file,
		"secgen catalog add --ref":              {args: []string{"acme", "https://git.example.com/c"}, exact: true, directive: noFiles},
		"secgen catalog list --output":          table,
		"secgen catalog update --accept-signer": free,
		"secgen catalog update --keyring":       file,
		"secgen catalog update --ref":           {args: []string{"acme"}, exact: true, directive: noFiles},
		"secgen lint --output":                  text,
		"secgen test --output":                  text,
		"secgen lint --keyring":                 file,
		"secgen lint --ref":                     {args: []string{"https://git.example.com/c"}, exact: true, directive: noFiles},
		"secgen test --keyring":                 file,
		"secgen test --ref":                     {args: []string{"acme"}, exact: true, directive: noFiles},
		"secgen check --accept-signer":          free,
		"secgen check --catalog":                catalogProject,
		"secgen check --directory":              dir,
		"secgen check --keyring":                file,
		"secgen check --output":                 text,
		"secgen audit --accept-signer":          free,
		"secgen audit --base-manifest":          yaml,
		"secgen audit --baseline":               yaml,
		"secgen audit --catalog":                catalogProject,
		"secgen audit --components":             {values: []string{"k8s", "go-service", "github-actions"}, directive: noFiles | noSpace},
		"secgen audit --config":                 yaml,
		"secgen audit --directory":              dir,
		"secgen audit --exclude":                free,
		"secgen audit --keyring":                file,
		"secgen audit --output":                 {values: []string{"text", "json", "sarif"}, exact: true, directive: noFiles},
		"secgen audit --output-file":            file,
		"secgen audit --set":                    set(nil, "database_port=", "oidc_issuer="),
		"secgen version --output":               text,
	}
	have := flagged(NewRoot(&IO{}))
	for key := range have {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: the table does not say what it completes", key)
		}
	}
	for key, w := range want {
		if _, ok := have[key]; !ok {
			t.Errorf("%s: no such flag taking a value", key)
			continue
		}
		words := strings.Fields(key)
		flag := words[len(words)-1]
		args := append(append(append([]string(nil), words[1:len(words)-1]...), w.args...), flag, "")
		got := complete(t, args...)
		if got.directive != w.directive {
			t.Errorf("%s: directive %d, want %d", key, got.directive, w.directive)
		}
		if w.exact && !slices.Equal(got.values, w.values) {
			t.Errorf("%s: completes %q, want exactly %q", key, got.values, w.values)
		}
		for _, v := range w.values {
			if !slices.Contains(got.values, v) {
				t.Errorf("%s: completes %q, want %q among them", key, got.values, v)
			}
		}
	}
}

// Arguments complete per command, and a command without arguments offers
// no file names.
func TestCompletionOfArguments(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args      []string
		values    []string
		directive cobra.ShellCompDirective
	}{
		{[]string{"new", ""}, []string{"go-service", "terraform-module"}, noFiles},
		{[]string{"new", "go-service", ""}, nil, dirs},
		{[]string{"show", ""}, []string{"go-service", "terraform-module", "backstage", "github-actions", "go-service", "k8s", "terraform-aws"}, noFiles},
		{[]string{"add", ""}, []string{"backstage", "github-actions", "go-service", "k8s", "terraform-aws"}, noFiles},
		{[]string{"audit", ""}, nil, dirs},
		{[]string{"lint", ""}, nil, dirs},
		{[]string{"test", ""}, nil, dirs},
		{[]string{"check", ""}, nil, noFiles},
		{[]string{"update", ""}, nil, noFiles},
		{[]string{"list", ""}, nil, noFiles},
		{[]string{"version", ""}, nil, noFiles},
		{[]string{"init", ""}, nil, noFiles},
		{[]string{"catalog", "update", ""}, nil, noFiles},
		{[]string{"catalog", "remove", ""}, nil, noFiles},
		{[]string{"catalog", "add", ""}, nil, noFiles},
		{[]string{"catalog", "add", "acme", ""}, nil, dirs},
		{[]string{"catalog", "list", ""}, nil, noFiles},
	} {
		got := complete(t, tc.args...)
		if got.directive != tc.directive || !slices.Equal(got.values, tc.values) {
			t.Errorf("__complete %q = %q :%d, want %q :%d", tc.args, got.values, got.directive, tc.values, tc.directive)
		}
	}
}

// Inside a project, update --set offers the questions of the project's
// components only: not those of a component the project leaves out.
func TestUpdateSetCompletesTheProjectsQuestions(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "svc")
	var out bytes.Buffer
	streams := &IO{In: strings.NewReader(""), Out: &out, Err: &out}
	if code := Main(context.Background(), []string{"new", "go-service", dir, "--no-git", "--no-input", "--without", "k8s", "--without", "terraform-aws", "--without", "github-actions", "--without", "backstage"}, streams); code != ExitOK {
		t.Fatalf("new: exit %d\n%s", code, out.String())
	}
	keys := complete(t, "update", "-C", dir, "--set", "").values
	if !slices.Contains(keys, "name=") {
		t.Errorf("update --set offers %q, without go-service's name=", keys)
	}
	if slices.Contains(keys, "namespace=") {
		t.Errorf("update --set offers k8s's namespace= in a project without k8s: %q", keys)
	}
	outside := complete(t, "update", "-C", t.TempDir(), "--set", "").values
	if !slices.Contains(outside, "namespace=") {
		t.Errorf("outside a project, update --set offers %q, without k8s's namespace=", outside)
	}
}

package cli

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// repoRoot is the repository's root, relative to this package.
const repoRoot = "../../../.."

// verbs lists every command a user can run, with its full path.
func verbs(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if !s.IsAvailableCommand() || s.Name() == "help" || s.Name() == "completion" {
				continue
			}
			out = append(out, s)
			walk(s)
		}
	}
	walk(root)
	return out
}

// TestEveryVerbHasExamples: every verb's help ends with an example block,
// and every example names only commands and flags that exist.
func TestEveryVerbHasExamples(t *testing.T) {
	t.Parallel()
	root := NewRoot(System())
	for _, c := range verbs(root) {
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no example in its help", c.CommandPath())
			continue
		}
		for _, line := range strings.Split(c.Example, "\n") {
			for _, p := range phantoms(root, line, true) {
				t.Errorf("%s: example %q: %s", c.CommandPath(), strings.TrimSpace(line), p)
			}
		}
	}
}

// TestDocsNameNoPhantoms: every secgen command line in the README,
// CONTRIBUTING.md, docs/ and the generated files (the golden trees: CI
// workflows, READMEs, Makefiles) names a command that exists, with flags
// that command has.
func TestDocsNameNoPhantoms(t *testing.T) {
	t.Parallel()
	root := NewRoot(System())
	root.InitDefaultCompletionCmd() // cobra adds it when it executes
	var files []string
	for _, p := range []string{"README.md", "CONTRIBUTING.md"} {
		files = append(files, filepath.Join(repoRoot, p))
	}
	docs, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	files = append(files, docs...)
	trees, _ := filepath.Glob(filepath.Join(repoRoot, "goldens", "*", "*", "tree"))
	for _, tree := range trees {
		_ = filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(trees) == 0 || len(docs) == 0 {
		t.Fatal("no golden trees or docs found")
	}
	checked := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		markdown := strings.HasSuffix(name, ".md")
		fenced, shell, console := false, false, false
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			var code []string
			strict := markdown
			switch {
			case !markdown:
				code = []string{line}
			case strings.HasPrefix(strings.TrimSpace(line), "```"):
				fenced = !fenced
				lang := strings.TrimPrefix(strings.TrimSpace(line), "```")
				shell = lang == "" || lang == "sh" || lang == "bash" || lang == "shell"
				console = lang == "console"
				continue
			case fenced && console:
				// A session: commands after "$ ", the rest is output.
				if cmdline, ok := strings.CutPrefix(line, "$ "); ok {
					code = []string{cmdline}
				}
			case fenced:
				code, strict = []string{line}, shell
			default:
				for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
					code = append(code, m[1])
				}
			}
			for _, c := range code {
				if commandLine.MatchString(c) {
					checked++
				}
				// In generated files and YAML only known verbs are checked (a
				// comment may say "secgen that generated..."); in Markdown's
				// shell code every "secgen WORD" must be a verb.
				for _, p := range phantoms(root, c, strict) {
					rel, _ := filepath.Rel(repoRoot, name)
					t.Errorf("%s:%d: %s", rel, n, p)
				}
			}
		}
		f.Close()
	}
	if checked < 50 {
		t.Errorf("only %d secgen command lines found; the scan is broken", checked)
	}
}

var (
	inlineCode = regexp.MustCompile("`([^`]+)`")
	// commandLine finds "secgen VERB REST": secgen as a word (or the last
	// element of a path ending in /bin/secgen), optionally closing a quote.
	commandLine = regexp.MustCompile(`(?:^|[\s"'(\[]|/bin/)secgen"?[ \t]+([a-z][a-z-]*)([^\n|;#)'"]*)`)
	flagToken   = regexp.MustCompile(`(?:^|[\s\[])(--?[A-Za-z][A-Za-z0-9-]*)`)
)

// phantoms returns what is wrong with the secgen command lines in text:
// an unknown verb (when strict) or a flag the command does not have.
func phantoms(root *cobra.Command, text string, strict bool) []string {
	var out []string
	for _, m := range commandLine.FindAllStringSubmatch(text, -1) {
		words := strings.Fields(m[1] + m[2])
		cmd := root
		i := 0
		for ; i < len(words); i++ {
			sub, _, err := cmd.Find([]string{words[i]})
			if err != nil || sub == cmd {
				break
			}
			cmd = sub
		}
		if cmd == root {
			if strict && !strings.HasPrefix(words[0], "-") {
				out = append(out, "secgen has no command "+words[0])
			}
			continue
		}
		rest := strings.Join(words[i:], " ")
		for _, f := range flagToken.FindAllStringSubmatch(rest, -1) {
			flag := f[1]
			var ok bool
			if name, long := strings.CutPrefix(flag, "--"); long {
				ok = cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil
			} else {
				ok = len(flag) == 2 && (cmd.Flags().ShorthandLookup(flag[1:]) != nil || cmd.InheritedFlags().ShorthandLookup(flag[1:]) != nil)
			}
			if !ok {
				out = append(out, cmd.CommandPath()+" has no flag "+flag)
			}
		}
	}
	return out
}

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/cmd/secgen/internal/prompt"
	"github.com/secgen/secgen/generator/answers"
)

type scriptedPrompter struct {
	replies []string
	asked   []answers.Prompt
}

func (p *scriptedPrompter) Ask(_ context.Context, q answers.Prompt) (string, error) {
	p.asked = append(p.asked, q)
	if len(p.replies) == 0 {
		return "", nil // accept the default
	}
	r := p.replies[0]
	p.replies = p.replies[1:]
	return r, nil
}

func testIO(tty bool, p answers.Prompter) (*IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IO{In: strings.NewReader(""), Out: &out, Err: &errOut, InTTY: tty, OutTTY: tty, Prompter: p}, &out, &errOut
}

func TestPromptsOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	p := &scriptedPrompter{replies: []string{"Not A Label", "shop"}}
	streams, out, _ := testIO(true, p)
	target := filepath.Join(t.TempDir(), "shop")
	code := Main(context.Background(), []string{"new", "go-service", target, "--no-git"}, streams)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if len(p.asked) < 2 || p.asked[0].Name != "name" || p.asked[1].Problem == "" {
		t.Fatalf("prompts = %+v; an invalid entry must be re-asked with its reason", p.asked)
	}
	if !strings.Contains(out.String(), "Created") {
		t.Fatalf("stdout = %q", out)
	}

	for _, args := range [][]string{
		{"new", "go-service", filepath.Join(t.TempDir(), "a"), "--no-git"},               // not a terminal
		{"new", "go-service", filepath.Join(t.TempDir(), "b"), "--no-git", "--no-input"}, // input disabled
	} {
		p := &scriptedPrompter{}
		streams, _, _ := testIO(args[len(args)-1] == "--no-input", p)
		if code := Main(context.Background(), args, streams); code != ExitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		if len(p.asked) != 0 {
			t.Fatalf("%v: prompted %d times", args, len(p.asked))
		}
	}
}

func TestFlagsFillOptions(t *testing.T) {
	t.Parallel()
	var got *NewOptions
	cmd := newNewCmd(&IO{}, func(_ context.Context, o *NewOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"go-service", "dir", "--set", "a=1", "--set", "b=x,y", "--answers", "f.yaml", "--no-input", "--dry-run", "--no-git", "-o", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Blueprint != "go-service" || got.Dir != "dir" || len(got.Set) != 2 || got.Set[1] != "b=x,y" ||
		got.AnswersFile != "f.yaml" || !got.NoInput || !got.DryRun || !got.NoGit || got.Output != "json" {
		t.Fatalf("options = %+v", got)
	}
}

func TestErrorsAreOneLineWithExitCodes(t *testing.T) {
	t.Parallel()
	streams, _, errOut := testIO(false, nil)
	code := Main(context.Background(), []string{"new", "go-service", t.TempDir(), "--set", "description=a\nb", "--set", "port=x"}, streams)
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	if strings.Count(errOut.String(), "\n") != 1 || !strings.HasPrefix(errOut.String(), "secgen: ") {
		t.Fatalf("stderr = %q, want one line", errOut)
	}
}

// TestPromptsWhenOnlyStdinIsATerminal: `secgen new ... | tee log` still asks,
// and `--answers -` (standard input holds the answers) never does.
func TestPromptsWhenOnlyStdinIsATerminal(t *testing.T) {
	t.Parallel()
	p := &scriptedPrompter{replies: []string{"shop"}}
	streams, _, _ := testIO(true, p)
	streams.OutTTY = false
	if code := Main(context.Background(), []string{"new", "go-service", filepath.Join(t.TempDir(), "shop"), "--no-git"}, streams); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if len(p.asked) == 0 {
		t.Fatal("standard output piped: nothing was asked")
	}

	p = &scriptedPrompter{}
	streams, _, _ = testIO(true, p)
	streams.In = strings.NewReader("name: piped\n")
	target := filepath.Join(t.TempDir(), "piped")
	if code := Main(context.Background(), []string{"new", "go-service", target, "--no-git", "--answers", "-"}, streams); code != ExitOK {
		t.Fatalf("--answers -: exit %d", code)
	}
	if len(p.asked) != 0 {
		t.Fatalf("--answers -: prompted %d times", len(p.asked))
	}
	data, err := os.ReadFile(filepath.Join(target, ".secgen.yaml"))
	if err != nil || !strings.Contains(string(data), "\n  name: piped\n") {
		t.Fatalf("the answers from standard input were not used: %v\n%s", err, data)
	}
}

// TestInterruptExits130: an interrupted prompt ends secgen with the shell's
// code for SIGINT and writes nothing.
func TestInterruptExits130(t *testing.T) {
	t.Parallel()
	streams, _, errOut := testIO(true, interrupting{})
	target := filepath.Join(t.TempDir(), "shop")
	if code := Main(context.Background(), []string{"new", "go-service", target, "--no-git"}, streams); code != ExitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitInterrupted, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("the target exists after an interrupt: %v", err)
	}
}

type interrupting struct{}

func (interrupting) Ask(context.Context, answers.Prompt) (string, error) {
	return "", prompt.ErrInterrupted
}

package tty

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// secgen is the binary under test, built once by TestMain.
var secgen string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secgen-tty-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	secgen = filepath.Join(dir, "secgen")
	build := exec.Command("go", "build", "-o", secgen, "./cmd/secgen")
	build.Dir = filepath.Join("..", "..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build secgen:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// terminal is the far end of a pseudo-terminal running secgen: it records
// the output, answers the terminal queries survey sends (cursor position)
// as a terminal emulator would, and types answers only when survey is
// ready to read them.
//
// One goroutine (the test's, in converse) does all of the writing, in the
// order of what secgen wrote, so the bytes secgen reads arrive in an order
// the test decides: never an answer behind a cursor report survey has not
// read yet (survey's cursor-position reader discards whatever follows the
// report in the same read), never before survey has put the terminal in raw
// mode (the line discipline would echo it, or turn Ctrl-C into a signal).
type terminal struct {
	pty    *os.File
	cmd    *exec.Cmd
	chunks chan []byte // what secgen wrote, in order; closed at end of file
	exited chan struct{}
	err    error

	out     []byte // everything secgen wrote so far
	scanned int    // out[:scanned] holds no cursor query not yet answered
}

// start runs secgen with args in dir on a new pseudo-terminal. The
// environment is cleared but for PATH and HOME so no user config leaks in.
func start(t *testing.T, dir string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(secgen, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm"}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 250})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{pty: f, cmd: cmd, chunks: make(chan []byte, 64), exited: make(chan struct{})}
	go term.read()
	go func() {
		term.err = cmd.Wait()
		close(term.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-term.exited:
		default:
			_ = cmd.Process.Kill()
			<-term.exited
		}
		for range term.chunks { // the reader ends once the terminal is closed on secgen's side
		}
		f.Close()
	})
	return term
}

// read forwards what secgen writes until the terminal's other side is
// closed (secgen exited).
func (term *terminal) read() {
	defer close(term.chunks)
	for {
		buf := make([]byte, 4096)
		n, err := term.pty.Read(buf)
		if n > 0 {
			term.chunks <- buf[:n]
		}
		if err != nil {
			return
		}
	}
}

// output is everything secgen wrote; complete once converse returned.
func (term *terminal) output() []byte { return term.out }

var (
	cursorQuery  = []byte("\x1b[6n")
	cursorReport = []byte("\x1b[1;1R")
)

// A prompt line as survey draws it: the bold message, then either a hint
// ("[? for help]", "(default)", "[Use arrows...]": the question is being
// asked) or the answer in cyan (the question is answered).
var promptLine = regexp.MustCompile("\x1b\\[1;99m([^\x1b]*)\x1b\\[0m( ?)(\x1b\\[36m)?(.)?")

type event struct {
	msg      string
	answered bool
	end      int
}

// events parses the prompt lines of out from offset from; an event at the
// very end (its hint not yet drawn) is left for the next call.
func events(out []byte, from int) []event {
	var evs []event
	for _, m := range promptLine.FindAllSubmatchIndex(out[from:], -1) {
		if m[9] < 0 { // the character after the message is not there yet
			break
		}
		e := event{msg: strings.TrimSpace(string(out[from+m[2] : from+m[3]])), end: from + m[1]}
		// Answered: the message, then the answer in cyan right away (a
		// hint starts with "[" or comes after two spaces).
		e.answered = m[6] >= 0 && out[from+m[8]] != '[' && m[5]-m[4] <= 1
		evs = append(evs, e)
	}
	return evs
}

// conversation is the state of converse: which prompts were asked, which
// one is waiting for the answer the test decided, and that answer.
type conversation struct {
	reply   func(msg string, n int) string
	asked   []string
	seen    map[string]int
	pos     int    // out[:pos] holds no prompt line not yet handled
	current string // the prompt answered last, until survey shows it taken or asks again
	pending []byte // the answer to type as soon as survey reads the terminal
}

// prompts handles the prompt lines drawn in out[:upto].
func (c *conversation) prompts(out []byte, upto int) {
	for _, e := range events(out[:upto], c.pos) {
		c.pos = e.end
		switch {
		case c.current != "" && e.msg == c.current && e.answered:
			c.current = "" // the answer was taken
		case c.current != "" && e.msg == c.current && !e.answered:
			c.current = "" // asked again (after help or an invalid entry)
			fallthrough
		case c.current == "" && !e.answered:
			c.asked = append(c.asked, e.msg)
			c.pending = []byte(c.reply(e.msg, c.seen[e.msg]))
			c.seen[e.msg]++
			c.current = e.msg
		}
	}
}

// converse answers each prompt with reply(message, times asked before) until
// secgen exits, and returns the prompts in the order they were asked.
//
// An answer is typed in one of two moments, whichever comes first after its
// prompt is drawn: with the reply to survey's first cursor-position query
// (Input and Confirm send it once the terminal is in raw mode, and keep
// what precedes the report), or once the terminal is seen in raw mode
// before any query was answered (Select sends none). The only wait is on
// the terminal's mode, polled; the deadline is for a real hang.
func (term *terminal) converse(t *testing.T, reply func(msg string, n int) string) []string {
	t.Helper()
	c := &conversation{reply: reply, seen: map[string]int{}}
	deadline := time.NewTimer(3 * time.Minute)
	defer deadline.Stop()
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case chunk, ok := <-term.chunks:
			if !ok {
				<-term.exited
				return c.asked
			}
			term.out = append(term.out, chunk...)
			term.handle(t, c)
		case <-poll.C:
			if c.pending == nil {
				continue
			}
			raw, err := rawMode(term.pty)
			if err != nil {
				t.Fatalf("terminal mode: %v", err)
			}
			if raw {
				term.write(t, c.pending)
				c.pending = nil
			}
		case <-deadline.C:
			t.Fatalf("secgen did not finish; asked %q; output:\n%q", c.asked, term.out)
		}
	}
}

// handle answers the cursor queries and the prompts in the new output, in
// the order secgen wrote them.
func (term *terminal) handle(t *testing.T, c *conversation) {
	t.Helper()
	for {
		i := bytes.Index(term.out[term.scanned:], cursorQuery)
		if i < 0 {
			// A query split across reads is found next time.
			term.scanned = max(term.scanned, len(term.out)-len(cursorQuery)+1)
			break
		}
		q := term.scanned + i
		c.prompts(term.out, q)
		term.write(t, append(c.pending, cursorReport...))
		c.pending = nil
		term.scanned = q + len(cursorQuery)
	}
	c.prompts(term.out, len(term.out))
}

func (term *terminal) write(t *testing.T, b []byte) {
	t.Helper()
	if _, err := term.pty.Write(b); err != nil {
		t.Fatalf("type %q: %v", b, err)
	}
}

// exitCode waits for secgen and returns its exit code.
func (term *terminal) exitCode(t *testing.T) int {
	t.Helper()
	<-term.exited
	var exit *exec.ExitError
	if errors.As(term.err, &exit) {
		return exit.ExitCode()
	}
	if term.err != nil {
		t.Fatal(term.err)
	}
	return 0
}

// text is the output without escape sequences, for plain assertions.
func (term *terminal) text() string {
	return ansi.ReplaceAllString(string(term.output()), "")
}

var ansi = regexp.MustCompile("\x1b(\\[[0-9;?]*[A-Za-z]|[78])")

const enter = "\r"

func TestDefaultPathAsksAtMostTwelve(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git")
	asked := term.converse(t, func(string, int) string { return enter })
	if code := term.exitCode(t); code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, term.text())
	}
	want := []string{
		"Service name", "Go module path", "One-line description", "HTTP port the service listens on", "Database",
		"Customize Authentication settings?", "Customize AWS settings?", "Customize Kubernetes settings?",
		"Customize CI settings?", "Customize Backstage settings?",
	}
	// Then the review, which is not a question.
	if len(asked) == 0 || !strings.HasPrefix(asked[len(asked)-1], "Write ") {
		t.Fatalf("the last prompt was not the review: %q", asked)
	}
	asked = asked[:len(asked)-1]
	if strings.Join(asked, "|") != strings.Join(want, "|") {
		t.Errorf("asked:\n  %q\nwant:\n  %q", asked, want)
	}
	if len(asked) > 12 {
		t.Errorf("the default path asked %d questions, want at most 12", len(asked))
	}
	if _, err := os.Stat(filepath.Join(dir, "shop", ".secgen.yaml")); err != nil {
		t.Fatalf("no project: %v", err)
	}
	if !strings.Contains(term.text(), "Before you deploy") {
		t.Errorf("the summary has no \"Before you deploy\" list:\n%s", term.text())
	}
}

// customizeKubernetes answers the Database question with db and opens the
// Kubernetes section; everything else keeps its default.
func customizeKubernetes(db string) func(string, int) string {
	return func(msg string, _ int) string {
		switch msg {
		case "Database":
			return db + enter // typing filters the choices
		case "Customize Kubernetes settings?":
			return "y" + enter
		}
		return enter
	}
}

func TestConditionHidesTheDatabasePort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		db   string
		want bool
	}{{"none", false}, {"postgres", true}} {
		t.Run(tc.db, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			term := start(t, dir, "new", "go-service", "shop", "--no-git")
			asked := term.converse(t, customizeKubernetes(tc.db))
			if code := term.exitCode(t); code != 0 {
				t.Fatalf("database=%s: exit %d; output:\n%s", tc.db, code, term.text())
			}
			got := strings.Contains(strings.Join(asked, "|"), "|Database port|")
			if got != tc.want || !strings.Contains(strings.Join(asked, "|"), "|Kubernetes namespace prefix|") {
				t.Errorf("database=%s: Database port asked = %v, want %v; asked %q", tc.db, got, tc.want, asked)
			}
			manifest, err := os.ReadFile(filepath.Join(dir, "shop", ".secgen.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(manifest), "database_port:") != tc.want {
				t.Errorf("database=%s: database_port recorded = %v, want %v", tc.db, !tc.want, tc.want)
			}
		})
	}
}

func TestHelpTrimAndReask(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git")
	asked := term.converse(t, func(msg string, n int) string {
		switch {
		case msg == "Service name" && n == 0:
			return "Not A Label" + enter
		case msg == "Service name":
			return "  ledger  " + enter // surrounding spaces are trimmed
		case msg == "One-line description" && n == 0:
			return "?" + enter // the question's help
		case msg == "Go module path" && n == 0:
			return "?" + enter // no help: the validation rule
		}
		return enter
	})
	if code := term.exitCode(t); code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, term.text())
	}
	count := map[string]int{}
	for _, a := range asked {
		count[a]++
	}
	if count["Service name"] != 2 || count["One-line description"] != 2 || count["Go module path"] != 2 {
		t.Errorf("asked %q; want the name re-asked and both help prompts asked again", asked)
	}
	text := term.text()
	for _, want := range []string{
		"name: must be a DNS label",                         // why the entry was refused
		"Free text; it is quoted for every file",            // the description's help
		"a Go module path such as example.com/team/service", // the module's rule
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the terminal never showed %q:\n%s", want, text)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "shop", ".secgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), "\n  name: ledger\n") {
		t.Errorf("the trimmed name was not recorded:\n%s", manifest)
	}
}

func TestCtrlCExits130AndLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git")
	term.converse(t, func(msg string, _ int) string {
		if msg == "Customize Kubernetes settings?" {
			return "\x03" // Ctrl-C
		}
		return enter
	})
	if code := term.exitCode(t); code != 130 {
		t.Fatalf("exit %d, want 130; output:\n%s", code, term.text())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("Ctrl-C left %v in the working directory", entries)
	}
}

// TestCtrlDCancelsLikeCtrlC: Ctrl-D, at a question or at a section gate, cancels the
// whole command as Ctrl-C does (exit 130, nothing on disk) instead of taking the default.
func TestCtrlDCancelsLikeCtrlC(t *testing.T) {
	t.Parallel()
	for _, at := range []string{"One-line description", "Customize AWS settings?"} {
		dir := t.TempDir()
		term := start(t, dir, "new", "go-service", "shop", "--no-git")
		asked := term.converse(t, func(msg string, _ int) string {
			if msg == at {
				return "\x04" // Ctrl-D
			}
			return enter
		})
		if code := term.exitCode(t); code != 130 {
			t.Fatalf("Ctrl-D at %q: exit %d, want 130; output:\n%s", at, code, term.text())
		}
		if asked[len(asked)-1] != at {
			t.Errorf("Ctrl-D at %q: questions went on after it: %q", at, asked)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Errorf("Ctrl-D at %q left %v in the working directory (%v)", at, entries, err)
		}
	}
}

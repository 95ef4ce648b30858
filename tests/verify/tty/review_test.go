package tty

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// reviewPrompt is the question of the review: "Write N files to DIR? [Y/n/edit]".
var reviewPrompt = regexp.MustCompile(`^Write ([0-9]+) files to (.+)\? \[Y/n/edit\]$`)

// countFiles counts the regular files of the project at dir; the merge
// bases a project without git keeps in .secgen/base are secgen's own
// records, not the plan's files.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == filepath.Join(dir, ".secgen", "base") {
			return filepath.SkipDir
		}
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// reviews returns the review prompts among asked, each parsed.
func reviews(asked []string) [][]string {
	var out [][]string
	for _, a := range asked {
		if m := reviewPrompt.FindStringSubmatch(a); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// The review comes after the last prompt, lists each section's answers
// with placeholders marked, and asks to write exactly as many files as
// the project then has.
func TestReviewShowsAnswersAndTheFileCount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git", "--set", "port=9090")
	asked := term.converse(t, func(string, int) string { return enter })
	if code := term.exitCode(t); code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, term.text())
	}
	rs := reviews(asked)
	if len(rs) != 1 || asked[len(asked)-1] != rs[0][0] {
		t.Fatalf("want one review, after every question: %q", asked)
	}
	root := filepath.Join(dir, "shop")
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs[0][2]; got != root && got != real {
		t.Errorf("the review writes to %s, want %s", got, root)
	}
	if n, _ := strconv.Atoi(rs[0][1]); n != countFiles(t, root) {
		t.Errorf("the review announced %d files; %d were written", n, countFiles(t, root))
	}
	text := term.text()
	review := text[strings.LastIndex(text, "Review: blueprint go-service"):]
	for _, want := range []string{
		"Service ", "name=shop", "port=9090 (given)", "database=postgres",
		"Kubernetes (defaults)", "replicas=2", "aws_account_id=111122223333*",
		"* a placeholder",
	} {
		if !strings.Contains(review, want) {
			t.Errorf("the review lacks %q:\n%s", want, review)
		}
	}
}

// n at the review ends the command as Ctrl-C does: exit 130, nothing on disk.
func TestReviewNoWritesNothing(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"n" + enter, "\x03", "\x04"} {
		dir := t.TempDir()
		term := start(t, dir, "new", "go-service", "shop", "--no-git")
		asked := term.converse(t, func(msg string, _ int) string {
			if reviewPrompt.MatchString(msg) {
				return key
			}
			return enter
		})
		if code := term.exitCode(t); code != 130 {
			t.Fatalf("%q at the review: exit %d, want 130; output:\n%s", key, code, term.text())
		}
		if len(reviews(asked)) != 1 || !reviewPrompt.MatchString(asked[len(asked)-1]) {
			t.Errorf("%q at the review: asked %q", key, asked)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Errorf("%q at the review left %v (%v)", key, entries, err)
		}
	}
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git")
	term.converse(t, func(msg string, _ int) string {
		if reviewPrompt.MatchString(msg) {
			return "n" + enter
		}
		return enter
	})
	if code := term.exitCode(t); code != 130 || !strings.Contains(term.text(), "nothing was written") {
		t.Errorf("n at the review: exit %d; output:\n%s", code, term.text())
	}
}

// edit picks a section, asks its questions again with the current answers
// as defaults (no gate), returns to the review, and the new answer is the
// one written.
func TestReviewEditAsksASectionAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git")
	asked := term.converse(t, func(msg string, n int) string {
		switch {
		case reviewPrompt.MatchString(msg) && n == 0:
			return "edit" + enter
		case msg == "Answer which section again?":
			return "Kubernetes" + enter // typing filters the sections
		case msg == "Minimum number of replicas" && n == 0:
			return "3" + enter
		}
		return enter
	})
	if code := term.exitCode(t); code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, term.text())
	}
	if len(reviews(asked)) != 2 {
		t.Fatalf("want the review shown again after the edit: %q", asked)
	}
	// After the first review: the section picker, then Kubernetes questions only.
	var after []string
	for i, a := range asked {
		if reviewPrompt.MatchString(a) {
			after = asked[i+1:]
			break
		}
	}
	if len(after) < 3 || after[0] != "Answer which section again?" {
		t.Fatalf("after edit: %q", after)
	}
	for _, a := range after[1 : len(after)-1] {
		if strings.HasPrefix(a, "Customize ") || a == "Service name" || a == "Database" {
			t.Errorf("the edit of Kubernetes asked %q", a)
		}
	}
	if !strings.Contains(strings.Join(after, "|"), "|Minimum number of replicas|") {
		t.Errorf("the edit did not ask the Kubernetes questions: %q", after)
	}
	hpa, err := os.ReadFile(filepath.Join(dir, "shop", "deploy/k8s/base/horizontalpodautoscaler.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hpa), "minReplicas: 3") {
		t.Errorf("the edited answer did not reach the files:\n%s", hpa)
	}
	text := term.text()
	if last := text[strings.LastIndex(text, "Review: blueprint"):]; !strings.Contains(last, "replicas=3") || strings.Contains(last, "Kubernetes (defaults)") {
		t.Errorf("the second review does not show the edit:\n%s", last)
	}
}

// A section gate lists the defaults its No keeps, placeholders marked,
// before it is answered.
func TestGateListsTheDefaultsItKeeps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	term := start(t, dir, "new", "go-service", "shop", "--no-git")
	term.converse(t, func(string, int) string { return enter })
	if code := term.exitCode(t); code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, term.text())
	}
	text := term.text()
	gate := strings.Index(text, "Customize Kubernetes settings?")
	list := strings.LastIndex(text[:max(gate, 0)], "Kubernetes defaults (No keeps them):")
	if gate < 0 || list < 0 {
		t.Fatalf("no defaults listed before the Kubernetes gate:\n%s", text)
	}
	shown := text[list:gate]
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\n  namespace +shop\r?\n`),
		regexp.MustCompile(`\n  replicas +2\r?\n`),
		regexp.MustCompile(`\n  image +example\.com/shop@sha256:0{64}  \(placeholder\)\r?\n`),
	} {
		if !want.MatchString(shown) {
			t.Errorf("the Kubernetes gate's list does not match %s:\n%s", want, shown)
		}
	}
}

// snapshot maps each file of the project at dir (but the merge bases) to
// its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == filepath.Join(dir, ".secgen", "base") {
			return filepath.SkipDir
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// add reviews too: only the component's new questions, and the number of
// files it creates or changes (the re-rendered ones and the manifest
// included).
func TestAddReviewCountsWhatItWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gen := exec.Command(secgen, "new", "go-service", "shop", "--no-input", "--no-git", "--without", "k8s")
	gen.Dir = dir
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "shop")
	before := snapshot(t, root)
	term := start(t, root, "add", "k8s")
	asked := term.converse(t, func(string, int) string { return enter })
	if code := term.exitCode(t); code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, term.text())
	}
	after := snapshot(t, root)
	changed := 0
	for path, data := range after {
		if old, ok := before[path]; !ok || old != data {
			changed++
		}
	}
	rs := reviews(asked)
	if len(rs) != 1 {
		t.Fatalf("want one review: %q", asked)
	}
	if n, _ := strconv.Atoi(rs[0][1]); n != changed || changed < 3 {
		t.Errorf("the review announced %s files; add created or changed %d", rs[0][1], changed)
	}
	text := term.text()
	review := text[strings.LastIndex(text, "Review: add component k8s to "):]
	if !strings.Contains(review, "replicas=2") || strings.Contains(review, "name=shop") || strings.Contains(review, "Service ") {
		t.Errorf("the review of add shows other than the new questions:\n%s", review)
	}
}

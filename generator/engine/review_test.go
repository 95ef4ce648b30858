package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/manifest"
)

// typing answers every question with its default, but those in typed,
// and opens no section gate but those in open.
type typing struct {
	typed map[string]string
	open  map[string]bool
	asked []string
}

func (p *typing) Ask(_ context.Context, q answers.Prompt) (string, error) {
	p.asked = append(p.asked, q.Name)
	return p.typed[q.Name], nil
}

func (p *typing) Gate(_ context.Context, g answers.Gate) (bool, error) {
	p.asked = append(p.asked, "gate:"+g.Title)
	return p.open[g.Title], nil
}

// reviewing returns its verdicts in turn (then writes), or err, recording
// what it was shown; before runs at each review.
type reviewing struct {
	verdicts []Verdict
	err      error
	shown    []Pending
	before   func(Pending)
}

func (r *reviewing) Review(_ context.Context, p Pending) (Verdict, error) {
	r.shown = append(r.shown, p)
	if r.before != nil {
		r.before(p)
	}
	if r.err != nil {
		return Verdict{}, r.err
	}
	if len(r.verdicts) == 0 {
		return Verdict{}, nil
	}
	v := r.verdicts[0]
	r.verdicts = r.verdicts[1:]
	return v, nil
}

// The review comes after the last prompt and before any write; an edit
// asks one section again and its new answer reaches the written files.
func TestNewReviewEditsASectionBeforeWriting(t *testing.T) {
	target := filepath.Join(t.TempDir(), "payments")
	p := &typing{typed: map[string]string{}}
	var existed []bool
	r := &reviewing{verdicts: []Verdict{{Edit: "service"}}, before: func(Pending) {
		_, err := os.Stat(target)
		if existed = append(existed, err == nil); len(existed) == 1 {
			p.typed["description"] = "Takes payments, edited."
			p.asked = nil
		}
	}}
	res, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: target, Prompter: p, Review: r})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.shown) != 2 || existed[0] || existed[1] {
		t.Fatalf("reviews %d, target existed during them: %v; want two reviews before anything was written", len(r.shown), existed)
	}
	if got := strings.Join(p.asked, ","); got != "name,module,description,port,database" {
		t.Errorf("the edit asked %q, want the service section's questions only, no gate", got)
	}
	first, last := r.shown[0], r.shown[1]
	if first.Dir != target || first.Blueprint != "go-service" || first.Files != len(res.Plan.Files) || last.Files != len(res.Plan.Files) {
		t.Errorf("review showed dir %s blueprint %s files %d, want %s go-service %d", first.Dir, first.Blueprint, first.Files, target, len(res.Plan.Files))
	}
	if first.Origins["replicas"] != answers.FromDefault || first.Sections["replicas"] != "kubernetes" || first.Origins["name"] != answers.FromPrompt {
		t.Errorf("origins/sections: replicas %s in %s, name %s", first.Origins["replicas"], first.Sections["replicas"], first.Origins["name"])
	}
	if !strings.Contains(placeholderNames(first), "aws_account_id") {
		t.Errorf("placeholders shown: %s", placeholderNames(first))
	}
	if last.Answers["description"] != "Takes payments, edited." {
		t.Errorf("second review's description = %v", last.Answers["description"])
	}
	data, err := os.ReadFile(filepath.Join(target, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "Takes payments, edited.") {
		t.Errorf("the edited answer did not reach the manifest:\n%s", data)
	}
}

func placeholderNames(p Pending) string {
	var names []string
	for _, ph := range p.Placeholders {
		names = append(names, ph.Name)
	}
	return strings.Join(names, ",")
}

func TestNewReviewDeclinedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	declined := errors.New("declined")
	_, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: filepath.Join(dir, "svc"), Prompter: &typing{}, Review: &reviewing{err: declined}})
	if !errors.Is(err, declined) {
		t.Fatalf("New = %v, want the reviewer's error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a declined review left %v", entries)
	}
	// An edit of a section no answer is in is refused, not ignored.
	_, err = testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: filepath.Join(dir, "svc"), Prompter: &typing{}, Review: &reviewing{verdicts: []Verdict{{Edit: "nope"}}}})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an edit of an unknown section: %v", err)
	}
}

// A dry run and a run without input show no review.
func TestNoReviewWithoutPromptOrInDryRun(t *testing.T) {
	dir := t.TempDir()
	r := &reviewing{err: errors.New("reviewed")}
	for i, req := range []NewRequest{
		{Blueprint: "go-service", Target: filepath.Join(dir, "a"), Review: r},
		{Blueprint: "go-service", Target: filepath.Join(dir, "b"), Review: r, Prompter: &typing{}, DryRun: true},
	} {
		if _, err := testEngine(t).New(context.Background(), req); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if len(r.shown) != 0 {
		t.Errorf("reviews shown: %d", len(r.shown))
	}
}

// Add's review counts the files add writes (the re-rendered ones and the
// manifest included), shows only the new questions, and an edit of their
// section reaches the files.
func TestAddReviewCountsWritesAndEdits(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "payments")
	e := testEngine(t)
	if _, err := e.New(ctx, NewRequest{Blueprint: "go-service", Target: root, StoreBases: true, Without: []string{"k8s"}}); err != nil {
		t.Fatal(err)
	}
	p := &typing{typed: map[string]string{}, open: map[string]bool{}}
	r := &reviewing{verdicts: []Verdict{{Edit: "kubernetes"}}, before: func(Pending) { p.typed["replicas"] = "3" }}
	res, err := e.Add(ctx, AddRequest{Dir: root, Component: "k8s", Prompter: p, Review: r})
	if err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, c := range res.Changes {
		if c.Writes() {
			writes++
		}
	}
	if len(r.shown) != 2 || r.shown[1].Files != writes || r.shown[0].Component != "k8s" || r.shown[0].Dir != root {
		t.Fatalf("reviews %+v, want two counting %d writes", r.shown, writes)
	}
	if _, ok := r.shown[0].Origins["name"]; ok {
		t.Errorf("add's review shows the recorded answer name as resolved: %v", r.shown[0].Origins)
	}
	if r.shown[0].Sections["replicas"] != "kubernetes" {
		t.Errorf("sections: %v", r.shown[0].Sections)
	}
	hpa, err := os.ReadFile(filepath.Join(root, "deploy/k8s/base/horizontalpodautoscaler.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hpa), "minReplicas: 3") {
		t.Errorf("the edited replicas did not reach the HorizontalPodAutoscaler:\n%s", hpa)
	}
}

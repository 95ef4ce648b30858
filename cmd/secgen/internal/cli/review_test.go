package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/engine"
)

// The review lists the answers of this run by section in the catalog's
// order, marks placeholders and given answers, and offers to edit only the
// sections with an answer that was asked or defaulted.
func TestReviewText(t *testing.T) {
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := engine.Pending{
		Dir: "/work/shop", Blueprint: "go-service", Components: []string{"go-service", "k8s"},
		Answers: answers.Values{"name": "shop", "port": 9090, "replicas": 2, "image": "example.com/shop@sha256:00", "description": "Two words"},
		Origins: map[string]answers.Origin{"name": answers.FromPrompt, "port": answers.FromGiven, "description": answers.FromPrompt,
			"replicas": answers.FromDefault, "image": answers.FromDefault},
		Placeholders: []answers.Placeholder{{Name: "image", Value: "example.com/shop@sha256:00"}},
	}
	text, sections, err := reviewText(cat, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Review: blueprint go-service into /work/shop (nothing is written yet)\n",
		`name=shop  description="Two words"  port=9090 (given)`,
		"Kubernetes (defaults)",
		"image=example.com/shop@sha256:00*",
		"* a placeholder",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the review lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "Service") > strings.Index(text, "Kubernetes") {
		t.Errorf("sections out of the catalog's order:\n%s", text)
	}
	if len(sections) != 2 || sections[0].Name != "service" || sections[1].Name != "kubernetes" {
		t.Errorf("editable sections = %v", sections)
	}

	// A section of given answers only cannot be edited; an add without
	// new questions says so and offers no edit.
	p.Origins = map[string]answers.Origin{"port": answers.FromGiven}
	if _, sections, _ := reviewText(cat, p); len(sections) != 0 {
		t.Errorf("a section of given answers is editable: %v", sections)
	}
	text, sections, _ = reviewText(cat, engine.Pending{Dir: "/work/shop", Component: "backstage", Components: []string{"go-service", "backstage"}})
	if len(sections) != 0 || !strings.Contains(text, "component backstage asks no new question") || !strings.Contains(text, "Review: add component backstage to /work/shop") {
		t.Errorf("add without questions: %v\n%s", sections, text)
	}
}

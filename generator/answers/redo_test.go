package answers

import (
	"context"
	"strings"
	"testing"
)

// typist answers each question from a table by name, else with its
// default, and each gate from another table; it records what it saw.
type typist struct {
	typed    map[string]string
	gates    map[string]bool
	asked    []string
	defaults map[string]string // the default each question was shown with
	shown    []Gate
}

func (p *typist) Ask(_ context.Context, q Prompt) (string, error) {
	p.asked = append(p.asked, q.Name)
	if p.defaults == nil {
		p.defaults = map[string]string{}
	}
	p.defaults[q.Name] = q.Default
	return p.typed[q.Name], nil
}

func (p *typist) Gate(_ context.Context, g Gate) (bool, error) {
	p.asked = append(p.asked, "gate:"+g.Title)
	p.shown = append(p.shown, g)
	return p.gates[g.Title], nil
}

// sectioned are questions in three sections: the namespace's default
// follows the name, the account is a placeholder, the key has no default.
func sectioned(t *testing.T) ([]Asked, Sources) {
	t.Helper()
	mk := func(name, section, def string, placeholder, required bool) Asked {
		q := &Question{Name: name, Type: String, Prompt: "Prompt of " + name, Section: section, Required: required}
		if def != "" {
			q.Default = *node(t, def)
		}
		if placeholder {
			q.Placeholder, q.PlaceholderReason = true, "an example"
		}
		return Asked{Question: mustQuestion(t, q)}
	}
	qs := []Asked{
		mk("name", "service", "svc", false, true),
		mk("account", "aws", `"111122223333"`, true, true),
		mk("region", "aws", "eu-west-1", false, true),
		mk("key", "aws", "", false, true),
		mk("namespace", "kubernetes", `"{{ .name }}-ns"`, false, true),
	}
	src := Sources{
		SectionTitle: func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
		ExpandDefault: func(text string, sofar Values) (string, error) {
			name, _ := sofar["name"].(string)
			return strings.ReplaceAll(text, "{{ .name }}", name), nil
		},
	}
	return qs, src
}

func TestGateListsTheDefaultsItKeeps(t *testing.T) {
	qs, src := sectioned(t)
	p := &typist{typed: map[string]string{"name": "shop", "key": "k1"}}
	src.Prompter = p
	src.Set = []string{"region=us-east-1"}
	if _, err := ResolveAll(context.Background(), qs, src); err != nil {
		t.Fatal(err)
	}
	if len(p.shown) != 2 {
		t.Fatalf("gates shown: %+v, want Aws and Kubernetes", p.shown)
	}
	aws := p.shown[0]
	want := []Kept{
		{Name: "account", Message: "Prompt of account", Value: "111122223333", Placeholder: true},
		{Name: "key", Message: "Prompt of key", Asked: true},
	}
	if aws.Title != "Aws" || len(aws.Keeps) != len(want) || aws.Keeps[0] != want[0] || aws.Keeps[1] != want[1] {
		t.Errorf("the Aws gate showed %+v, want %+v (the given region left out)", aws, want)
	}
	// A default computed over the answers so far: the typed name.
	if k := p.shown[1].Keeps; len(k) != 1 || k[0].Value != "shop-ns" || k[0].Placeholder {
		t.Errorf("the Kubernetes gate showed %+v, want namespace = shop-ns", k)
	}
}

func TestRedoAnswersOneSectionAgain(t *testing.T) {
	ctx := context.Background()
	qs, src := sectioned(t)
	first := &typist{typed: map[string]string{"name": "shop", "region": "us-east-1", "key": "k1"}, gates: map[string]bool{"Aws": true}}
	src.Prompter = first
	r, err := ResolveAll(ctx, qs, src)
	if err != nil {
		t.Fatal(err)
	}
	if r.Values["namespace"] != "shop-ns" || r.Origins["namespace"] != FromDefault || r.Origins["region"] != FromPrompt {
		t.Fatalf("first resolution = %v %v", r.Values, r.Origins)
	}

	// Service again: only its question is asked, with the current answer
	// as the default; typed answers elsewhere stay; a default kept by a
	// gate follows the new name; no gate is asked again.
	again := &typist{typed: map[string]string{"name": "ledger"}}
	src.Prompter, src.Redo = again, &Redo{Previous: r, Section: "service"}
	r2, err := ResolveAll(ctx, qs, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(again.asked, ","); got != "name" || again.defaults["name"] != "shop" {
		t.Errorf("asked %q with defaults %v, want only name, shown with shop", got, again.defaults)
	}
	if r2.Values["name"] != "ledger" || r2.Values["region"] != "us-east-1" || r2.Values["key"] != "k1" || r2.Values["namespace"] != "ledger-ns" {
		t.Errorf("after editing the service section: %v", r2.Values)
	}
	if len(r2.Placeholders) != 1 || r2.Placeholders[0].Name != "account" {
		t.Errorf("placeholders = %v, want the account, whose placeholder default was taken", r2.Placeholders)
	}

	// A gated section again: asked in full, without its gate, each
	// question with the current answer as its default.
	k8s := &typist{typed: map[string]string{"namespace": "payments"}}
	src.Prompter, src.Redo = k8s, &Redo{Previous: r2, Section: "kubernetes"}
	r3, err := ResolveAll(ctx, qs, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(k8s.asked, ","); got != "namespace" || k8s.defaults["namespace"] != "ledger-ns" {
		t.Errorf("asked %q with defaults %v, want namespace shown with ledger-ns", got, k8s.defaults)
	}
	if r3.Values["namespace"] != "payments" || r3.Values["name"] != "ledger" || r3.Origins["namespace"] != FromPrompt {
		t.Errorf("after editing kubernetes: %v %v", r3.Values, r3.Origins)
	}
}

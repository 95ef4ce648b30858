package answers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
)

// condition is a stand-in for the renderer: it understands the two
// conditions these tests use.
func condition(text string, sofar Values) (bool, error) {
	switch text {
	case `{{ eq .database "postgres" }}`:
		db, ok := sofar["database"]
		if !ok {
			return false, fmt.Errorf("map has no entry for key %q", "database")
		}
		return db == "postgres", nil
	case `{{ .login }}`:
		return sofar["login"] == true, nil
	}
	return false, fmt.Errorf("unexpected condition %q", text)
}

func conditional(t *testing.T) []Asked {
	t.Helper()
	db := mustQuestion(t, &Question{Name: "database", Type: Enum, Prompt: "DB", Choices: []string{"none", "postgres"}, Default: *node(t, "postgres")})
	dbPort := mustQuestion(t, &Question{Name: "database_port", Type: Int, Prompt: "DB port", Default: *node(t, "5432"),
		When: `{{ eq .database "postgres" }}`, Validate: Rules{Min: ptr(1), Max: ptr(65535)}})
	return []Asked{{Question: db}, {Question: dbPort}}
}

func TestInactiveQuestionIsNotRecorded(t *testing.T) {
	got, err := Resolve(context.Background(), conditional(t), Sources{Set: []string{"database=none"}, Condition: condition})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["database_port"]; ok {
		t.Fatalf("inactive database_port recorded: %#v", got)
	}
	got, err = Resolve(context.Background(), conditional(t), Sources{Condition: condition})
	if err != nil {
		t.Fatal(err)
	}
	if got["database_port"] != 5432 {
		t.Fatalf("active database_port = %#v, want its default", got["database_port"])
	}
}

func TestInactiveQuestionIsNotAsked(t *testing.T) {
	p := &scripted{replies: []string{"none"}}
	got, err := Resolve(context.Background(), conditional(t), Sources{Prompter: p, Condition: condition})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.problems) != 1 {
		t.Fatalf("asked %d questions, want only database", len(p.problems))
	}
	if _, ok := got["database_port"]; ok {
		t.Fatal("inactive question recorded")
	}
}

func TestSetOnInactiveQuestionNamesTheCondition(t *testing.T) {
	for _, src := range []Sources{
		{Set: []string{"database=none", "database_port=6543"}},
		{Set: []string{"database=none"}, File: map[string]*yaml.Node{"database_port": node(t, "6543")}},
	} {
		src.Condition = condition
		_, err := Resolve(context.Background(), conditional(t), src)
		if err == nil || !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), `{{ eq .database "postgres" }}`) {
			t.Fatalf("err = %v, want an invalid-input error naming the condition", err)
		}
	}
}

func TestInvalidSetValuesAreReportedTogether(t *testing.T) {
	_, err := Resolve(context.Background(), testQuestions(t), Sources{Set: []string{"port=abc", "name=Bad Name", "nope=1", "login"}})
	if err == nil || !failure.IsInvalidInput(err) {
		t.Fatalf("err = %v, want invalid input", err)
	}
	for _, want := range []string{`"port"`, `"name"`, `"nope"`, `"login"`, "4 invalid answers"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// gated is a prompter that answers gates from a table and every question
// with its default.
type gated struct {
	gates map[string]bool
	asked []string
	gated []string
	shown []Gate
}

func (g *gated) Ask(_ context.Context, p Prompt) (string, error) {
	g.asked = append(g.asked, p.Name)
	if p.Default == "" {
		return "typed", nil
	}
	return "", nil
}

func (g *gated) Gate(_ context.Context, gate Gate) (bool, error) {
	g.gated = append(g.gated, gate.Title)
	g.shown = append(g.shown, gate)
	return g.gates[gate.Title], nil
}

func TestSectionGates(t *testing.T) {
	mk := func(name, section string, required bool, def string) Asked {
		q := &Question{Name: name, Type: String, Prompt: name, Section: section, Required: required}
		if def != "" {
			q.Default = *node(t, def)
		}
		return Asked{Question: mustQuestion(t, q)}
	}
	qs := []Asked{
		mk("name", "service", true, ""),
		mk("namespace", "kubernetes", true, "ns"),
		mk("account", "aws", true, ""), // required without a default: asked anyway
		mk("region", "aws", true, "eu-west-1"),
		mk("image", "kubernetes", true, "img"), // a later question of a gated section
	}
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	p := &gated{gates: map[string]bool{"Kubernetes": true, "Aws": false}}
	got, err := Resolve(context.Background(), qs, Sources{Prompter: p, SectionTitle: title})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Kubernetes,Aws"; strings.Join(p.gated, ",") != want {
		t.Errorf("gates = %q, want %q (one per section after the first)", p.gated, want)
	}
	if want := "name,namespace,account,image"; strings.Join(p.asked, ",") != want {
		t.Errorf("asked = %q, want %q", p.asked, want)
	}
	if got["region"] != "eu-west-1" {
		t.Errorf("region = %#v, want the default of the skipped section", got["region"])
	}
}

func TestPromptTrimsExceptMultiline(t *testing.T) {
	name := mustQuestion(t, &Question{Name: "name", Type: String, Prompt: "N", Required: true})
	desc := mustQuestion(t, &Question{Name: "description", Type: String, Prompt: "D", Required: true, Multiline: true})
	p := &scripted{replies: []string{"  shop \t", " kept "}}
	got, err := Resolve(context.Background(), []Asked{{Question: name}, {Question: desc}}, Sources{Prompter: p})
	if err != nil {
		t.Fatal(err)
	}
	if got["name"] != "shop" || got["description"] != " kept " {
		t.Fatalf("answers = %#v", got)
	}
}

func TestPlaceholdersInUse(t *testing.T) {
	acct := mustQuestion(t, &Question{Name: "account", Type: String, Prompt: "A", Required: true, Default: *node(t, `"111122223333"`),
		Placeholder: true, PlaceholderReason: "the example account"})
	region := mustQuestion(t, &Question{Name: "region", Type: String, Prompt: "R", Default: *node(t, "eu-west-1"),
		Placeholder: true, PlaceholderReason: "an example region"})
	qs := []Asked{{Question: acct}, {Question: region}}
	r, err := ResolveAll(context.Background(), qs, Sources{Set: []string{"region=us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Placeholders) != 1 || r.Placeholders[0] != (Placeholder{Name: "account", Value: "111122223333", Reason: "the example account"}) {
		t.Fatalf("placeholders = %#v, want only the account still at its placeholder", r.Placeholders)
	}
}

func TestCheckRefusesBadConditionsAndPlaceholders(t *testing.T) {
	for _, q := range []*Question{
		{Name: "a", Type: String, Prompt: "A", When: "true"},
		{Name: "a", Type: String, Prompt: "A", When: "{{ if }}"},
		{Name: "a", Type: String, Prompt: "A", Placeholder: true},
		{Name: "a", Type: String, Prompt: "A", PlaceholderReason: "why"},
		{Name: "a", Type: String, Prompt: "A", Placeholder: true, PlaceholderReason: "no default"},
	} {
		if err := q.Check(); err == nil {
			t.Errorf("Check(%+v) accepted a bad declaration", q)
		}
	}
}

func TestParseFileReadsAManifestsAnswers(t *testing.T) {
	got, err := ParseFile([]byte("schema: 1\nsecgen_version: dev\ncatalog: {id: builtin}\nanswers:\n  name: shop\n  port: 9090\nfiles: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["name"].Value != "shop" || got["port"].Value != "9090" {
		t.Fatalf("answers = %v, want the manifest's answers section", got)
	}
	if _, err := ParseFile([]byte("schema: 1\nsecgen_version: dev\nanswers:\n  name: &a shop\n")); err == nil {
		t.Fatal("an anchor inside a manifest's answers was accepted")
	}
}

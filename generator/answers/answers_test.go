package answers

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/failure"
)

func ptr(n int) *int { return &n }

func mustQuestion(t *testing.T, q *Question) *Question {
	t.Helper()
	if err := q.Check(); err != nil {
		t.Fatalf("Check(%s): %v", q.Name, err)
	}
	return q
}

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func testQuestions(t *testing.T) []Asked {
	t.Helper()
	name := mustQuestion(t, &Question{Name: "name", Type: String, Prompt: "Name", Required: true,
		Validate: Rules{Pattern: `[a-z]([-a-z0-9]*[a-z0-9])?`, PatternHelp: "a DNS label", MaxLength: ptr(40)}})
	port := mustQuestion(t, &Question{Name: "port", Type: Int, Prompt: "Port", Default: *node(t, "8080"),
		Validate: Rules{Min: ptr(1024), Max: ptr(65535)}})
	db := mustQuestion(t, &Question{Name: "database", Type: Enum, Prompt: "DB", Choices: []string{"none", "postgres"}, Default: *node(t, "none")})
	login := mustQuestion(t, &Question{Name: "login", Type: Bool, Prompt: "Login", Default: *node(t, "true")})
	origins := mustQuestion(t, &Question{Name: "origins", Type: List, Prompt: "Origins",
		Validate: Rules{Pattern: `https://[a-z.]+`, Forbid: []string{"*"}}})
	desc := mustQuestion(t, &Question{Name: "description", Type: String, Prompt: "Description", Multiline: true,
		Default: *node(t, `"desc of {{ .name }}"`)})
	return []Asked{{Question: name}, {Question: port}, {Question: db}, {Question: login}, {Question: origins}, {Question: desc}}
}

func expand(text string, sofar Values) (string, error) {
	return strings.ReplaceAll(text, "{{ .name }}", sofar["name"].(string)), nil
}

func TestResolveSourcesAndDefaults(t *testing.T) {
	file, err := ParseFile([]byte("port: 9090\norigins: [https://a.example, https://b.example]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(context.Background(), testQuestions(t), Sources{
		Set: []string{"name=svc", "port=7070"}, File: file, ExpandDefault: expand,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["name"] != "svc" || got["port"] != 7070 || got["database"] != "none" || got["login"] != true {
		t.Fatalf("answers = %#v", got)
	}
	if o := got["origins"].([]string); len(o) != 2 || o[1] != "https://b.example" {
		t.Fatalf("origins = %#v", o)
	}
	if got["description"] != "desc of svc" {
		t.Fatalf("template default = %q", got["description"])
	}
}

func TestResolveRefusesBadInput(t *testing.T) {
	cases := map[string][]string{
		"must be an integer":            {"name=svc", "port=abc"},
		"must be at most 65535":         {"name=svc", "port=70000"},
		"must be a DNS label":           {"name=../etc/passwd"},
		"NUL":                           {"name=a\x00b"},
		"must be at most 40":            {"name=" + strings.Repeat("a", 41)},
		"must be one of none, postgres": {"name=svc", "database=mysql"},
		"must be true or false":         {"name=svc", "login=yes"},
		`must not be "*"`:               {"name=svc", "origins=*"},
		"unknown answer key":            {"name=svc", "colour=red"},
		"more than once":                {"name=svc", "name=svc2"},
		"KEY=VALUE":                     {"name"},
		"single line":                   {"name=a\nb"},
		"looks like a secret":           {"name=svc", "description=password=hunter22"},
	}
	for want, set := range cases {
		_, err := Resolve(context.Background(), testQuestions(t), Sources{Set: set, ExpandDefault: expand})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %q: err = %v, want it to mention %q", set, err, want)
			continue
		}
		if !failure.IsInvalidInput(err) {
			t.Errorf("--set %q: err %v is not classified invalid input", set, err)
		}
	}
}

func TestAnswersFileIsStrictlyTyped(t *testing.T) {
	cases := map[string]string{
		`port: "8080"`:         "must be a decimal integer",
		"login: yes":           "must be true or false",
		"description: 123":     "must be a string",
		"origins: https://x.y": "must be a list of strings",
		"description: &a svc":  "anchors",
	}
	for src, want := range cases {
		file, err := ParseFile([]byte("name: svc\n" + src + "\n"))
		if err == nil {
			_, err = Resolve(context.Background(), testQuestions(t), Sources{File: file, ExpandDefault: expand})
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
	for _, bad := range []string{"- a\n- b\n", "a: 1\n---\nb: 2\n", "name: a\nname: b\n", "[1: 2"} {
		if _, err := ParseFile([]byte(bad)); !failure.IsInvalidInput(err) {
			t.Errorf("ParseFile(%q) = %v, want invalid input", bad, err)
		}
	}
}

func TestMissingRequiredAreListedTogether(t *testing.T) {
	a := mustQuestion(t, &Question{Name: "alpha", Type: String, Prompt: "A", Required: true})
	b := mustQuestion(t, &Question{Name: "beta", Type: Int, Prompt: "B", Required: true})
	_, err := Resolve(context.Background(), []Asked{{Question: a}, {Question: b}}, Sources{})
	if err == nil || !strings.Contains(err.Error(), "alpha, beta") || !failure.IsInvalidInput(err) {
		t.Fatalf("err = %v, want both missing keys in one invalid-input error", err)
	}
}

type scripted struct {
	replies  []string
	problems []string
}

func (s *scripted) Ask(_ context.Context, p Prompt) (string, error) {
	s.problems = append(s.problems, p.Problem)
	if len(s.replies) == 0 {
		return "", errors.New("no more input")
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r, nil
}

func TestPromptReasksWithTheReason(t *testing.T) {
	qs := testQuestions(t)[:2]
	p := &scripted{replies: []string{"Bad Name", "good", "abc", ""}}
	got, err := Resolve(context.Background(), qs, Sources{Prompter: p})
	if err != nil {
		t.Fatal(err)
	}
	if got["name"] != "good" || got["port"] != 8080 {
		t.Fatalf("answers = %#v", got)
	}
	if !strings.Contains(p.problems[1], "DNS label") || !strings.Contains(p.problems[3], "integer") {
		t.Fatalf("problems shown = %q", p.problems)
	}
}

func TestCheckRefusesBadDeclarations(t *testing.T) {
	bad := []*Question{
		{Name: "db_password", Type: String, Prompt: "x"},
		{Name: "api_token", Type: String, Prompt: "x"},
		{Name: "Bad-Name", Type: String, Prompt: "x"},
		{Name: "x", Type: "float", Prompt: "x"},
		{Name: "x", Type: Enum, Prompt: "x"},
		{Name: "x", Type: String, Prompt: "x", Validate: Rules{Pattern: "("}},
		{Name: "x", Type: Int, Prompt: "x", Validate: Rules{Pattern: "a"}},
		{Name: "x", Type: String, Prompt: ""},
		{Name: "x", Type: Int, Prompt: "x"},
		{Name: "x", Type: Int, Prompt: "x", Default: yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "80"}},
	}
	for _, q := range bad {
		if err := q.Check(); err == nil {
			t.Errorf("Check accepted %+v", q)
		}
	}
}

func TestLooksLikeSecret(t *testing.T) {
	// Built at run time so this file carries no key-shaped literal.
	akid := "AKIA" + strings.Repeat("Q", 16)
	for _, s := range []string{akid, "-----BEGIN " + "RSA PRIVATE KEY-----", "ghp_" + strings.Repeat("a", 36), "postgres://u:p4ss@db/x", "token: abcdefgh"} {
		if LooksLikeSecret(s) == "" {
			t.Errorf("LooksLikeSecret(%q) = \"\"", s)
		}
	}
	for _, s := range []string{"A hardened service", "DATABASE_URL", "https://idp.example.com", "secret_store"} {
		if k := LooksLikeSecret(s); k != "" {
			t.Errorf("LooksLikeSecret(%q) = %q", s, k)
		}
	}
}

func FuzzParseTextNeverCoerces(f *testing.F) {
	q := &Question{Name: "port", Type: Int, Prompt: "p"}
	for _, s := range []string{"8080", "+1", " 1", "1e3", "0x10", "１２", "-7"} {
		f.Add(s)
	}
	digits := regexp.MustCompile(`^-?[0-9]+$`)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseText(q, s)
		if err != nil {
			return
		}
		if !digits.MatchString(s) {
			t.Fatalf("ParseText(%q) = %v: only plain decimal digits may parse", s, v)
		}
		if _, ok := v.(int); !ok {
			t.Fatalf("ParseText(%q) returned %T", s, v)
		}
	})
}

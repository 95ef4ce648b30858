package manifest

import (
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

func sample(t *testing.T) *Manifest {
	t.Helper()
	node, err := AnswersNode(map[string]any{"name": "svc", "port": 8080, "login": true, "origins": []string{"https://a"}})
	if err != nil {
		t.Fatal(err)
	}
	return &Manifest{
		Schema: SchemaVersion, SecgenVersion: "1.2.3",
		Catalog:    CatalogRef{ID: "builtin", Version: "0.1.0", Source: "builtin", Digest: "sha256:" + strings.Repeat("ab", 32)},
		Blueprint:  "go-service",
		Components: []ComponentRef{{Name: "go-service", Version: "0.1.0"}},
		Answers:    node,
		Files:      Records([]plan.File{{Path: "b", Component: "go-service", Content: []byte("b")}, {Path: "a/x", Component: "go-service"}}),
	}
}

func TestRoundTripIsDeterministic(t *testing.T) {
	data, err := sample(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := sample(t).Marshal()
	if string(data) != string(again) {
		t.Fatal("two encodings differ")
	}
	if !strings.Contains(string(data), "answers:\n  login: true\n  name: svc\n  origins:\n    - https://a\n  port: 8080\n") {
		t.Fatalf("answers not sorted and typed:\n%s", data)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 2 || m.Files[0].Path != "a/x" || m.Files[1].SHA256 != (plan.File{Content: []byte("b")}).SHA256() {
		t.Fatalf("files = %+v", m.Files)
	}
	nodes, err := m.AnswerNodes()
	if err != nil || nodes["port"].Value != "8080" {
		t.Fatalf("answers = %v, %v", nodes, err)
	}
}

func TestParseRefusesInvalidManifests(t *testing.T) {
	good, _ := sample(t).Marshal()
	cases := map[string]string{
		"unknown field":         strings.Replace(string(good), "blueprint:", "extra: 1\nblueprint:", 1),
		"schema":                strings.Replace(string(good), "schema: 2", "schema: 9", 1),
		"source with user":      strings.Replace(string(good), "source: builtin", "source: https://u@git.example.test/c", 1),
		"builtin with commit":   strings.Replace(string(good), "source: builtin", "source: builtin\n  commit: "+strings.Repeat("a", 40), 1),
		"bad digest":            strings.Replace(string(good), "digest: sha256:", "digest: md5:", 1),
		"no source":             strings.Replace(string(good), "  source: builtin\n", "", 1),
		"outside path":          strings.Replace(string(good), "path: a/x", "path: ../../etc/passwd", 1),
		"absolute path":         strings.Replace(string(good), "path: a/x", "path: /etc/passwd", 1),
		"bad hash":              strings.Replace(string(good), "sha256: e3b0", "sha256: zzzz", 1),
		"not yaml":              "{{{",
		"two documents":         string(good) + "---\nschema: 1\n",
		"unknown owner":         strings.Replace(string(good), "component: go-service, sha256: e3b0", "component: other, sha256: e3b0", 1),
		"self listed":           strings.Replace(string(good), "path: a/x", "path: .secgen.yaml", 1),
		"files of no component": strings.Replace(string(good), "components:\n  - {name: go-service, version: 0.1.0}\n", "components: []\n", 1),
		"bad git blob":          strings.Replace(string(good), "git_blob: e69d", "git_blob: zzzz", 1),
		"lock listed":           strings.Replace(string(good), "path: a/x", "path: .secgen.lock", 1),
		"secgen dir listed":     strings.Replace(string(good), "path: a/x", "path: .secgen/base/x", 1),
	}
	for name, src := range cases {
		if src == string(good) {
			t.Fatalf("%s: the mutation did not apply", name)
		}
		if _, err := Parse([]byte(src)); !failure.IsInvalidInput(err) {
			t.Errorf("%s: err = %v, want invalid input", name, err)
		}
	}
}

// A project adopted by `secgen init` has answers but no components or files.
func TestParseAcceptsAnAdoptedProject(t *testing.T) {
	m := sample(t)
	m.Components, m.Files = []ComponentRef{}, []FileRecord{}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	if len(got.Components) != 0 || len(got.Files) != 0 {
		t.Errorf("parsed %+v", got)
	}
}

func TestRecordsCarryGitBlobIDs(t *testing.T) {
	recs := Records([]plan.File{{Path: "x", Component: "c", Content: []byte("hello\n")}})
	// `printf 'hello\n' | git hash-object --stdin`
	if recs[0].GitBlob != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("git_blob = %s", recs[0].GitBlob)
	}
}

// A schema 1 manifest (secgen before catalog sources) is read as the
// built-in catalog and written back as the current schema.
func TestParseMigratesSchema1(t *testing.T) {
	good, _ := sample(t).Marshal()
	old := strings.Replace(string(good), "schema: 2", "schema: 1", 1)
	old = strings.Replace(old, "  source: builtin\n  digest: sha256:"+strings.Repeat("ab", 32)+"\n", "  commit: \"\"\n", 1)
	m, err := Parse([]byte(old))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, old)
	}
	if m.Schema != SchemaVersion || !m.Catalog.Builtin() || m.Catalog.Digest != "" {
		t.Fatalf("migrated to %+v", m.Catalog)
	}
	git := strings.Replace(old, "commit: \"\"", "commit: "+strings.Repeat("a", 40), 1)
	if _, err := Parse([]byte(git)); !failure.IsInvalidInput(err) {
		t.Errorf("schema 1 with a commit: %v", err)
	}
}

func TestParseAcceptsAGitCatalog(t *testing.T) {
	m := sample(t)
	m.Catalog = CatalogRef{ID: "acme", Version: "1.0.0", Name: "acme", Source: "https://git.example.test/acme/catalog", Ref: "v1.0.0", Commit: strings.Repeat("c", 40), Signer: strings.Repeat("F", 40)}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil || got.Catalog != m.Catalog {
		t.Fatalf("Parse: %v, %+v", err, got)
	}
}

// Files are one line each, sorted, so two branches' manifests merge; any
// path reads back as itself.
func TestFilesAreOneLineEachAndRoundTrip(t *testing.T) {
	m := sample(t)
	odd := []string{"0x1f", "1_000", "12:30", "1e10", ".inf", ".NaN", ".gitignore", "true", "1e3", "a b/c: d", "x#y", "null", "-x", "ü/é.txt", "{a}"}
	var files []plan.File
	for _, p := range odd {
		files = append(files, plan.File{Path: p, Component: "go-service", Content: []byte(p)})
	}
	m.Files = Records(files)
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, tail, _ := strings.Cut(string(data), "\nfiles:\n")
	lines := strings.Split(strings.TrimSuffix(tail, "\n"), "\n")
	if len(lines) != len(odd) {
		t.Fatalf("files section:\n%s", tail)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	for i, f := range got.Files {
		if f != m.Files[i] {
			t.Errorf("file %d: %+v, want %+v", i, f, m.Files[i])
		}
	}
}

func TestParseExplainsConflictMarkers(t *testing.T) {
	good, _ := sample(t).Marshal()
	bad := strings.Replace(string(good), "files:\n", "files:\n<<<<<<< HEAD\n=======\n>>>>>>> other\n", 1)
	_, err := Parse([]byte(bad))
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "holds merge conflict markers: keep the lines of both sides") {
		t.Fatalf("err = %v", err)
	}
}

// Every component and every file is one line, so the line-wise union of two
// branches' manifests (keep the lines of both sides) is valid YAML, and
// what it holds twice is settled: a line twice counts once, a component at
// two versions counts at the newer, and a file with two records is
// settled by pick or refused.
func TestParseMergedSettlesTheUnionOfTwoBranches(t *testing.T) {
	good, _ := sample(t).Marshal()
	if !strings.Contains(string(good), "components:\n  - {name: go-service, version: 0.1.0}\n") {
		t.Fatalf("a component is not one line:\n%s", good)
	}
	union := strings.Replace(string(good), "  - {name: go-service, version: 0.1.0}\n",
		"  - {name: go-service, version: 0.2.0}\n  - {name: go-service, version: 0.1.0}\n  - {name: go-service, version: 0.10.0}\n", 1)
	lines := strings.SplitAfter(union, "\n")
	var fileLine string
	for _, l := range lines {
		if strings.Contains(l, "path: b,") {
			fileLine = l
		}
	}
	other := strings.Replace(fileLine, "sha256: ", "sha256: 0", 1)
	other = other[:strings.Index(other, "sha256: ")+8] + strings.Repeat("1", 64) + other[strings.Index(other, ", git_blob"):]
	twice := strings.Replace(union, fileLine, fileLine+fileLine, 1)
	m, err := Parse([]byte(twice))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Components) != 1 || m.Components[0].Version != "0.10.0" || len(m.Files) != 2 {
		t.Errorf("settled to components %+v, files %+v", m.Components, m.Files)
	}
	conflicting := strings.Replace(union, fileLine, fileLine+other, 1)
	if _, err := Parse([]byte(conflicting)); !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "the side whose file you kept") {
		t.Errorf("two records of b: %v", err)
	}
	m, err = ParseMerged([]byte(conflicting), func(p string, recs []FileRecord) (FileRecord, bool) {
		if p != "b" || len(recs) != 2 {
			t.Errorf("pick(%s, %d records)", p, len(recs))
		}
		return recs[1], true
	})
	if err != nil || m.Files[1].SHA256 != strings.Repeat("1", 64) {
		t.Errorf("picked: %v, %+v", err, m)
	}
}

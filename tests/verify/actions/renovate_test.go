package actions

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/manifest"
)

// TestFleetRenovateSnippet: docs/fleet.md's renovate.json snippet is valid JSON, its
// file pattern matches the manifest's name, and its regex finds the source and the ref
// in a manifest secgen's own encoder wrote for a git catalog (and nothing in one for
// the built-in catalog, which has no ref).
func TestFleetRenovateSnippet(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	snippet, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/fleet.md has no ```json block")
	}
	var cfg struct {
		CustomManagers []struct {
			CustomType   string   `json:"customType"`
			FileMatch    []string `json:"fileMatch"`
			MatchStrings []string `json:"matchStrings"`
			Datasource   string   `json:"datasourceTemplate"`
		} `json:"customManagers"`
	}
	dec := json.NewDecoder(strings.NewReader(snippet))
	if err := dec.Decode(&cfg); err != nil || len(cfg.CustomManagers) != 1 {
		t.Fatalf("the snippet is not one custom manager: %v", err)
	}
	m := cfg.CustomManagers[0]
	if m.CustomType != "regex" || m.Datasource != "git-tags" || len(m.FileMatch) != 1 || len(m.MatchStrings) != 1 {
		t.Fatalf("unexpected manager %+v", m)
	}
	if !regexp.MustCompile(m.FileMatch[0]).MatchString("services/pay/.secgen.yaml") || !regexp.MustCompile(m.FileMatch[0]).MatchString(".secgen.yaml") {
		t.Errorf("fileMatch %q does not match .secgen.yaml", m.FileMatch[0])
	}
	re := regexp.MustCompile(m.MatchStrings[0])
	encode := func(ref manifest.CatalogRef) string {
		data, err := (&manifest.Manifest{Schema: manifest.SchemaVersion, SecgenVersion: "1.2.3", Catalog: ref}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	git := encode(manifest.CatalogRef{ID: "acme", Version: "1.4.0", Source: "https://git.example.com/platform/catalog", Ref: "v1.4.0", Commit: strings.Repeat("a", 40)})
	got := re.FindStringSubmatch(git)
	if got == nil || got[re.SubexpIndex("depName")] != "https://git.example.com/platform/catalog" || got[re.SubexpIndex("currentValue")] != "v1.4.0" {
		t.Errorf("the regex does not find source and ref in:\n%s\ngot %q", git, got)
	}
	// previous (the version before the last update) holds a source and ref too: only
	// the current catalog's ref is bumped.
	data, err := (&manifest.Manifest{Schema: manifest.SchemaVersion, SecgenVersion: "1.2.3",
		Catalog:  manifest.CatalogRef{ID: "builtin", Version: "0.2.0", Source: "builtin"},
		Previous: &manifest.CatalogRef{ID: "acme", Version: "1.3.0", Source: "https://git.example.com/platform/catalog", Ref: "v1.3.0"}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if re.Match(data) {
		t.Errorf("the regex matches the previous catalog's ref:\n%s", data)
	}
	named := encode(manifest.CatalogRef{ID: "acme", Version: "1.4.0", Name: "acme", Source: "https://git.example.com/platform/catalog", Ref: "v1.4.0"})
	if got := re.FindStringSubmatch(named); got == nil || got[re.SubexpIndex("currentValue")] != "v1.4.0" {
		t.Errorf("the regex does not find the ref of a named catalog's project:\n%s", named)
	}
	if builtin := encode(manifest.CatalogRef{ID: "builtin", Version: "0.2.0", Source: "builtin"}); re.MatchString(builtin) {
		t.Errorf("the regex matches a built-in catalog's manifest:\n%s", builtin)
	}
}

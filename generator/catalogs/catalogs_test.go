package catalogs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/failure"
)

func TestStoreRoundTripAndAtomicWrites(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "secgen")}
	f, err := s.Load()
	if err != nil || len(f.Catalogs) != 0 {
		t.Fatalf("empty store: %v, %+v", err, f)
	}
	ring, err := s.PutKeyring("acme", []byte("keys"))
	if err != nil {
		t.Fatal(err)
	}
	f.Put(Entry{Name: "zeta", Source: "/srv/zeta", ID: "zeta", Version: "1.0.0"})
	f.Put(Entry{Name: "acme", Source: "https://git.example.test/acme", Ref: "v1", Keyring: ring, ID: "acme", Version: "1.0.0"})
	if err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Catalogs) != 2 || got.Catalogs[0].Name != "acme" || got.Catalogs[1].Name != "zeta" {
		t.Fatalf("loaded %+v", got.Catalogs)
	}
	e, _ := got.Find("acme")
	if data, err := s.Keyring(e); err != nil || string(data) != "keys" {
		t.Fatalf("keyring %q, %v", data, err)
	}
	for _, dir := range []string{s.Dir, filepath.Join(s.Dir, "keyrings")} {
		entries, _ := os.ReadDir(dir)
		for _, d := range entries {
			if strings.Contains(d.Name(), ".tmp-") {
				t.Errorf("a temporary file was left: %s", d.Name())
			}
		}
	}
	if !got.Remove("acme") || got.Remove("acme") {
		t.Error("Remove reports wrongly")
	}
	if err := s.RemoveKeyring("acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, ring)); !os.IsNotExist(err) {
		t.Errorf("keyring still there: %v", err)
	}
}

func TestLoadRefusesHostileFiles(t *testing.T) {
	for name, doc := range map[string]string{
		"bad name":        "catalogs:\n  - {name: Bad, source: /x, id: x, version: 1.0.0}\n",
		"builtin":         "catalogs:\n  - {name: builtin, source: /x, id: x, version: 1.0.0}\n",
		"twice":           "catalogs:\n  - {name: a, source: /x, id: x, version: 1.0.0}\n  - {name: a, source: /y, id: x, version: 1.0.0}\n",
		"keyring outside": "catalogs:\n  - {name: a, source: /x, keyring: ../../etc/passwd, id: x, version: 1.0.0}\n",
		"unknown field":   "catalogs:\n  - {name: a, source: /x, hook: rm, id: x, version: 1.0.0}\n",
	} {
		s := &Store{Dir: t.TempDir()}
		if err := os.WriteFile(filepath.Join(s.Dir, FileName), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(); !failure.IsInvalidInput(err) {
			t.Errorf("%s: %v, want invalid input", name, err)
		}
	}
	s := &Store{Dir: t.TempDir()}
	if err := os.Symlink("/etc/passwd", filepath.Join(s.Dir, FileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); !failure.IsInvalidInput(err) {
		t.Errorf("symlinked config: %v", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"acme", "a-1"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "builtin", "Acme", "1a", "a/b", "../x", strings.Repeat("a", 64)} {
		if err := CheckName(bad); !failure.IsInvalidInput(err) {
			t.Errorf("%q accepted", bad)
		}
	}
}

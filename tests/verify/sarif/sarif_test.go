package sarif

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/builtin"
)

const schemaFile = "testdata/sarif-schema-2.1.0.json"

// schemaSHA256 is the digest of the official schema as published; a test
// refuses an edited copy.
const schemaSHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != schemaSHA256 {
		t.Fatalf("%s is not the official schema (sha256 %x)", schemaFile, sum)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// copyTree copies a golden tree into a temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSARIFValidAgainstOfficialSchema: the SARIF log of a clean golden and
// of a broken copy (findings with and without a line) validate against the
// official schema.
func TestSARIFValidAgainstOfficialSchema(t *testing.T) {
	schema := compileSchema(t)
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(goldensDir, "go-service", "defaults", "tree")
	broken := copyTree(t, clean)
	if err := os.Remove(filepath.Join(broken, "deploy/k8s/base/poddisruptionbudget.yaml")); err != nil {
		t.Fatal(err)
	}
	ci := filepath.Join(broken, ".github/workflows/ci.yml")
	data, err := os.ReadFile(ci)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "persist-credentials: false", "persist-credentials: true", 1))
	if err := os.WriteFile(ci, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		dir      string
		findings bool
	}{{"clean", clean, false}, {"broken", broken, true}} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: tc.dir})
			if err != nil {
				t.Fatal(err)
			}
			if (len(rep.Findings) > 0) != tc.findings {
				t.Fatalf("%d findings", len(rep.Findings))
			}
			var buf bytes.Buffer
			if err := audit.WriteSARIF(&buf, rep, cat.Registry, "0.1.0"); err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(v); err != nil {
				t.Fatalf("SARIF output is not valid SARIF 2.1.0: %v", err)
			}
		})
	}
}

// TestSchemaRejectsInvalidSARIF proves the validation can fail.
func TestSchemaRejectsInvalidSARIF(t *testing.T) {
	schema := compileSchema(t)
	for _, bad := range []string{
		`{"version": "2.0.0", "runs": []}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal", "message": {"text": "m"}}]}]}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}

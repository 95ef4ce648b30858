package sarif

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// sarifOut is the part of a SARIF log the code-scanning checks read.
type sarifOut struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID         string         `json:"id"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		OriginalURIBaseIDs map[string]struct {
			URI string `json:"uri"`
		} `json:"originalUriBaseIds"`
		Invocations []struct {
			Notifications []struct {
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []any             `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

// TestSARIFCodeScanningGrade: beyond the schema, what GitHub's upload
// documentation asks of a result: a region with a start line on every
// result, a partial fingerprint that is stable and distinct per finding,
// a security-severity between 0 and 10 on every rule, URIs relative to the
// repository root (%SRCROOT%, the audited subdirectory prefixed) and
// percent-encoded, pointing at files; waived findings suppressed.
func TestSARIFCodeScanningGrade(t *testing.T) {
	schema := compileSchema(t)
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repo, "services", "my api")
	if err := os.MkdirAll(filepath.Join(dir, "k8s"), 0o755); err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x\n      securityContext:\n        privileged: true # secgen:waive K8S-02 expires=2999-01-01 reason=\"node agent\"\n    - name: b\n      image: y\n"
	if err := os.WriteFile(filepath.Join(dir, "k8s", "pod #1.yaml"), []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func() sarifOut {
		rep, err := audit.Project(context.Background(), cat, audit.ProjectRequest{Dir: dir, Components: []string{"k8s"}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := audit.WriteSARIFWith(&buf, rep, cat.Registry, audit.SARIFOptions{Version: "0.1.0", Prefix: audit.RepositoryPrefix(dir)}); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Fatalf("not valid SARIF 2.1.0: %v", err)
		}
		var out sarifOut
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first, second := write(), write()
	run := first.Runs[0]
	if run.OriginalURIBaseIDs["%SRCROOT%"].URI == "" {
		t.Error("no %SRCROOT% base")
	}
	for _, r := range run.Tool.Driver.Rules {
		s, _ := r.Properties["security-severity"].(string)
		var f float64
		if _, err := fmt.Sscanf(s, "%g", &f); err != nil || f < 0 || f > 10 {
			t.Errorf("rule %s: security-severity %q", r.ID, s)
		}
	}
	if len(run.Results) < 3 {
		t.Fatalf("only %d results", len(run.Results))
	}
	prints := map[string]bool{}
	suppressed := 0
	for i, r := range run.Results {
		loc := r.Locations[0].PhysicalLocation
		if loc.Region == nil || loc.Region.StartLine < 1 {
			t.Errorf("result %d (%s) has no region with a start line", i, r.RuleID)
		}
		uri := loc.ArtifactLocation.URI
		if loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || !strings.HasPrefix(uri, "services/my%20api/") ||
			strings.ContainsAny(uri, " #") {
			t.Errorf("result %d: uri %q base %q", i, uri, loc.ArtifactLocation.URIBaseID)
		}
		fp := r.PartialFingerprints["secgenFinding/v1"]
		if fp == "" || prints[fp] {
			t.Errorf("result %d: fingerprint %q missing or shared", i, fp)
		}
		prints[fp] = true
		if fp != second.Runs[0].Results[i].PartialFingerprints["secgenFinding/v1"] {
			t.Errorf("result %d: fingerprint changes between runs", i)
		}
		if len(r.Suppressions) > 0 {
			suppressed++
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results; want the one waived finding", suppressed)
	}
}

// TestSARIFTruncatedPastTheUploadLimit: more findings than code scanning
// accepts give a log of exactly the limit, valid, with a warning.
func TestSARIFTruncatedPastTheUploadLimit(t *testing.T) {
	schema := compileSchema(t)
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rep := &audit.Report{Controls: []string{"K8S-02"}, Findings: make([]audit.Finding, audit.MaxSARIFResults+7)}
	for i := range rep.Findings {
		rep.Findings[i] = audit.Finding{Control: "K8S-02", Rule: "r", Severity: "error", File: fmt.Sprintf("f%d.yaml", i), Line: 1, Message: "m", Fix: "f"}
	}
	if !audit.Truncated(rep) {
		t.Fatal("not reported as truncated")
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
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	var out sarifOut
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	run := out.Runs[0]
	if len(run.Results) != audit.MaxSARIFResults {
		t.Errorf("%d results, want %d", len(run.Results), audit.MaxSARIFResults)
	}
	warned := false
	for _, n := range run.Invocations[0].Notifications {
		warned = warned || (n.Level == "warning" && strings.Contains(n.Message.Text, "25000"))
	}
	if !warned {
		t.Error("no truncation warning")
	}
}

package backstage

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// compileComponent compiles the Component schema, which refers to the
// entity envelope by its $id.
func compileComponent(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	for _, f := range []string{"entity.schema.json", "component.schema.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "schemas", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	s, err := c.Compile("urn:secgen:test:backstage:component")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// entity decodes a YAML descriptor into the JSON value the schema sees.
func entity(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("not JSON-compatible: %v", err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGoldenEntitiesValidate(t *testing.T) {
	schema := compileComponent(t)
	paths, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree", "catalog-info.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 3 {
		t.Fatalf("found %d golden catalog-info.yaml files, want the backstage and go-service cases", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(entity(t, data)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestSchemasRefuseBrokenEntities shows the schemas bite: each mutation of
// a valid entity is refused.
func TestSchemasRefuseBrokenEntities(t *testing.T) {
	schema := compileComponent(t)
	valid := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    github.com/project-slug: acme/payments
  tags: [secgen]
spec:
  type: service
  lifecycle: production
  owner: group:default/payments-team
`
	if err := schema.Validate(entity(t, []byte(valid))); err != nil {
		t.Fatalf("the valid entity is refused: %v", err)
	}
	for name, mutate := range map[string][2]string{
		"no owner":              {"  owner: group:default/payments-team\n", ""},
		"wrong kind":            {"kind: Component", "kind: Resource"},
		"bad name":              {"name: payments", "name: -payments-"},
		"long name":             {"name: payments", "name: " + strings.Repeat("p", 64)},
		"bad annotation key":    {"github.com/project-slug", "github.com/project slug"},
		"upper-case tag":        {"tags: [secgen]", "tags: [SecGen]"},
		"unknown top field":     {"kind: Component", "kind: Component\ncolour: red"},
		"non-string owner":      {"owner: group:default/payments-team", "owner: [a]"},
		"unknown api version":   {"backstage.io/v1alpha1", "backstage.io/v9"},
		"non-string annotation": {"github.com/project-slug: acme/payments", "github.com/project-slug: [1]"},
	} {
		bad := strings.Replace(valid, mutate[0], mutate[1], 1)
		if bad == valid {
			t.Fatalf("%s: the mutation changed nothing", name)
		}
		if err := schema.Validate(entity(t, []byte(bad))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

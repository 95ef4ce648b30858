package engine

import (
	"context"
	"testing"

	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/manifest"
)

// A weakening names its true cause: the catalog's new version is audited
// without the user's side. The user changed only config.yaml's comment; the
// catalog's version 3 turns on debug logging with a high limit on its own,
// so the cause is the catalog, even though the file was merged. When the
// user's debug logging meets the catalog's new limit (version 2), the
// cause is the merge.
func TestWeakeningNamesItsCause(t *testing.T) {
	t.Parallel()
	v1 := testCatalog(t, 1)
	for _, c := range []struct {
		name, edit string
		version    int
		cause      string
	}{
		{"catalog alone", "# our config\nname: \"demo\"\nlog: info\ntimeout: 30s\nretries: 3\nlimit: 10\n", 3, "the catalog's new version"},
		{"the merge", "# config of demo\nname: \"demo\"\nlog: debug\ntimeout: 30s\nretries: 3\nlimit: 10\n", 2, "your changes merged with the catalog's new version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := newProject(t)
			write(t, root, "config.yaml", c.edit)
			e := &Engine{Catalog: testCatalog(t, c.version), Version: "test", Auditor: testAuditor{},
				Versions: VersionFunc(func(context.Context, manifest.CatalogRef) (*catalog.Catalog, error) { return v1, nil })}
			res, err := e.Update(context.Background(), UpdateRequest{Dir: root})
			if err != nil {
				t.Fatal(err)
			}
			var action Action
			for _, fc := range res.Changes {
				if fc.Path == "config.yaml" {
					action = fc.Action
				}
			}
			if action != ActionMerge {
				t.Fatalf("config.yaml was %q, want merged", action)
			}
			if len(res.Weakenings) != 1 || res.Weakenings[0].File != "config.yaml" || res.Weakenings[0].Cause != c.cause {
				t.Errorf("weakenings %+v, want one in config.yaml caused by %s", res.Weakenings, c.cause)
			}
		})
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/semver"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/merge"
	projectpkg "github.com/secgen/secgen/generator/project"
	"github.com/secgen/secgen/generator/render"
)

// CheckRequest asks whether a project is what its recorded catalog renders.
type CheckRequest struct {
	Dir string // the project root; "" walks up from the working directory
	// Project, when set, is the project opened by the project layer (Dir
	// is then ignored).
	Project *projectpkg.Project
	// Diff asks for a unified diff of each file the user changed, against
	// what secgen generated.
	Diff bool
}

// CheckStatus is the overall answer of Check, most severe first.
type CheckStatus string

// The statuses of Check.
const (
	CheckConflicts       CheckStatus = "conflicts"        // unresolved conflict markers remain
	CheckUpdateAvailable CheckStatus = "update-available" // a newer catalog version, or update would change files
	CheckUpToDate        CheckStatus = "up-to-date"
)

// CheckResult describes a project against its recorded catalog.
type CheckResult struct {
	Root   string      `json:"root"`
	Status CheckStatus `json:"status"`
	// RecordedVersion is the catalog version in the manifest; CatalogVersion
	// the version of the catalog secgen has now.
	CatalogID       string `json:"catalog"`
	RecordedVersion string `json:"recorded_version"`
	CatalogVersion  string `json:"catalog_version"`
	// Outdated lists the files `secgen update` would change although the
	// catalog version is the recorded one (the manifest and the rendering
	// disagree).
	Outdated []string `json:"outdated"`
	// Conflicts lists files secgen manages that still hold conflict markers.
	Conflicts []ConflictMarker `json:"conflicts"`
	// Changed lists the files the user changed since secgen wrote them
	// (information, not a failure).
	Changed []ChangedFile `json:"changed"`
	// Placeholders lists recorded answers that are still example values.
	Placeholders []Placeholder `json:"placeholders"`
	// BeforeDeploy are the files to add (Missing while absent) and what the
	// cluster must run, from the components' before_deploy steps.
	BeforeDeploy []DeployStep `json:"before_deploy"`
}

// ConflictMarker is the first unresolved conflict marker of a file.
type ConflictMarker struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

// ChangedFile is one file the user changed or deleted.
type ChangedFile struct {
	Path    string `json:"path"`
	Deleted bool   `json:"deleted,omitempty"`
	// Diff is the unified diff from what secgen generated to the file now
	// (only with CheckRequest.Diff, when the generated content is found).
	Diff string `json:"diff,omitempty"`
}

// Placeholder is a recorded answer that still holds an example value.
type Placeholder struct {
	Answer string `json:"answer"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Check compares a project with what its recorded catalog version renders
// with its recorded answers. It reads only: no lock, no write.
func (e *Engine) Check(ctx context.Context, req CheckRequest) (*CheckResult, error) {
	root, m := "", (*manifest.Manifest)(nil)
	if req.Project != nil && req.Project.Manifest != nil {
		root, m = req.Project.Root, req.Project.Manifest
	} else {
		var err error
		if root, _, err = projectpkg.Locate(req.Dir); err != nil {
			return nil, err
		}
		if m, err = readManifest(root); err != nil {
			return nil, err
		}
	}
	if m.Catalog.ID != e.Catalog.ID {
		return nil, failure.Invalidf("this project comes from catalog %s, not %s", failure.Quote(m.Catalog.ID), failure.Quote(e.Catalog.ID))
	}
	res := &CheckResult{
		Root: root, Status: CheckUpToDate, CatalogID: m.Catalog.ID,
		RecordedVersion: m.Catalog.Version, CatalogVersion: e.Catalog.Version,
		Outdated: []string{}, Conflicts: []ConflictMarker{}, Changed: []ChangedFile{}, Placeholders: []Placeholder{},
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	store, err := base.Open(root)
	if err != nil {
		return nil, err
	}
	for _, rec := range m.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := readProjectFile(r, rec.Path)
		if errors.Is(err, errNotRegular) {
			res.Changed = append(res.Changed, ChangedFile{Path: rec.Path})
			continue
		}
		if err != nil {
			return nil, err
		}
		if data == nil {
			res.Changed = append(res.Changed, ChangedFile{Path: rec.Path, Deleted: true})
			continue
		}
		if line := merge.MarkerLine(data); line > 0 {
			res.Conflicts = append(res.Conflicts, ConflictMarker{Path: rec.Path, Line: line})
		}
		if expectOf(data) == rec.SHA256 {
			continue
		}
		cf := ChangedFile{Path: rec.Path}
		if req.Diff && rec.GitBlob != "" {
			if generated, err := store.Get(rec.GitBlob); err == nil {
				cf.Diff = merge.Unified("a/"+rec.Path, "b/"+rec.Path, generated, data, merge.DefaultContext)
			} else if !errors.Is(err, base.ErrNotFound) {
				return nil, err
			}
		}
		res.Changed = append(res.Changed, cf)
	}

	var values answers.Values
	res.Placeholders, values, err = e.placeholders(ctx, root, m)
	if err != nil {
		return nil, err
	}
	if res.BeforeDeploy, err = e.beforeDeploy(componentNames(m), values, root); err != nil {
		return nil, err
	}

	switch cmp := compareVersions(e.Catalog.Version, m.Catalog.Version); {
	case cmp > 0:
		res.Status = CheckUpdateAvailable
	case cmp < 0:
		return nil, failure.Invalidf("this project was generated by catalog %s %s, newer than this secgen's %s: upgrade secgen", m.Catalog.ID, m.Catalog.Version, e.Catalog.Version)
	default:
		// Same version: re-render with the recorded answers and compare with
		// the manifest's hashes; any difference is something update would do.
		outdated, err := e.outdated(ctx, root, m)
		if err != nil {
			return nil, err
		}
		res.Outdated = outdated
		if len(outdated) > 0 {
			res.Status = CheckUpdateAvailable
		}
	}
	if len(res.Conflicts) > 0 {
		res.Status = CheckConflicts
	}
	return res, nil
}

// outdated re-renders the project's components with the recorded answers
// and lists the paths whose rendering differs from the manifest's record.
func (e *Engine) outdated(ctx context.Context, root string, m *manifest.Manifest) ([]string, error) {
	components := componentNames(m)
	// Recorded answers only: nothing is asked (at the recorded version no
	// question is new).
	values, _, err := e.projectAnswers(ctx, root, m, components, answerInput{})
	if err != nil {
		return nil, err
	}
	rendered, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: components, Answers: values})
	if err != nil {
		return nil, err
	}
	recorded := map[string]string{}
	for _, f := range m.Files {
		recorded[f.Path] = f.SHA256
	}
	var out []string
	for _, f := range rendered.Files {
		if recorded[f.Path] != f.SHA256() {
			out = append(out, f.Path)
		}
		delete(recorded, f.Path)
	}
	for p := range recorded {
		out = append(out, p)
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// compareVersions compares two semantic versions (without "v"); an
// unparsable version compares equal, so it never claims an update.
func compareVersions(a, b string) int {
	va, vb := "v"+a, "v"+b
	if !semver.IsValid(va) || !semver.IsValid(vb) {
		return 0
	}
	return semver.Compare(va, vb)
}

// placeholderRules recognise the example values the catalog's defaults
// use: they render valid files, but the project is not ready to deploy
// while they remain.
var placeholderRules = []struct {
	pattern *regexp.Regexp
	reason  string
}{
	{regexp.MustCompile(`@sha256:0{64}$`), "the all-zero image digest is a placeholder: pin the image your release built"},
	{regexp.MustCompile(`^(111122223333|123456789012)$`), "an example AWS account ID from the AWS documentation"},
	{regexp.MustCompile(`EXAMPLE`), "an example value from the AWS documentation"},
	{regexp.MustCompile(`(^|[/.@])example\.(com|org|net)([/:]|$)`), "an example.com domain (RFC 2606)"},
}

// placeholders lists the recorded answers that still hold example values:
// first those the catalog declares (a question marked placeholder whose
// answer is still its default), then other answers that look like the
// examples above.
func (e *Engine) placeholders(ctx context.Context, root string, m *manifest.Manifest) ([]Placeholder, answers.Values, error) {
	components := componentNames(m)
	qs, err := e.Catalog.Questions(components)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := m.AnswerNodes()
	if err != nil {
		return nil, nil, err
	}
	given := map[string]*yaml.Node{}
	for _, q := range qs {
		if n, ok := nodes[q.Name]; ok {
			given[q.Name] = n
		}
	}
	src := e.sources(components, filepath.Base(root))
	src.File = given
	resolved, err := answers.ResolveAll(ctx, qs, src)
	if err != nil {
		return nil, nil, err
	}
	out := []Placeholder{}
	declared := map[string]bool{}
	for _, p := range resolved.Placeholders {
		declared[p.Name] = true
		out = append(out, Placeholder{Answer: p.Name, Value: p.Value, Reason: p.Reason})
	}
	looks, err := lookalikePlaceholders(m)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range looks {
		if !declared[p.Answer] {
			out = append(out, p)
		}
	}
	return out, resolved.Values, nil
}

// lookalikePlaceholders lists the recorded answers that look like example
// values, whether or not the catalog declares them.
func lookalikePlaceholders(m *manifest.Manifest) ([]Placeholder, error) {
	nodes, err := m.AnswerNodes()
	if err != nil {
		return nil, err
	}
	out := []Placeholder{}
	keys := make([]string, 0, len(nodes))
	for k := range nodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v any
		if err := nodes[k].Decode(&v); err != nil {
			return nil, failure.Invalidf("%s: recorded answer %s: %w", manifest.FileName, failure.Quote(k), err)
		}
		var texts []string
		switch t := v.(type) {
		case string:
			texts = []string{t}
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					texts = append(texts, s)
				}
			}
		}
		for _, s := range texts {
			for _, p := range placeholderRules {
				if p.pattern.MatchString(s) {
					out = append(out, Placeholder{Answer: k, Value: s, Reason: p.reason})
					break
				}
			}
		}
	}
	return out, nil
}

package audit

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/secgen/secgen/generator/catalog"
)

// yamlRules stand for the Kubernetes rules that make kustomizations built.
var yamlRules = []*Rule{{Check: catalog.Check{Match: "**/*.{yaml,yml}"}}}

// listed returns a MapFS's files, as listFiles gives them.
func listed(m fstest.MapFS) []string {
	var files []string
	for p := range m {
		files = append(files, p)
	}
	slices.Sort(files)
	return files
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: example.org/api:1
`

func kfile(body string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + body)}
}

// TestKustomizeRefuses: what a hermetic build cannot do is a kustomize
// diagnostic at the line that asks for it, never a fetch, an exec or a
// finding.
func TestKustomizeRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		tree fstest.MapFS
		file string
		line int
		says string
	}{
		"http resource": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - https://example.org/deploy.yaml\n"),
		}, "o/kustomization.yaml", 4, "remote"},
		"git base": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - d.yaml\n  - github.com/org/repo/base?ref=v1\n"),
			"o/d.yaml":             {Data: []byte(deployment)},
		}, "o/kustomization.yaml", 5, "remote"},
		"remote patch": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - d.yaml\npatches:\n  - path: https://example.org/p.yaml\n"),
			"o/d.yaml":             {Data: []byte(deployment)},
		}, "o/kustomization.yaml", 6, "remote"},
		"outside the tree": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - ../../etc\n"),
		}, "o/kustomization.yaml", 4, "not a file or directory of the audited tree"},
		"not listed (a symbolic link)": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - ../base\n"),
		}, "o/kustomization.yaml", 4, "not a file or directory of the audited tree"},
		"helm": {fstest.MapFS{
			"o/kustomization.yaml": kfile("helmCharts:\n  - name: web\n    repo: https://charts.example.org\n"),
		}, "o/kustomization.yaml", 1, "Helm"},
		"exec plugin": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - d.yaml\ntransformers:\n  - t.yaml\n"),
			"o/d.yaml":             {Data: []byte(deployment)},
			"o/t.yaml":             {Data: []byte("apiVersion: example.org/v1\nkind: Sed\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: /bin/sh\n")},
		}, "o/kustomization.yaml", 1, "plugins"},
		"kustomize error": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - d.yaml\n  - e.yaml\n"),
			"o/d.yaml":             {Data: []byte(deployment)},
			"o/e.yaml":             {Data: []byte(deployment)},
		}, "o/kustomization.yaml", 1, "kustomize cannot build it"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kb := kustomizeAll(context.Background(), c.tree, listed(c.tree), nil, yamlRules, false)
			if len(kb.files) != 0 || len(kb.diags) != 1 {
				t.Fatalf("built %d files, diagnostics %+v; want one diagnostic", len(kb.files), kb.diags)
			}
			d := kb.diags[0]
			if d.Kind != DiagKustomize || d.File != c.file || d.Line != c.line || !d.Fails || !strings.Contains(d.Reason, c.says) {
				t.Errorf("diagnostic %+v; want %s:%d failing, saying %q", d, c.file, c.line, c.says)
			}
		})
	}
}

// TestKustomizeBudget: bases that multiply (each level names two copies of
// the next) are refused before kustomize runs, by count.
func TestKustomizeBudget(t *testing.T) {
	t.Parallel()
	tree := fstest.MapFS{"top/kustomization.yaml": kfile("resources:\n  - ../l0a\n  - ../l0b\n")}
	const levels = 10
	for i := range levels {
		for _, side := range []string{"a", "b"} {
			dir := fmt.Sprintf("l%d%s", i, side)
			if i == levels-1 {
				tree[dir+"/kustomization.yaml"] = kfile("namePrefix: " + side + "-\nresources:\n  - d.yaml\n")
				tree[dir+"/d.yaml"] = &fstest.MapFile{Data: []byte(deployment)}
				continue
			}
			tree[dir+"/kustomization.yaml"] = kfile(fmt.Sprintf("namePrefix: %s-\nresources:\n  - ../l%da\n  - ../l%db\n", side, i+1, i+1))
		}
	}
	kb := kustomizeAll(context.Background(), tree, listed(tree), nil, yamlRules, false)
	if len(kb.diags) != 1 || !strings.Contains(kb.diags[0].Reason, "more than 256 kustomizations") || kb.diags[0].File != "top/kustomization.yaml" {
		t.Fatalf("diagnostics %+v; want the budget refused at top/kustomization.yaml", kb.diags)
	}
}

// TestTreeFSConfined: kustomize sees only the listed files, read-only.
func TestTreeFSConfined(t *testing.T) {
	t.Parallel()
	tree := fstest.MapFS{"a/k.yaml": {Data: []byte("x: 1\n")}, "secret.txt": {Data: []byte("no")}}
	fsys := newTreeFS(tree, []string{"a/k.yaml"}, 1<<20)
	if _, err := fsys.ReadFile("/secret.txt"); err == nil {
		t.Error("read a file that is not listed")
	}
	if _, err := fsys.ReadFile("/a/../../../a/k.yaml"); err != nil {
		t.Errorf("a path cleaned into the tree: %v", err)
	}
	if err := fsys.WriteFile("/a/new.yaml", []byte("x")); err == nil {
		t.Error("wrote to the audited tree")
	}
	if err := fsys.MkdirAll("/b"); err == nil {
		t.Error("made a directory in the audited tree")
	}
	if _, err := fsys.Create("/a/c"); err == nil {
		t.Error("created a file in the audited tree")
	}
	small := newTreeFS(tree, []string{"a/k.yaml"}, 2)
	if _, err := small.ReadFile("/a/k.yaml"); err == nil {
		t.Error("read past the byte budget")
	}
	if names, err := fsys.ReadDir("/"); err != nil || !slices.Equal(names, []string{"a"}) {
		t.Errorf("ReadDir / = %v, %v; want [a]", names, err)
	}
}

// BenchmarkKustomizeOverlay is the cost of one overlay build, located
// (kustomize-overlays corpus: five overlays over one base), after the
// one-time schema load.
func BenchmarkKustomizeOverlay(b *testing.B) {
	dir := filepath.Join("testdata", "world", "kustomize-overlays", "tree")
	root := os.DirFS(dir)
	var files []string
	if err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	kustomizeAll(context.Background(), root, files, nil, yamlRules, false) // schema loaded once per process
	b.ResetTimer()
	for b.Loop() {
		kb := kustomizeAll(context.Background(), root, files, nil, yamlRules, false)
		if len(kb.diags) != 0 || len(kb.files) != 5 {
			b.Fatalf("built %d files, diagnostics %+v", len(kb.files), kb.diags)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/5/1e6, "ms/overlay")
}

// An excluded base is out of the audit's scope but still part of what a deploy
// applies: the overlay that reads it is built (not refused as "not in the tree").
func TestKustomizeReadsExcludedBases(t *testing.T) {
	t.Parallel()
	tree := fstest.MapFS{
		"base/kustomization.yaml": kfile("resources:\n  - d.yaml\n"),
		"base/d.yaml":             {Data: []byte(deployment)},
		"o/kustomization.yaml":    kfile("resources:\n  - ../base\n"),
	}
	kb := kustomizeAll(context.Background(), tree, []string{"o/kustomization.yaml"}, []string{"base/d.yaml", "base/kustomization.yaml"}, yamlRules, false)
	if len(kb.diags) != 0 || len(kb.files) == 0 {
		t.Fatalf("built %d files, diagnostics %+v; want the overlay built", len(kb.files), kb.diags)
	}
	refused := kustomizeAll(context.Background(), tree, []string{"o/kustomization.yaml"}, nil, yamlRules, false)
	if len(refused.diags) != 1 {
		t.Fatalf("without the excluded files listed: diagnostics %+v; want one", refused.diags)
	}
}

// captureStderr returns what f writes to the process's standard error,
// through os.Stderr or the log package (kustomize uses both). It swaps
// process-wide writers, so its callers are never parallel.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, savedLog := os.Stderr, log.Writer()
	os.Stderr = w
	log.SetOutput(w)
	out := make(chan string)
	go func() {
		data, _ := io.ReadAll(r)
		out <- string(data)
	}()
	defer func() {
		os.Stderr = saved
		log.SetOutput(savedLog)
	}()
	f()
	w.Close()
	return <-out
}

// Kustomize never writes to the user's terminal: a kustomization with vars
// (about which kustomize always warns) is a diagnostic at its vars, and one
// with its own sort order is built without kustomize's warning about the
// order option.
func TestKustomizePrintsNothing(t *testing.T) {
	withArgs := strings.Replace(deployment, "image: example.org/api:1\n", "image: example.org/api:1\n          args: [\"--name=$(API_NAME)\"]\n", 1)
	cases := map[string]struct {
		tree fstest.MapFS
		diag string // the diagnostic's reason, "" when the overlay is built
		line int
	}{
		"vars": {fstest.MapFS{
			"base/kustomization.yaml": kfile("resources:\n  - d.yaml\n"),
			"base/d.yaml":             {Data: []byte(withArgs)},
			"o/kustomization.yaml": kfile("resources:\n  - ../base\nvars:\n  - name: API_NAME\n    objref: {kind: Deployment, name: api, apiVersion: apps/v1}\n" +
				"  - name: UNUSED\n    objref: {kind: Deployment, name: api, apiVersion: apps/v1}\n"),
		}, "uses vars", 5},
		"sort order": {fstest.MapFS{
			"o/kustomization.yaml": kfile("resources:\n  - d.yaml\nsortOptions:\n  order: fifo\n"),
			"o/d.yaml":             {Data: []byte(deployment)},
		}, "", 0},
	}
	for name, c := range cases {
		var kb *kustomizeBuilds
		printed := captureStderr(t, func() {
			kb = kustomizeAll(context.Background(), c.tree, listed(c.tree), nil, yamlRules, false)
		})
		if printed != "" {
			t.Errorf("%s: kustomize printed %q", name, printed)
		}
		switch {
		case c.diag == "" && (len(kb.diags) != 0 || len(kb.files) == 0):
			t.Errorf("%s: built %d files, diagnostics %+v; want it built", name, len(kb.files), kb.diags)
		case c.diag != "" && (len(kb.diags) != 1 || !strings.Contains(kb.diags[0].Reason, c.diag) || kb.diags[0].Line != c.line || !kb.diags[0].Fails):
			t.Errorf("%s: diagnostics %+v; want one failing at line %d saying %q", name, kb.diags, c.line, c.diag)
		}
	}
}

// blockingFS is a tree whose file slow blocks its reader until ctx is done,
// then records that the read ended.
type blockingFS struct {
	fstest.MapFS
	slow    string
	ctx     context.Context
	started chan struct{}
	ended   atomic.Bool
}

func (b *blockingFS) Open(p string) (fs.File, error) {
	if p == b.slow {
		close(b.started)
		<-b.ctx.Done()
		defer b.ended.Store(true)
	}
	return b.MapFS.Open(p)
}

// A build stopped while it reads (its time is up, or the audit is
// cancelled) is not audited, and has ended when the audit returns: no
// build goroutine outlives it.
func TestKustomizeBuildStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tree := &blockingFS{MapFS: fstest.MapFS{
		"o/kustomization.yaml": kfile("resources:\n  - d.yaml\n"),
		"o/d.yaml":             {Data: []byte(deployment)},
	}, slow: "o/d.yaml", ctx: ctx, started: make(chan struct{})}
	go func() {
		<-tree.started
		cancel()
	}()
	kb := kustomizeAll(ctx, tree, listed(tree.MapFS), nil, yamlRules, false)
	if !tree.ended.Load() {
		t.Error("the build was still reading when the audit returned")
	}
	if len(kb.files) != 0 {
		t.Errorf("a stopped build's %d files were audited", len(kb.files))
	}
}

// A built object is traced to the base document whose name is exactly its
// name before the overlay's prefix: with a prefix of web-, web-api comes
// from api, not from web (whose name it also contains), and a patch of web
// does not set web-api's fields (even to the value they have).
func TestKustomizeNamesAreExact(t *testing.T) {
	t.Parallel()
	web := strings.ReplaceAll(deployment, "name: api", "name: web")
	tree := fstest.MapFS{
		"base/kustomization.yaml": kfile("resources:\n  - d.yaml\n"),
		"base/d.yaml":             {Data: []byte(web + "---\n" + strings.Replace(deployment, "spec:\n", "spec:\n  replicas: 3\n", 1))},
		"o/kustomization.yaml":    kfile("namePrefix: web-\nresources:\n  - ../base\npatches:\n  - path: p.yaml\n"),
		"o/p.yaml":                {Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n")},
	}
	kb := kustomizeAll(context.Background(), tree, listed(tree), nil, yamlRules, false)
	if len(kb.diags) != 0 || len(kb.files) != 1 {
		t.Fatalf("built %d files, diagnostics %+v", len(kb.files), kb.diags)
	}
	where := map[string]location{}
	for _, d := range kb.files[0].Documents {
		name := metaName(d.Value)
		where[name] = kb.locs[-d.Line-1]
		if l, ok := d.Lines["spec.replicas"]; ok {
			where[name+" replicas"] = kb.locs[-l-1]
		}
	}
	if l := where["web-api"]; l.file != "base/d.yaml" || l.line != 12 {
		t.Errorf("web-api is traced to %s:%d; want base/d.yaml:12 (api)", l.file, l.line)
	}
	if l := where["web-web replicas"]; l.file != "o/p.yaml" {
		t.Errorf("web-web's replicas are traced to %s:%d; want o/p.yaml", l.file, l.line)
	}
	if l := where["web-api replicas"]; l.file != "base/d.yaml" || l.line != 17 {
		t.Errorf("web-api's replicas are traced to %s:%d; want base/d.yaml:17 (the patch of web does not set them)", l.file, l.line)
	}
}

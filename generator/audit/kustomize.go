package audit

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/secgen/secgen/generator/catalog"
)

// DiagKustomize: a kustomization was not built (a remote base, a Helm
// chart, a plugin, an error of kustomize's own, or over its budget), so
// what it applies was not audited.
const DiagKustomize = "kustomize"

// Budgets of one kustomize build: a hostile kustomization (bases that
// include each other's copies, huge generated trees) is a diagnostic, never
// a hang.
const (
	// maxKustomizeVisits bounds the kustomizations one build visits,
	// counting each time a base is reached.
	maxKustomizeVisits = 256
	// maxKustomizeBytes bounds the bytes one build reads.
	maxKustomizeBytes = 64 << 20
	// maxKustomizeObjects bounds the objects one build outputs.
	maxKustomizeObjects = 10_000
	// kustomizeTimeout bounds the time of one build.
	kustomizeTimeout = 20 * time.Second
)

// kustomization is one parsed kustomization file.
type kustomization struct {
	file string // tree path
	k    types.Kustomization
	node *yaml.Node
}

// kpatch is one patch a kustomization applies, located in its file.
type kpatch struct {
	owner  string // the directory of the kustomization that applies it
	file   string
	target *types.Selector
	docs   []Document // strategic-merge patch documents (lines in file)
	ops    []jsonOp   // JSON 6902 operations
}

// jsonOp is one JSON 6902 operation that sets a value.
type jsonOp struct {
	path  string // dotted, as Document.Lines keys
	value any
	line  int
	lines map[string]int // dotted paths inside value -> line
}

// overlayPlan is what building one top-level kustomization reads.
type overlayPlan struct {
	dir, file string
	patches   []kpatch // in the order kustomize applies them
	patchSet  map[string]bool
	// How names change on the way up: each kustomization's namePrefix and
	// nameSuffix, the kustomizations that include each one as a resource,
	// and those that list each resource file.
	affixes map[string][2]string
	parents map[string][]string
	owners  map[string][]string
}

// refusal is why a kustomization is not built.
type refusal struct {
	file   string
	line   int
	reason string
}

// kustomizeFile returns the kustomization file of a tree directory, as
// kustomize looks for it.
func kustomizeFile(t *treeFS, dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if p := path.Join(dir, n); t.files[p] {
			return p
		}
	}
	return ""
}

// loadKustomization parses a kustomization file (deprecated fields moved
// where kustomize moves them).
func loadKustomization(t *treeFS, file string) (*kustomization, *refusal) {
	data, err := t.read(file)
	if err != nil {
		return nil, &refusal{file: file, line: 1, reason: oneLine(err.Error())}
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, &refusal{file: file, line: 1, reason: "the kustomization does not parse: " + yamlError(err, 1)}
	}
	kz := &kustomization{file: file, node: &node}
	if err := kz.k.Unmarshal(data); err != nil {
		return nil, &refusal{file: file, line: 1, reason: "the kustomization is not valid: " + oneLine(err.Error())}
	}
	kz.k.FixKustomization()
	return kz, nil
}

// remoteRef reports whether a kustomization entry names something kustomize
// would fetch (a URL or a git repository) rather than a file of the tree.
func remoteRef(ref string) bool {
	l := strings.ToLower(ref)
	for _, s := range []string{"://", "::", "?ref=", "?version=", "github.com", "_git/", ".git"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return strings.HasPrefix(l, "git@") || strings.Contains(l, "@") && strings.Contains(l, ":")
}

// lineOfValue is the line of the first scalar of the kustomization whose
// value is v (1 when none is).
func (kz *kustomization) lineOfValue(v string) int {
	line := 0
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if line != 0 {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Value == v {
			line = n.Line
			if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
				line = -n.Line // the text starts on the next line
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(kz.node)
	if line == 0 {
		return 1
	}
	return line
}

// planOverlay reads the kustomization in dir and every local base it
// reaches, refusing what a hermetic build cannot do.
func planOverlay(t *treeFS, dir string) (*overlayPlan, *refusal) {
	plan := &overlayPlan{dir: dir, file: kustomizeFile(t, dir), patchSet: map[string]bool{},
		affixes: map[string][2]string{}, parents: map[string][]string{}, owners: map[string][]string{}}
	visits := 0
	var visit func(dir string, from string, depth int) *refusal
	visit = func(dir, from string, depth int) *refusal {
		visits++
		if visits > maxKustomizeVisits || depth > 64 {
			return &refusal{file: plan.file, line: 1, reason: fmt.Sprintf("the build reaches more than %d kustomizations, so it is not built", maxKustomizeVisits)}
		}
		file := kustomizeFile(t, dir)
		if file == "" {
			return &refusal{file: from, line: 1, reason: fmt.Sprintf("%s has no kustomization file in the audited tree", dir)}
		}
		kz, r := loadKustomization(t, file)
		if r != nil {
			return r
		}
		k := &kz.k
		refuse := func(what, reason string) *refusal {
			l := kz.lineOfValue(what)
			if l < 0 {
				l = -l
			}
			return &refusal{file: file, line: l, reason: reason}
		}
		switch {
		case len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 || k.HelmGlobals != nil:
			return &refusal{file: file, line: 1, reason: "the kustomization inflates Helm charts, which secgen does not render: audit the output of `kustomize build --enable-helm` instead"}
		case len(k.Generators) > 0 || len(k.Transformers) > 0 || len(k.Validators) > 0:
			return &refusal{file: file, line: 1, reason: "the kustomization runs generator, transformer or validator plugins, which secgen does not run: audit the output of `kustomize build` instead"}
		case len(k.OpenAPI) > 0:
			return &refusal{file: file, line: 1, reason: "the kustomization replaces kustomize's OpenAPI schema, which secgen does not do: audit the output of `kustomize build` instead"}
		//lint:ignore SA1019 the deprecated field is what users' kustomizations still hold, and is refused here
		case len(k.Vars) > 0:
			// kustomize warns about vars on the terminal on every build,
			// which secgen never lets through: they are refused instead.
			return refuse("vars", "the kustomization uses vars, which kustomize deprecates and secgen does not build: convert them to replacements (`kustomize edit fix --vars`), or audit the output of `kustomize build` instead")
		}
		plan.affixes[dir] = [2]string{k.NamePrefix, k.NameSuffix}
		local := func(ref string) (string, *refusal) {
			if remoteRef(ref) {
				return "", refuse(ref, fmt.Sprintf("%q is a remote base or file, which the audit does not fetch: audit the output of `kustomize build` instead", ref))
			}
			p := path.Join(dir, ref)
			if path.IsAbs(ref) || p == ".." || strings.HasPrefix(p, "../") || !t.Exists("/"+p) {
				return "", refuse(ref, fmt.Sprintf("%q is not a file or directory of the audited tree (a symbolic link or outside it)", ref))
			}
			return p, nil
		}
		for i, ref := range slices.Concat(k.Resources, k.Components) {
			p, r := local(ref)
			if r != nil {
				return r
			}
			switch {
			case t.dirs[p]:
				if i < len(k.Resources) && !slices.Contains(plan.parents[p], dir) {
					plan.parents[p] = append(plan.parents[p], dir)
				}
				if r := visit(p, file, depth+1); r != nil {
					return r
				}
			case !slices.Contains(plan.owners[p], dir):
				plan.owners[p] = append(plan.owners[p], dir)
			}
		}
		for _, ref := range slices.Concat(k.Crds, k.Configurations) {
			if _, r := local(ref); r != nil {
				return r
			}
		}
		var sources []string
		for _, g := range k.ConfigMapGenerator {
			sources = slices.Concat(sources, g.FileSources, g.EnvSources)
		}
		for _, g := range k.SecretGenerator {
			sources = slices.Concat(sources, g.FileSources, g.EnvSources)
		}
		{
			for _, src := range sources {
				_, f, ok := strings.Cut(src, "=")
				if !ok {
					f = src
				}
				if remoteRef(f) {
					return refuse(src, fmt.Sprintf("%q is a remote file, which the audit does not fetch", src))
				}
			}
		}
		for _, r := range k.Replacements {
			if r.Path != "" && remoteRef(r.Path) {
				return refuse(r.Path, fmt.Sprintf("%q is a remote file, which the audit does not fetch", r.Path))
			}
		}
		addPatch := func(ref, inline string, target *types.Selector) *refusal {
			kp := kpatch{owner: dir, target: target}
			var text []byte
			offset := 0
			if ref != "" {
				f, r := local(ref)
				if r != nil {
					return r
				}
				data, err := t.read(f)
				if err != nil {
					return refuse(ref, oneLine(err.Error()))
				}
				kp.file, text = f, data
				plan.patchSet[f] = true
			} else {
				kp.file, text = file, []byte(inline)
				if l := kz.lineOfValue(inline); l < 0 {
					offset = -l
				} else {
					offset = l - 1
				}
			}
			kp.docs, kp.ops = parsePatch(kp.file, text, offset)
			plan.patches = append(plan.patches, kp)
			return nil
		}
		// The order kustomize applies them in: strategic-merge patches,
		// patches, then JSON 6902 patches.
		//lint:ignore SA1019 the deprecated field is what users' kustomizations still hold, and kustomize still applies it
		for _, p := range k.PatchesStrategicMerge {
			ref, inline := string(p), ""
			// As kustomize tells them apart: a file if it reads as one.
			if !t.files[path.Join(dir, ref)] && strings.Contains(ref, "\n") {
				ref, inline = "", string(p)
			}
			if r := addPatch(ref, inline, nil); r != nil {
				return r
			}
		}
		//lint:ignore SA1019 the deprecated field is what users' kustomizations still hold, and kustomize still applies it
		for _, p := range slices.Concat(k.Patches, k.PatchesJson6902) {
			if r := addPatch(p.Path, p.Patch, p.Target); r != nil {
				return r
			}
		}
		return nil
	}
	if r := visit(dir, plan.file, 0); r != nil {
		return nil, r
	}
	return plan, nil
}

// parsePatch reads a patch's text: a list of JSON 6902 operations, or
// strategic-merge documents. offset is the line before the text's first.
func parsePatch(file string, text []byte, offset int) ([]Document, []jsonOp) {
	var n yaml.Node
	if yaml.Unmarshal(text, &n) == nil && len(n.Content) == 1 && n.Content[0].Kind == yaml.SequenceNode {
		var ops []jsonOp
		for _, item := range n.Content[0].Content {
			if item.Kind != yaml.MappingNode {
				continue
			}
			var op, p string
			var value *yaml.Node
			for i := 0; i+1 < len(item.Content); i += 2 {
				switch item.Content[i].Value {
				case "op":
					op = item.Content[i+1].Value
				case "path":
					p = item.Content[i+1].Value
				case "value":
					value = item.Content[i+1]
				}
			}
			if (op != "add" && op != "replace") || value == nil {
				continue
			}
			var v any
			if value.Decode(&v) != nil {
				continue
			}
			o := jsonOp{path: pointerPath(p), value: normalize(v), line: value.Line + offset, lines: map[string]int{}}
			indexLines(value, "", offset, o.lines)
			ops = append(ops, o)
		}
		return nil, ops
	}
	docs, _ := parseYAML(file, shiftLines(text, offset))
	return docs, nil
}

// shiftLines prefixes text with offset empty lines, so parsed lines are the
// file's.
func shiftLines(text []byte, offset int) []byte {
	if offset <= 0 {
		return text
	}
	return append([]byte(strings.Repeat("\n", offset)), text...)
}

// pointerPath turns a JSON pointer into a dotted path.
func pointerPath(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return strings.Join(parts, ".")
}

// kustomizeRoots returns the directories of the top-level kustomizations:
// those no other kustomization of the tree names as a resource or
// component, and that are not themselves components.
func kustomizeRoots(t *treeFS, files []string) []string {
	var dirs []string
	named := map[string]bool{}
	for _, p := range files {
		if !kustomizationNames[path.Base(p)] || kustomizeFile(t, path.Dir(p)) != p {
			continue
		}
		kz, r := loadKustomization(t, p)
		if r != nil {
			dirs = append(dirs, path.Dir(p)) // built, so the error is reported
			continue
		}
		if kz.k.Kind == types.ComponentKind {
			named[path.Dir(p)] = true
		}
		for _, ref := range slices.Concat(kz.k.Resources, kz.k.Components) {
			if !remoteRef(ref) {
				named[path.Join(path.Dir(p), ref)] = true
			}
		}
		dirs = append(dirs, path.Dir(p))
	}
	var roots []string
	for _, d := range dirs {
		if !named[d] {
			roots = append(roots, d)
		}
	}
	slices.Sort(roots)
	return slices.Compact(roots)
}

// location is where a built value comes from.
type location struct {
	file string
	line int
}

// builtOverlay is one top-level kustomization built.
type builtOverlay struct {
	plan  *overlayPlan
	files []parsedFile // built objects, grouped by the file that defines them
}

// buildOverlay builds the kustomization in dir with kustomize, hermetically,
// and returns its objects as documents whose lines are ids into *locs. The
// build ends within its time (or when ctx is done) at its next read of the
// tree, and buildOverlay returns only once it has ended: no build outlives
// the audit.
func buildOverlay(ctx context.Context, t *treeFS, dir string, parsedBase func(string) []Document, locs *[]location) (*builtOverlay, *refusal) {
	plan, r := planOverlay(t, dir)
	if r != nil {
		return nil, r
	}
	// Origin annotations say which file each object comes from; they are
	// asked for on the build root only, in memory, and dropped before the
	// objects are audited.
	ctx, cancel := context.WithTimeout(ctx, kustomizeTimeout)
	defer cancel()
	bfs := &buildFS{treeFS: t, ctx: ctx, root: plan.file}
	type result struct {
		objs []builtObject
		err  error
	}
	done := make(chan result, 1)
	go func() {
		objs, err := runKustomize(bfs, dir)
		done <- result{objs, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res = <-done // it stops at its next read
	}
	if ctx.Err() != nil {
		return nil, &refusal{file: plan.file, line: 1, reason: fmt.Sprintf("the build takes more than %s, so it is not audited", kustomizeTimeout)}
	}
	if res.err != nil {
		return nil, &refusal{file: plan.file, line: 1, reason: "kustomize cannot build it: " + oneLine(res.err.Error())}
	}
	if len(res.objs) > maxKustomizeObjects {
		return nil, &refusal{file: plan.file, line: 1, reason: fmt.Sprintf("the build outputs more than %d objects, so it is not audited", maxKustomizeObjects)}
	}
	out := &builtOverlay{plan: plan}
	byFile := map[string]int{}
	for _, o := range res.objs {
		origin := plan.file
		if o.origin != "" {
			origin = path.Join(dir, o.origin)
		}
		docs, _ := parseYAML(origin, o.yaml)
		if len(docs) != 1 {
			continue
		}
		d := docs[0]
		mapDocument(&d, origin, parsedBase(origin), plan, locs)
		i, ok := byFile[origin]
		if !ok {
			i = len(out.files)
			byFile[origin] = i
			out.files = append(out.files, parsedFile{Path: origin})
		}
		out.files[i].Documents = append(out.files[i].Documents, d)
	}
	return out, nil
}

// builtObject is one object kustomize output, with the file it comes from
// (relative to the build root; empty when generated).
type builtObject struct {
	yaml   []byte
	origin string
}

const originAnnotation = "config.kubernetes.io/origin"

// runKustomize runs kustomize's own build on the tree.
func runKustomize(t *buildFS, dir string) (objs []builtObject, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("kustomize failed: %v", p)
		}
	}()
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	if kz, r := loadKustomization(t.treeFS, t.root); r == nil && kz.k.SortOptions != nil {
		// The kustomization's own order; kustomize warns on the terminal
		// when an order is also given as an option.
		opts.Reorder = krusty.ReorderOptionUnspecified
	}
	m, err := krusty.MakeKustomizer(opts).Run(t, "/"+strings.TrimPrefix(dir, "."))
	if err != nil {
		return nil, err
	}
	for _, res := range m.Resources() {
		o := builtObject{}
		if or, err := res.GetOrigin(); err == nil && or != nil && or.Repo == "" {
			o.origin = or.Path
		}
		annos := res.GetAnnotations()
		delete(annos, originAnnotation)
		if err := res.SetAnnotations(annos); err != nil {
			return nil, err
		}
		if o.yaml, err = res.AsYAML(); err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// fixedKustomization is a kustomization as `kustomize edit fix` writes it
// (kustomize's own FixKustomization), strategic-merge patches kept before
// the others and JSON 6902 ones after, in the order kustomize applies them;
// with origin annotations asked for when origins is set.
func fixedKustomization(t *treeFS, file string, data []byte, origins bool) ([]byte, error) {
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return data, nil // kustomize reports it
	}
	k.FixKustomization()
	//lint:ignore SA1019 the deprecated field is what users' kustomizations still hold, and kustomize still applies it
	psm, j6902 := k.PatchesStrategicMerge, k.PatchesJson6902
	//lint:ignore SA1019 the deprecated field is what users' kustomizations still hold, and kustomize still applies it
	k.PatchesStrategicMerge, k.PatchesJson6902 = nil, nil
	if err := k.FixKustomizationPreMarshalling(t); err != nil {
		return nil, err
	}
	var patches []types.Patch
	for _, p := range psm {
		if t.files[path.Join(path.Dir(file), string(p))] {
			patches = append(patches, types.Patch{Path: string(p)})
		} else {
			patches = append(patches, types.Patch{Patch: string(p)})
		}
	}
	k.Patches = slices.Concat(patches, k.Patches, j6902)
	if origins && !slices.Contains(k.BuildMetadata, types.OriginAnnotations) {
		k.BuildMetadata = append(k.BuildMetadata, types.OriginAnnotations)
	}
	return k8syaml.Marshal(&k)
}

// mapDocument rewrites a built document's lines into ids of the locations
// that introduced each value: the last patch that set it, else the file
// that defines the object.
func mapDocument(d *Document, origin string, base []Document, plan *overlayPlan, locs *[]location) {
	id := func(l location) int {
		*locs = append(*locs, l)
		return -len(*locs)
	}
	kind, _ := d.Value["kind"].(string)
	name := metaName(d.Value)
	// The base document is the one of the same kind whose name, through
	// the prefixes and suffixes of the kustomizations on one way from its
	// file up to the build root, is exactly the built name.
	var b *Document
	var way []string   // the kustomization directories, from the file's up
	var names []string // the object's name before each one's affixes, then built
	for i := range base {
		bk, _ := base[i].Value["kind"].(string)
		if bk != kind {
			continue
		}
		for _, w := range plan.ways(origin) {
			if n := plan.namesOn(w, metaName(base[i].Value)); n[len(n)-1] == name {
				b, way, names = &base[i], w, n
				break
			}
		}
		if b != nil {
			break
		}
	}
	if names == nil {
		names = []string{name}
	}
	var patches []kpatch
	for _, p := range plan.patches {
		// A patch applies to the object only from a kustomization on its
		// way up, naming it as it is there (or as it was before).
		seen := names
		if way != nil {
			k := slices.Index(way, p.owner)
			if k < 0 {
				continue
			}
			seen = names[:k+1]
		}
		if p.target != nil {
			if !selects(p.target, kind, name) {
				continue
			}
		} else {
			p.docs = slices.DeleteFunc(slices.Clone(p.docs), func(pd Document) bool {
				pk, _ := pd.Value["kind"].(string)
				return pk != kind || !slices.Contains(seen, metaName(pd.Value))
			})
		}
		patches = append(patches, p)
	}
	lines := make(map[string]int, len(d.Lines))
	for key := range d.Lines {
		lines[key] = id(locate(d.Value, key, b, origin, patches))
	}
	objLine := location{file: origin, line: 1}
	if b != nil {
		objLine.line = b.Line
	}
	d.Lines, d.Line = lines, id(objLine)
}

// maxWays bounds the ways up from one file that naming follows.
const maxWays = 64

// ways are the chains of kustomization directories from one that lists
// file as a resource up to the build root.
func (plan *overlayPlan) ways(file string) [][]string {
	var out [][]string
	var up func(way []string)
	up = func(way []string) {
		if len(out) >= maxWays {
			return
		}
		last := way[len(way)-1]
		if last == plan.dir {
			out = append(out, slices.Clone(way))
			return
		}
		for _, p := range plan.parents[last] {
			if !slices.Contains(way, p) {
				up(append(way, p))
			}
		}
	}
	for _, o := range plan.owners[file] {
		up([]string{o})
	}
	return out
}

// namesOn is an object's name before each kustomization of way applies its
// prefix and suffix, then as built.
func (plan *overlayPlan) namesOn(way []string, name string) []string {
	out := []string{name}
	for _, d := range way {
		a := plan.affixes[d]
		name = a[0] + name + a[1]
		out = append(out, name)
	}
	return out
}

// locate finds where the built value at key comes from.
func locate(built map[string]any, key string, base *Document, origin string, patches []kpatch) location {
	v, _ := valueAt(built, key)
	leaf := !isComposite(v)
	var baseLoc *location
	var baseEqual bool
	if base != nil {
		if bp, ok := resolvePath(built, base.Value, key); ok {
			if l, ok := base.Lines[bp]; ok {
				bv, _ := valueAt(base.Value, bp)
				baseLoc, baseEqual = &location{file: origin, line: l}, reflect.DeepEqual(bv, v)
			}
		}
	}
	if !leaf && baseLoc != nil {
		return *baseLoc
	}
	var anyPatch *location
	for i := len(patches) - 1; i >= 0; i-- {
		p := patches[i]
		for j := range p.docs {
			pd := &p.docs[j]
			pp, ok := resolvePath(built, pd.Value, key)
			if !ok {
				continue
			}
			l, ok := pd.Lines[pp]
			if !ok {
				continue
			}
			pv, _ := valueAt(pd.Value, pp)
			if !leaf || reflect.DeepEqual(pv, v) {
				return location{file: p.file, line: l}
			}
			if anyPatch == nil {
				anyPatch = &location{file: p.file, line: l}
			}
		}
		for _, op := range p.ops {
			rest, ok := strings.CutPrefix(key, op.path)
			if !ok || rest != "" && !strings.HasPrefix(rest, ".") {
				continue
			}
			rest = strings.TrimPrefix(rest, ".")
			ov, ok := valueAt(op.value, rest)
			if !ok {
				continue
			}
			l := op.line
			if x, ok := op.lines[rest]; ok {
				l = x
			}
			if !leaf || reflect.DeepEqual(ov, v) {
				return location{file: p.file, line: l}
			}
		}
	}
	switch {
	case baseLoc != nil && baseEqual:
		return *baseLoc
	case baseLoc != nil:
		return *baseLoc
	case anyPatch != nil:
		return *anyPatch
	case base != nil:
		return location{file: origin, line: base.Line}
	}
	return location{file: origin, line: 1}
}

// selects reports whether a patch target selects an object of this kind and
// name (kustomize's names and kinds are regular expressions).
func selects(s *types.Selector, kind, name string) bool {
	match := func(pattern, v string) bool {
		if pattern == "" {
			return true
		}
		re, err := regexp.Compile("^(?:" + pattern + ")$")
		return err == nil && re.MatchString(v) || strings.Contains(v, pattern)
	}
	return match(s.Kind, kind) && match(s.Name, name)
}

func metaName(v map[string]any) string {
	md, _ := v["metadata"].(map[string]any)
	n, _ := md["name"].(string)
	return n
}

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// valueAt returns the value at a dotted path.
func valueAt(v any, key string) (any, bool) {
	if key == "" {
		return v, true
	}
	for _, seg := range strings.Split(key, ".") {
		switch t := v.(type) {
		case map[string]any:
			x, ok := t[seg]
			if !ok {
				return nil, false
			}
			v = x
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// resolvePath translates a dotted path of from into the same place of to:
// list elements with a name (containers, volumes, env) are matched by name,
// as a strategic merge matches them, others by index.
func resolvePath(from, to any, key string) (string, bool) {
	var out []string
	for _, seg := range strings.Split(key, ".") {
		switch t := from.(type) {
		case map[string]any:
			tm, ok := to.(map[string]any)
			if !ok {
				return "", false
			}
			from, to = t[seg], tm[seg]
			if to == nil {
				if _, ok := tm[seg]; !ok {
					return "", false
				}
			}
			out = append(out, seg)
		case []any:
			tl, ok := to.([]any)
			i, err := strconv.Atoi(seg)
			if !ok || err != nil || i < 0 || i >= len(t) {
				return "", false
			}
			j := i
			if m, ok := t[i].(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					j = slices.IndexFunc(tl, func(e any) bool {
						em, _ := e.(map[string]any)
						en, _ := em["name"].(string)
						return en == n
					})
				}
			}
			if j < 0 || j >= len(tl) {
				return "", false
			}
			from, to = t[i], tl[j]
			out = append(out, strconv.Itoa(j))
		default:
			return "", false
		}
	}
	return strings.Join(out, "."), true
}

// kustomizeFS returns the audited tree as kustomize sees it.
func kustomizeFS(root fs.FS, files []string) *treeFS {
	return newTreeFS(root, files, maxKustomizeBytes)
}

// builtRule reports whether a rule judges built kustomize objects: a rule
// over whole Kubernetes objects or their containers (not a fragment rule,
// not a file or project rule).
func builtRule(r *Rule) bool {
	return !r.Fragments && (r.Format == "" || r.Format == "yaml") &&
		(r.Scope == "" || r.Scope == "object" || r.Scope == "container")
}

// kustomizeBuilds are the objects of every top-level kustomization of a
// tree, built.
type kustomizeBuilds struct {
	files   []parsedFile    // built objects, by the file that defines them; lines are -(index into locs)-1
	locs    []location      // where each built value comes from
	patches map[string]bool // patch files of the overlays built (audited through them)
	diags   []Diagnostic
}

// kustomizeAll builds, on all cores, every top-level kustomization
// of the tree that a rule would judge (none when only some files are
// audited: update audits what it changed). The builds read excluded files
// too (a deploy applies them); only the audited files' kustomizations are
// built.
func kustomizeAll(ctx context.Context, root fs.FS, files, excluded []string, rules []*Rule, partial bool) *kustomizeBuilds {
	kb := &kustomizeBuilds{patches: map[string]bool{}}
	if partial || len(rules) == 0 {
		return kb
	}
	judged := func(p string) bool {
		if path.Base(p) == "Kustomization" {
			p += ".yaml"
		}
		for _, r := range rules {
			if catalog.GlobMatch(r.Match, p) {
				return true
			}
		}
		return false
	}
	var kfiles []string
	for _, p := range files {
		if kustomizationNames[path.Base(p)] && judged(p) {
			kfiles = append(kfiles, p)
		}
	}
	if len(kfiles) == 0 {
		return kb
	}
	t := kustomizeFS(root, append(slices.Clone(files), excluded...))
	var mu sync.Mutex
	bases := map[string][]Document{}
	parsedBase := func(p string) []Document {
		mu.Lock()
		defer mu.Unlock()
		if docs, ok := bases[p]; ok {
			return docs
		}
		data, err := t.read(p)
		if err != nil {
			return nil
		}
		docs, _ := parseYAML(p, normalizeText(data))
		bases[p] = docs
		return docs
	}
	// The overlays are built on all cores, each numbering its locations
	// from 0; they are renumbered after those of the overlays before it.
	roots := kustomizeRoots(t, kfiles)
	type build struct {
		ov   *builtOverlay
		r    *refusal
		locs []location
	}
	builds := make([]build, len(roots))
	parallel(len(roots), func(i int) {
		if ctx.Err() != nil {
			return
		}
		b := &builds[i]
		b.ov, b.r = buildOverlay(ctx, t, roots[i], parsedBase, &b.locs)
	})
	for _, b := range builds {
		switch {
		case b.r != nil:
			kb.diags = append(kb.diags, Diagnostic{File: b.r.file, Line: b.r.line, Kind: DiagKustomize, Fails: true, Reason: b.r.reason})
			continue
		case b.ov == nil:
			continue // not built: the audit was cancelled
		}
		offset := len(kb.locs)
		kb.locs = append(kb.locs, b.locs...)
		for i := range b.ov.files {
			for j := range b.ov.files[i].Documents {
				d := &b.ov.files[i].Documents[j]
				d.Line -= offset
				for k, id := range d.Lines {
					d.Lines[k] = id - offset
				}
			}
		}
		for p := range b.ov.plan.patchSet {
			kb.patches[p] = true
		}
		kb.files = append(kb.files, b.ov.files...)
	}
	return kb
}

// remap points the findings on built objects at the file and line that
// introduced the offending value, and drops those another finding already
// reports at the same place.
func (kb *kustomizeBuilds) remap(all []Finding) []Finding {
	if len(kb.locs) == 0 {
		return all
	}
	type place struct {
		rule, file, element, object string
		line                        int
	}
	seen := map[place]bool{}
	for _, f := range all {
		if f.Line >= 0 {
			seen[place{f.Rule, f.File, f.Element, "", f.Line}] = true
		}
	}
	out := all[:0:0]
	for _, f := range all {
		if f.Line < 0 {
			l := kb.locs[-f.Line-1]
			f.File, f.Line = l.file, l.line
			if seen[place{f.Rule, f.File, f.Element, "", f.Line}] || seen[place{f.Rule, f.File, f.Element, f.Object, f.Line}] {
				continue
			}
			seen[place{f.Rule, f.File, f.Element, f.Object, f.Line}] = true
		}
		out = append(out, f)
	}
	return out
}

package audit

import (
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kustomizationNames are the file names kustomize reads as a kustomization.
var kustomizationNames = map[string]bool{"kustomization.yaml": true, "kustomization.yml": true, "Kustomization": true}

// patchFragments returns the project files some kustomization names as a
// patch (patches[].path, patchesStrategicMerge, patchesJson6902[].path):
// partial objects that only make sense over their base, so whole-object
// rules never judge them alone.
func patchFragments(root fs.FS, files []string) map[string]bool {
	out := map[string]bool{}
	for _, p := range files {
		if !kustomizationNames[path.Base(p)] {
			continue
		}
		data, reason := readFile(root, p)
		if reason != "" {
			continue
		}
		var k struct {
			Patches []struct {
				Path string `yaml:"path"`
			} `yaml:"patches"`
			PatchesStrategicMerge []string `yaml:"patchesStrategicMerge"`
			PatchesJSON6902       []struct {
				Path string `yaml:"path"`
			} `yaml:"patchesJson6902"`
		}
		if yaml.Unmarshal(normalizeText(data), &k) != nil {
			continue
		}
		refs := slicesOf(k.PatchesStrategicMerge)
		for _, x := range k.Patches {
			refs = append(refs, x.Path)
		}
		for _, x := range k.PatchesJSON6902 {
			refs = append(refs, x.Path)
		}
		dir := path.Dir(p)
		for _, r := range refs {
			// An inline patch (YAML text) is not a file.
			if r == "" || strings.ContainsAny(r, "\n:") || path.IsAbs(r) {
				continue
			}
			if f := path.Join(dir, r); !strings.HasPrefix(f, "../") && f != ".." {
				out[f] = true
			}
		}
	}
	return out
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }

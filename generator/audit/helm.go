package audit

import (
	"path"
	"slices"
	"strings"
)

// DiagHelm: a Helm chart's templates were not rendered, so the objects the
// chart applies were not audited.
const DiagHelm = "helm"

// charts are the Helm charts of a tree: the directories holding a
// Chart.yaml, whose templates/ are chart sources rather than objects.
type charts struct {
	dirs   []string        // chart directories, longest first
	judged map[string]bool // charts some Kubernetes rule would have read
}

// helmCharts finds the charts among the listed files.
func helmCharts(files []string) *charts {
	c := &charts{judged: map[string]bool{}}
	for _, p := range files {
		if path.Base(p) == "Chart.yaml" {
			c.dirs = append(c.dirs, path.Dir(p))
		}
	}
	slices.SortFunc(c.dirs, func(a, b string) int { return len(b) - len(a) })
	return c
}

// source returns the chart whose template p is, if any.
func (c *charts) source(p string) string {
	for _, d := range c.dirs {
		prefix := path.Join(d, "templates") + "/"
		if d == "." {
			prefix = "templates/"
		}
		if strings.HasPrefix(p, prefix) {
			return d
		}
	}
	return ""
}

// diagnostics says, once per chart a rule would have judged, that it was
// not rendered and how to audit what it applies.
func (c *charts) diagnostics() []Diagnostic {
	var out []Diagnostic
	for _, d := range c.dirs {
		if !c.judged[d] {
			continue
		}
		out = append(out, Diagnostic{File: path.Join(d, "Chart.yaml"), Line: 1, Kind: DiagHelm, Fails: true,
			Reason: "a Helm chart is not rendered, so the objects it applies are not audited: render it with helm template into a directory (its values file given) and audit that directory with the k8s component"})
	}
	return out
}

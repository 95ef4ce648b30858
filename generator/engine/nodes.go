package engine

import "go.yaml.in/yaml/v3"

// nodes turns a map of YAML nodes into a map of node pointers.
func nodes(m map[string]yaml.Node) map[string]*yaml.Node {
	out := make(map[string]*yaml.Node, len(m))
	for k := range m {
		n := m[k]
		out[k] = &n
	}
	return out
}

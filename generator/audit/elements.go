package audit

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// element is one part of a document that a container, job or step rule
// looks at on its own: a container of a pod template, a workflow job, a
// step of a job. Path is its dotted path in the document (for lines), Name
// how a finding names it, and Vars the CEL variables beside `object`.
type element struct {
	Name string
	Path string
	Vars map[string]any
}

// podTemplatePaths are where pod-bearing objects keep their PodSpec, by
// kind; an object of any other kind with a PodSpec at one of the generic
// paths (spec.template.spec, spec.jobTemplate.spec.template.spec) is
// pod-bearing too (Argo Rollouts, operators' custom workloads).
var podTemplatePaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

var genericPodPaths = [][]string{
	{"spec", "template", "spec"},
	{"spec", "jobTemplate", "spec", "template", "spec"},
}

// podSpec returns a Kubernetes object's PodSpec and its dotted path, or nil
// when the object bears no pod.
func podSpec(obj map[string]any) (map[string]any, string) {
	kind, _ := obj["kind"].(string)
	if _, ok := obj["apiVersion"]; !ok || kind == "" {
		return nil, ""
	}
	if p, ok := podTemplatePaths[kind]; ok {
		if spec, ok := lookup(obj, p); ok {
			return spec, dotted(p)
		}
		return map[string]any{}, dotted(p)
	}
	for _, p := range genericPodPaths {
		if spec, ok := lookup(obj, p); ok {
			if _, ok := spec["containers"].([]any); ok {
				return spec, dotted(p)
			}
		}
	}
	return nil, ""
}

func lookup(obj map[string]any, p []string) (map[string]any, bool) {
	cur := obj
	for _, k := range p {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

func dotted(p []string) string {
	out := ""
	for _, k := range p {
		out = joinPath(out, k)
	}
	return out
}

// inheritedSecurityContext are the pod securityContext fields a container
// inherits unless its own securityContext sets them (the kubelet's
// DetermineEffectiveSecurityContext); the others (fsGroup,
// supplementalGroups, sysctls…) are pod-only, and privileged,
// allowPrivilegeEscalation, readOnlyRootFilesystem, capabilities and
// procMount are container-only.
var inheritedSecurityContext = []string{
	"runAsUser", "runAsGroup", "runAsNonRoot", "seLinuxOptions", "seccompProfile", "windowsOptions", "appArmorProfile",
}

// containerKinds are the PodSpec lists that hold containers.
var containerKinds = []struct{ field, name string }{
	{"initContainers", "init container"},
	{"containers", "container"},
	{"ephemeralContainers", "ephemeral container"},
}

// containers lists every container of a pod-bearing object with its
// effective securityContext: the pod's inherited fields overridden field by
// field by the container's own. Each element's `container` variable is the
// container with that effective securityContext (always an object), and
// `pod` the PodSpec.
func containers(obj map[string]any) []element {
	spec, specPath := podSpec(obj)
	if spec == nil {
		return nil
	}
	podSC, _ := spec["securityContext"].(map[string]any)
	var out []element
	for _, k := range containerKinds {
		list, _ := spec[k.field].([]any)
		for i, c := range list {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			eff := map[string]any{}
			for _, f := range inheritedSecurityContext {
				if v, ok := podSC[f]; ok {
					eff[f] = v
				}
			}
			if own, ok := cm["securityContext"].(map[string]any); ok {
				maps.Copy(eff, own)
			}
			ec := maps.Clone(cm)
			ec["securityContext"] = eff
			ec["type"] = k.field
			name, _ := cm["name"].(string)
			if name == "" {
				name = strconv.Itoa(i)
			}
			out = append(out, element{
				Name: k.name + " " + name,
				Path: joinPath(specPath, k.field+"."+strconv.Itoa(i)),
				Vars: map[string]any{"container": ec, "pod": spec},
			})
		}
	}
	return out
}

// podVars are the `pod` variable of an object: its PodSpec, or an empty
// object when it bears no pod.
func podVar(obj map[string]any) (map[string]any, string) {
	spec, p := podSpec(obj)
	if spec == nil {
		return map[string]any{}, ""
	}
	return spec, p
}

// jobs lists a workflow's jobs; steps every step of every job.
func jobs(obj map[string]any) []element {
	js, _ := obj["jobs"].(map[string]any)
	var out []element
	for _, id := range sortedMapKeys(js) {
		j, ok := js[id].(map[string]any)
		if !ok {
			continue
		}
		out = append(out, element{Name: "job " + id, Path: "jobs." + id, Vars: map[string]any{"job": j, "job_id": id}})
	}
	return out
}

func steps(obj map[string]any) []element {
	var out []element
	for _, j := range jobs(obj) {
		job := j.Vars["job"].(map[string]any)
		list, _ := job["steps"].([]any)
		for i, s := range list {
			sm, ok := s.(map[string]any)
			if !ok {
				continue
			}
			name := fmt.Sprintf("%s, step %d", j.Name, i+1)
			if n, ok := sm["name"].(string); ok && n != "" {
				name += " (" + n + ")"
			} else if u, ok := sm["uses"].(string); ok {
				name += " (" + u + ")"
			}
			out = append(out, element{Name: name, Path: j.Path + ".steps." + strconv.Itoa(i),
				Vars: map[string]any{"job": job, "job_id": j.Vars["job_id"], "step": sm}})
		}
	}
	return out
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

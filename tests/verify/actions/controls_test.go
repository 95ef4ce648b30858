package actions

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/generator/manifest"
)

// stepRef names a step for messages.
func stepRef(file, jobID string, i int, s step) string {
	label := s.Name
	if label == "" {
		label = s.Uses
	}
	return fmt.Sprintf("%s job %s step %d (%s)", file, jobID, i, label)
}

// findStep returns the index of the first step of j satisfying ok, or -1.
func findStep(j *job, ok func(step) bool) int {
	if j == nil {
		return -1
	}
	return slices.IndexFunc(j.Steps, ok)
}

func usesAction(action string) func(step) bool {
	return func(s step) bool { return strings.HasPrefix(s.Uses, action+"@") }
}

func runs(re string) func(step) bool {
	r := regexp.MustCompile(re)
	return func(s step) bool { return r.MatchString(s.Run) }
}

// with returns a step input as text (YAML may have typed it as bool or int).
func with(s step, key string) string {
	v, ok := s.With[key]
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

// requireJob fails the test when the workflow lacks the job.
func requireJob(t *testing.T, tree goldenTree, file string, w *workflow, id string) *job {
	t.Helper()
	j := w.Jobs[id]
	if j == nil {
		t.Errorf("%s/%s: job %s is missing", tree.name, file, id)
	}
	return j
}

// trivyFailsOnHigh checks a trivy-action step's failure policy.
func trivyFailsOnHigh(t *testing.T, where string, s step, wantUnfixed bool) {
	t.Helper()
	if with(s, "exit-code") != "1" {
		t.Errorf("%s: trivy exit-code %q, want 1", where, with(s, "exit-code"))
	}
	if with(s, "severity") != "CRITICAL,HIGH" {
		t.Errorf("%s: trivy severity %q, want CRITICAL,HIGH", where, with(s, "severity"))
	}
	if wantUnfixed && with(s, "ignore-unfixed") != "true" {
		t.Errorf("%s: trivy ignore-unfixed %q, want true", where, with(s, "ignore-unfixed"))
	}
}

// TestCIControls asserts the concrete steps behind SC-01 and SC-09 in ci.yml, and
// SC-01 in dependency-review.yml.
func TestCIControls(t *testing.T) {
	for _, tree := range workflowTrees(t) {
		w := loadWorkflow(t, tree, "ci.yml")
		if ev := eventsOf(w.On); !slices.Contains(ev, "push") || !slices.Contains(ev, "pull_request") {
			t.Errorf("%s/ci.yml: triggers %v, want push and pull_request", tree.name, ev)
		}
		for id, j := range w.Jobs {
			if findStep(j, usesAction("actions/setup-go")) >= 0 {
				s := j.Steps[findStep(j, usesAction("actions/setup-go"))]
				if with(s, "go-version-file") != "go.mod" {
					t.Errorf("%s/ci.yml job %s: setup-go without go-version-file: go.mod", tree.name, id)
				}
			}
		}
		test := requireJob(t, tree, "ci.yml", w, "test")
		if findStep(test, runs(`(?m)^go vet \./\.\.\.$`)) < 0 {
			t.Errorf("%s/ci.yml: SC-09 go vet ./... step is missing", tree.name)
		}
		if findStep(test, runs(`(?m)^go test -race\b.*\./\.\.\.$`)) < 0 {
			t.Errorf("%s/ci.yml: SC-09 go test -race ./... step is missing", tree.name)
		}
		vuln := requireJob(t, tree, "ci.yml", w, "govulncheck")
		if findStep(vuln, runs(`(?m)^go run golang\.org/x/vuln/cmd/govulncheck@v[0-9]+\.[0-9]+\.[0-9]+ \./\.\.\.$`)) < 0 {
			t.Errorf("%s/ci.yml: SC-01 govulncheck ./... (pinned version) step is missing", tree.name)
		}
		gosec := requireJob(t, tree, "ci.yml", w, "gosec")
		g := findStep(gosec, runs(`(?m)^go run github\.com/securego/gosec/v2/cmd/gosec@v[0-9.]+ .*-fmt sarif -out gosec\.sarif .*\./\.\.\.$`))
		up := findStep(gosec, usesAction("github/codeql-action/upload-sarif"))
		switch {
		case g < 0:
			t.Errorf("%s/ci.yml: SC-09 gosec with SARIF output is missing", tree.name)
		case up < g || with(gosec.Steps[up], "sarif_file") != "gosec.sarif" || !strings.Contains(gosec.Steps[up].If, "always()"):
			t.Errorf("%s/ci.yml: gosec's SARIF is not uploaded after it runs, even on failure", tree.name)
		}
		trivy := requireJob(t, tree, "ci.yml", w, "trivy")
		for _, scanType := range []string{"fs", "config"} {
			i := findStep(trivy, func(s step) bool {
				return usesAction("aquasecurity/trivy-action")(s) && with(s, "scan-type") == scanType
			})
			if i < 0 {
				t.Errorf("%s/ci.yml: SC-01 trivy %s scan is missing", tree.name, scanType)
				continue
			}
			trivyFailsOnHigh(t, tree.name+"/"+stepRef("ci.yml", "trivy", i, trivy.Steps[i]), trivy.Steps[i], scanType == "fs")
		}

		dr := loadWorkflow(t, tree, "dependency-review.yml")
		review := requireJob(t, tree, "dependency-review.yml", dr, "review")
		if i := findStep(review, usesAction("actions/dependency-review-action")); i < 0 || with(review.Steps[i], "fail-on-severity") != "high" {
			t.Errorf("%s/dependency-review.yml: SC-01 review failing on high severity is missing", tree.name)
		}
		if ev := eventsOf(dr.On); !slices.Equal(ev, []string{"pull_request"}) {
			t.Errorf("%s/dependency-review.yml: triggers %v, want pull_request", tree.name, ev)
		}

		cq := loadWorkflow(t, tree, "codeql.yml")
		analyze := requireJob(t, tree, "codeql.yml", cq, "analyze")
		in := findStep(analyze, usesAction("github/codeql-action/init"))
		an := findStep(analyze, usesAction("github/codeql-action/analyze"))
		if in < 0 || an < in || with(analyze.Steps[in], "languages") != "go" {
			t.Errorf("%s/codeql.yml: SC-09 CodeQL init (go) then analyze is missing", tree.name)
		}
	}
}

// TestReleaseControls asserts SC-02, SC-03 and SC-04 in release.yml: the image is
// scanned before the push, every later step uses the pushed digest, the signature is
// made keyless and verified against this workflow's identity before the release is
// published, provenance is attested, and the SPDX SBOM is attached to the release.
func TestReleaseControls(t *testing.T) {
	for _, tree := range workflowTrees(t) {
		w := loadWorkflow(t, tree, "release.yml")
		on := w.On
		if ev := eventsOf(on); !slices.Equal(ev, []string{"push"}) || !strings.Contains(nodeText(t, on), "tags:") {
			t.Errorf("%s/release.yml: want on: push: tags only, got %v", tree.name, ev)
		}

		build := requireJob(t, tree, "release.yml", w, "build")
		bp := findStep(build, usesAction("docker/build-push-action"))
		scan := findStep(build, func(s step) bool {
			return usesAction("aquasecurity/trivy-action")(s) && with(s, "scan-type") == "image"
		})
		login := findStep(build, usesAction("docker/login-action"))
		push := findStep(build, runs(`docker push "\$\{IMAGE\}:\$\{VERSION\}"`))
		switch {
		case bp < 0:
			t.Errorf("%s/release.yml: build-push-action is missing", tree.name)
		case with(build.Steps[bp], "push") != "false" || with(build.Steps[bp], "load") != "true":
			t.Errorf("%s/release.yml: SC-02 the build must load locally and not push before the scan", tree.name)
		case scan < 0:
			t.Errorf("%s/release.yml: SC-02 trivy image scan is missing", tree.name)
		case push < 0 || build.Steps[push].ID != "push":
			t.Errorf("%s/release.yml: the push step with id push is missing", tree.name)
		case !(bp < scan && scan < login && login < push):
			t.Errorf("%s/release.yml: SC-02 order must be build < scan < login < push, got %d %d %d %d", tree.name, bp, scan, login, push)
		default:
			trivyFailsOnHigh(t, tree.name+"/release.yml image scan", build.Steps[scan], true)
			if !strings.Contains(build.Steps[push].Run, `echo "digest=${digest}" >> "$GITHUB_OUTPUT"`) {
				t.Errorf("%s/release.yml: the push step does not output the digest", tree.name)
			}
		}
		if build != nil && build.Outputs["digest"] != "${{ steps.push.outputs.digest }}" {
			t.Errorf("%s/release.yml: build job does not export the pushed digest", tree.name)
		}

		sign := requireJob(t, tree, "release.yml", w, "sign")
		cs := findStep(sign, runs(`(?m)^cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"$`))
		if cs < 0 || findStep(sign, usesAction("sigstore/cosign-installer")) > cs {
			t.Errorf("%s/release.yml: SC-04 keyless cosign sign by digest is missing", tree.name)
		} else if sign.Steps[cs].Env["DIGEST"] != "${{ needs.build.outputs.digest }}" {
			t.Errorf("%s/release.yml: SC-04 signing does not use the pushed digest", tree.name)
		}
		if i := findStep(sign, usesAction("actions/attest-build-provenance")); i < 0 ||
			with(sign.Steps[i], "subject-digest") != "${{ needs.build.outputs.digest }}" ||
			with(sign.Steps[i], "push-to-registry") != "true" {
			t.Errorf("%s/release.yml: SC-04 build provenance attestation of the digest is missing", tree.name)
		}

		verify := requireJob(t, tree, "release.yml", w, "verify")
		vf := findStep(verify, runs(`cosign verify "\$\{IMAGE\}@\$\{DIGEST\}"`))
		if vf < 0 {
			t.Errorf("%s/release.yml: SC-04 cosign verify by digest is missing", tree.name)
		} else {
			r := verify.Steps[vf].Run
			if !strings.Contains(r, `--certificate-identity "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/.github/workflows/release.yml@${GITHUB_REF}"`) {
				t.Errorf("%s/release.yml: SC-04 cosign verify is not bound to this workflow's identity", tree.name)
			}
			if !strings.Contains(r, "--certificate-oidc-issuer https://token.actions.githubusercontent.com") {
				t.Errorf("%s/release.yml: SC-04 cosign verify is not bound to GitHub's OIDC issuer", tree.name)
			}
		}
		if verify != nil && !slices.Contains(needsOf(verify), "sign") {
			t.Errorf("%s/release.yml: verify does not wait for sign", tree.name)
		}

		rel := requireJob(t, tree, "release.yml", w, "release")
		if rel != nil && !slices.Contains(needsOf(rel), "verify") {
			t.Errorf("%s/release.yml: SC-04 the release is published without waiting for verification", tree.name)
		}
		sb := findStep(rel, usesAction("anchore/sbom-action"))
		gh := findStep(rel, runs(`(?s)^gh release create "\$\{GITHUB_REF_NAME\}" sbom\.spdx\.json`))
		switch {
		case sb < 0:
			t.Errorf("%s/release.yml: SC-03 SBOM step is missing", tree.name)
		case with(rel.Steps[sb], "format") != "spdx-json" || with(rel.Steps[sb], "output-file") != "sbom.spdx.json":
			t.Errorf("%s/release.yml: SC-03 SBOM is not SPDX JSON in sbom.spdx.json", tree.name)
		case with(rel.Steps[sb], "image") != "${{ needs.build.outputs.image }}@${{ needs.build.outputs.digest }}":
			t.Errorf("%s/release.yml: SC-03 SBOM does not describe the pushed digest", tree.name)
		case gh < sb:
			t.Errorf("%s/release.yml: SC-03 the SBOM is not attached to the release", tree.name)
		}
	}
}

// nodeText renders a YAML node back to text for coarse checks.
func nodeText(t *testing.T, n yaml.Node) string {
	t.Helper()
	b, err := yaml.Marshal(&n)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// dependabot is the part of dependabot.yml the tests inspect.
type dependabot struct {
	Version int `yaml:"version"`
	Updates []struct {
		Ecosystem   string   `yaml:"package-ecosystem"`
		Directory   string   `yaml:"directory"`
		Directories []string `yaml:"directories"`
		Schedule    struct {
			Interval string `yaml:"interval"`
		} `yaml:"schedule"`
		Cooldown struct {
			DefaultDays int `yaml:"default-days"`
		} `yaml:"cooldown"`
		Groups map[string]struct {
			Patterns []string `yaml:"patterns"`
		} `yaml:"groups"`
	} `yaml:"updates"`
}

// TestDependabot asserts SC-08: weekly, grouped updates of Go modules, actions, Docker base
// images and, exactly when the project renders infra/terraform (terraform-aws, by new or by
// add), the Terraform providers of every directory that pins them.
func TestDependabot(t *testing.T) {
	sawTerraform := false
	for _, tree := range dependabotTrees(t) {
		b, err := os.ReadFile(filepath.Join(tree.dir, ".github", "dependabot.yml"))
		if err != nil {
			t.Errorf("%s: SC-08 %v", tree.name, err)
			continue
		}
		var d dependabot
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&d); err != nil {
			t.Errorf("%s: dependabot.yml: %v", tree.name, err)
			continue
		}
		if d.Version != 2 {
			t.Errorf("%s: dependabot.yml version %d, want 2", tree.name, d.Version)
		}
		var ecosystems []string
		for _, u := range d.Updates {
			ecosystems = append(ecosystems, u.Ecosystem)
			if u.Schedule.Interval != "weekly" || len(u.Groups) != 1 || u.Cooldown.DefaultDays < 1 {
				t.Errorf("%s: dependabot %s: want weekly, one group, a cooldown", tree.name, u.Ecosystem)
			}
			for g, p := range u.Groups {
				if !slices.Equal(p.Patterns, []string{"*"}) {
					t.Errorf("%s: dependabot %s group %s does not group everything", tree.name, u.Ecosystem, g)
				}
			}
			if u.Ecosystem == "terraform" {
				sawTerraform = true
				// An add case's tree holds only what add writes: the Terraform files are
				// there when terraform-aws is the component it adds.
				if _, err := os.Stat(filepath.Join(tree.dir, "infra", "terraform")); err == nil {
					terraformDirectories(t, tree, u.Directory, u.Directories)
				}
			} else if u.Directory != "/" || len(u.Directories) > 0 {
				t.Errorf("%s: dependabot %s: want directory /", tree.name, u.Ecosystem)
			}
		}
		slices.Sort(ecosystems)
		want := []string{"docker", "github-actions", "gomod"}
		if slices.Contains(projectComponents(t, tree), "terraform-aws") {
			want = append(want, "terraform")
		}
		if !slices.Equal(ecosystems, want) {
			t.Errorf("%s: SC-08 dependabot ecosystems %v, want %v", tree.name, ecosystems, want)
		}
	}
	if !sawTerraform {
		t.Error("no golden's dependabot.yml has a terraform entry")
	}
}

// projectComponents returns the components the tree's manifest records.
func projectComponents(t *testing.T, tree goldenTree) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tree.dir, manifest.FileName))
	if err != nil {
		t.Fatalf("%s: %v", tree.name, err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatalf("%s: %s: %v", tree.name, manifest.FileName, err)
	}
	var names []string
	for _, c := range m.Components {
		names = append(names, c.Name)
	}
	return names
}

// terraformDirectories asserts that the directories of the terraform entry are exactly the
// tree's directories holding .tf files that pin a provider (required_providers): each
// pattern matches at least one of them, and each of them is matched.
func terraformDirectories(t *testing.T, tree goldenTree, dir string, dirs []string) {
	t.Helper()
	if dir != "" {
		dirs = append(dirs, dir)
	}
	pinned := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(tree.dir, "infra"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".tf" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "required_providers") {
			rel, err := filepath.Rel(tree.dir, filepath.Dir(p))
			if err != nil {
				return err
			}
			pinned["/"+filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", tree.name, err)
	}
	covered := map[string]bool{}
	for _, pattern := range dirs {
		n := 0
		for d := range pinned {
			if ok, err := path.Match(pattern, d); err != nil {
				t.Errorf("%s: dependabot terraform directory %q: %v", tree.name, pattern, err)
			} else if ok {
				covered[d] = true
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: dependabot terraform directory %q matches no directory that pins a provider", tree.name, pattern)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(pinned)) {
		if !covered[d] {
			t.Errorf("%s: %s pins a provider, but Dependabot's terraform entry does not cover it", tree.name, d)
		}
	}
}

// TestOptionalFiles: scorecard.yml exists exactly when the scorecard answer is true,
// CODEOWNERS exactly when codeowners is not empty, and then assigns every path to
// exactly the answered owners.
func TestOptionalFiles(t *testing.T) {
	var sawScorecard, sawOwners bool
	for _, tree := range workflowTrees(t) {
		a := readAnswers(t, tree)
		wantScorecard, _ := a["scorecard"].(bool)
		_, err := os.Stat(filepath.Join(tree.dir, ".github", "workflows", "scorecard.yml"))
		if hasIt := err == nil; hasIt != wantScorecard {
			t.Errorf("%s: scorecard.yml present=%v, answer scorecard=%v", tree.name, hasIt, wantScorecard)
		}
		if wantScorecard && err == nil {
			sawScorecard = true
			sc := loadWorkflow(t, tree, "scorecard.yml")
			j := requireJob(t, tree, "scorecard.yml", sc, "analysis")
			if i := findStep(j, usesAction("ossf/scorecard-action")); i < 0 || with(j.Steps[i], "publish_results") != "false" {
				t.Errorf("%s: scorecard.yml must run scorecard without publishing (no id-token)", tree.name)
			}
		}

		var owners []string
		if l, ok := a["codeowners"].([]any); ok {
			for _, o := range l {
				owners = append(owners, fmt.Sprint(o))
			}
		}
		b, err := os.ReadFile(filepath.Join(tree.dir, ".github", "CODEOWNERS"))
		if (err == nil) != (len(owners) > 0) {
			t.Errorf("%s: CODEOWNERS present=%v, %d owners answered", tree.name, err == nil, len(owners))
			continue
		}
		if len(owners) == 0 {
			continue
		}
		sawOwners = true
		var rules []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				rules = append(rules, l)
			}
		}
		if want := []string{"* " + strings.Join(owners, " ")}; !slices.Equal(rules, want) {
			t.Errorf("%s: CODEOWNERS rules %q, want %q", tree.name, rules, want)
		}
	}
	if !sawScorecard || !sawOwners {
		t.Errorf("no golden renders scorecard.yml (%v) or CODEOWNERS (%v): the optional files are untested", sawScorecard, sawOwners)
	}
}

// TestComponentDeclaresControls: `secgen show` lists what component.yaml declares, so
// the declaration must keep every control these tests verify.
func TestComponentDeclaresControls(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(templatesDir, "github-actions", "component.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Controls []string `yaml:"controls"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("component.yaml: %v", err)
	}
	for _, id := range []string{"SC-01", "SC-02", "SC-03", "SC-04", "SC-05", "SC-06", "SC-07", "SC-08", "SC-09", "SEC-01"} {
		if !slices.Contains(c.Controls, id) {
			t.Errorf("component.yaml no longer declares %s", id)
		}
	}
}

// TestSecgenDriftJob: ci.yml's secgen job installs the secgen version the project's
// manifest records, audits with SARIF output uploaded to code scanning even when the audit
// fails, and runs secgen check.
func TestSecgenDriftJob(t *testing.T) {
	for _, tree := range workflowTrees(t) {
		w := loadWorkflow(t, tree, "ci.yml")
		j := requireJob(t, tree, "ci.yml", w, "secgen")
		if j == nil {
			continue
		}
		install := findStep(j, runs(`secgen_version`))
		audit := findStep(j, runs(`(?m)secgen" audit -o sarif --output-file results\.sarif$`))
		base := findStep(j, func(s step) bool {
			return strings.HasPrefix(s.Uses, "actions/checkout@") && with(s, "path") == ".secgen-base" &&
				with(s, "ref") == "${{ github.base_ref }}" && with(s, "persist-credentials") == "false"
		})
		up := findStep(j, usesAction("github/codeql-action/upload-sarif"))
		check := findStep(j, runs(`secgen" check$`))
		switch {
		case install < 0:
			t.Errorf("%s/ci.yml: the secgen job does not install the recorded secgen version", tree.name)
		case audit < install:
			t.Errorf("%s/ci.yml: the secgen job does not run secgen audit with SARIF output after installing it", tree.name)
		case up < audit || with(j.Steps[up], "sarif_file") != "results.sarif" || !strings.Contains(j.Steps[up].If, "always()"):
			t.Errorf("%s/ci.yml: the audit's SARIF is not uploaded after it runs, even on failure", tree.name)
		case check < install:
			t.Errorf("%s/ci.yml: the secgen job does not run secgen check", tree.name)
		case base < 0 || base > install || !strings.Contains(j.Steps[base].If, "pull_request"):
			// A pull request cannot switch its own audit off: the base branch's manifest
			// is read from the base, and the audit compares the two.
			t.Errorf("%s/ci.yml: the secgen job does not check out the base branch's manifest on pull requests before installing secgen", tree.name)
		case !strings.Contains(j.Steps[audit].Run, "--base-manifest .secgen-base/.secgen.yaml"):
			t.Errorf("%s/ci.yml: the audit does not compare the manifest with the base branch's", tree.name)
		case !strings.Contains(j.Steps[install].Run, ".secgen-base/.secgen.yaml") || !strings.Contains(j.Steps[install].Run, "sort -V"):
			t.Errorf("%s/ci.yml: the install step lets a pull request choose an older secgen than the base branch's", tree.name)
		}
		if install >= 0 {
			checkInstallStep(t, tree.name, j.Steps[install].Run)
		}
	}
}

// checkInstallStep runs the secgen job's install script with bash, as the runner
// would, against manifests that secgen's own encoder wrote with each kind of version,
// and a stand-in go command that records how it was called: an installable version is
// installed exactly, anything else fails the job before go runs.
func checkInstallStep(t *testing.T, name, script string) {
	t.Helper()
	for _, tc := range []struct {
		version string
		install bool
	}{
		{"1.2.3", true},                                    // go install ...@v1.2.3
		{"1.3.0-rc.1", true},                               // a pre-release tag
		{"0.0.0-20261129183726-f2f26a99dd58", true},        // a build from a git checkout
		{"1.2.4-0.20261129183726-f2f26a99dd58", true},      // a commit after v1.2.3
		{"0.0.0-20261129183726-f2f26a99dd58+dirty", false}, // uncommitted changes
		{"dev", false},                                     // go run, no VCS information
		{"1.2.3; curl evil", false},                        // never reaches go install
	} {
		dir := t.TempDir()
		data, err := (&manifest.Manifest{Schema: manifest.SchemaVersion, SecgenVersion: tc.version}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "bin")
		if err := os.Mkdir(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		fake := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$GO_CALLS\"\n"
		if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		calls := filepath.Join(dir, "calls")
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "GO_CALLS=" + calls}
		out, err := cmd.CombinedOutput()
		got, _ := os.ReadFile(calls)
		want := ""
		if tc.install {
			want = "install github.com/secgen/secgen/cmd/secgen@v" + tc.version + "\n"
		}
		if (err == nil) != tc.install || string(got) != want {
			t.Errorf("%s/ci.yml: secgen_version %q: exit error %v, go called with %q, want %q; output:\n%s", name, tc.version, err, got, want, out)
		}
		if !tc.install && !strings.Contains(string(out), "::error::") {
			t.Errorf("%s/ci.yml: secgen_version %q: refused without an ::error:: annotation:\n%s", name, tc.version, out)
		}
	}
}

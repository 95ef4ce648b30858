package goservice

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fromLine matches FROM name:tag@sha256:<64 hex> [AS stage].
var fromLine = regexp.MustCompile(`^FROM\s+(?:--platform=\S+\s+)?([a-z0-9./-]+):([A-Za-z0-9._-]+)@sha256:[0-9a-f]{64}(?:\s+AS\s+([a-z0-9-]+))?$`)

// dockerInstructions returns the Dockerfile's instructions, comments dropped.
func dockerInstructions(t *testing.T, tr serviceTree) (lines []string, comments string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tr.dir, "Dockerfile"))
	if err != nil {
		t.Fatalf("%s: %v", tr.name, err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, "#"):
			comments += l + "\n"
		default:
			lines = append(lines, l)
		}
	}
	return lines, comments
}

// TestDockerfileMultiStageDistrolessPinned proves CTR-01: a multi-stage build whose
// every base image is pinned by digest with its tag beside it, a static CGO-free
// trimmed build with the Go of go.mod, and a distroless static runtime.
func TestDockerfileMultiStageDistrolessPinned(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		lines, comments := dockerInstructions(t, tr)
		var froms [][]string
		for _, l := range lines {
			if !strings.HasPrefix(strings.ToUpper(l), "FROM ") {
				continue
			}
			m := fromLine.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("%s: base image not pinned as name:tag@sha256:digest: %q", tr.name, l)
				continue
			}
			froms = append(froms, m)
		}
		if len(froms) < 2 {
			t.Fatalf("%s: want a multi-stage build, got %d FROM lines", tr.name, len(froms))
		}
		build, runtime := froms[0], froms[len(froms)-1]
		if build[1] != "golang" || !strings.HasPrefix(build[2], "1.26.8") {
			t.Errorf("%s: build stage %s:%s, want golang:1.26.8 matching go.mod", tr.name, build[1], build[2])
		}
		if runtime[1] != "gcr.io/distroless/static-debian12" || runtime[2] != "nonroot" {
			t.Errorf("%s: runtime %s:%s, want gcr.io/distroless/static-debian12:nonroot", tr.name, runtime[1], runtime[2])
		}
		text := strings.Join(lines, "\n")
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "go mod verify",
			"COPY --from=" + build[3] + " /out/" + tr.cmdName + " /" + tr.cmdName,
			`ENTRYPOINT ["/` + tr.cmdName + `"]`, "EXPOSE " + strconv.Itoa(port(tr))} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: Dockerfile lacks %q", tr.name, want)
			}
		}
		if !strings.Contains(comments, "Dependabot") || !strings.Contains(comments, "digest") {
			t.Errorf("%s: Dockerfile must say that Dependabot keeps the digests fresh", tr.name)
		}
		for _, bad := range []string{":latest", "ADD http", "curl ", "wget "} {
			if strings.Contains(text, bad) {
				t.Errorf("%s: Dockerfile contains %q", tr.name, bad)
			}
		}
	}
}

func port(tr serviceTree) int {
	if tr.answers.Port == 0 {
		return 8080
	}
	return tr.answers.Port
}

// TestDockerfileRunsAsNumericNonRoot proves CTR-02: the final stage runs as a numeric,
// non-zero user and group, and the runtime image has no shell (no RUN after the last
// FROM, a distroless static base).
func TestDockerfileRunsAsNumericNonRoot(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		lines, _ := dockerInstructions(t, tr)
		last := -1
		for i, l := range lines {
			if strings.HasPrefix(l, "FROM ") {
				last = i
			}
		}
		var user string
		for _, l := range lines[last+1:] {
			switch {
			case strings.HasPrefix(l, "USER "):
				user = strings.TrimSpace(strings.TrimPrefix(l, "USER "))
			case strings.HasPrefix(l, "RUN "):
				t.Errorf("%s: RUN in the runtime stage needs a shell: %q", tr.name, l)
			}
		}
		uid, gid, ok := strings.Cut(user, ":")
		for _, id := range []string{uid, gid} {
			n, err := strconv.Atoi(id)
			if !ok || err != nil || n <= 0 {
				t.Errorf("%s: USER %q must be numeric uid:gid, both non-zero", tr.name, user)
				break
			}
		}
	}
}

// TestDockerignoreKeepsSecretsOut proves CTR-03.
func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		data, err := os.ReadFile(filepath.Join(tr.dir, ".dockerignore"))
		if err != nil {
			t.Fatalf("%s: %v", tr.name, err)
		}
		var patterns []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				patterns = append(patterns, l)
			}
		}
		for _, want := range []string{".git", "**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/*.tfstate", "**/.terraform", "**/*.tfvars", "**/*.tfplan", ".secgen/", ".secgen.yaml", "bin/", ".tools/"} {
			if !slices.Contains(patterns, want) {
				t.Errorf("%s: .dockerignore lacks %q", tr.name, want)
			}
		}
		for _, p := range patterns {
			if strings.HasPrefix(p, "!") {
				t.Errorf("%s: .dockerignore re-includes %q", tr.name, p)
			}
		}
	}
}

// TestGitignoreKeepsSecretsOut: keys and .env files never reach git (SEC-01's part here).
func TestGitignoreKeepsSecretsOut(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		data, err := os.ReadFile(filepath.Join(tr.dir, ".gitignore"))
		if err != nil {
			t.Fatalf("%s: %v", tr.name, err)
		}
		lines := strings.Split(string(data), "\n")
		for _, want := range []string{".env", ".env.*", "*.pem", "*.key"} {
			if !slices.Contains(lines, want) {
				t.Errorf("%s: .gitignore lacks %q", tr.name, want)
			}
		}
	}
}

// TestDockerfileTrustsDatabaseCA: with the postgres store (sslmode=verify-full is
// required), the final image carries the database CA bundle the team commits and
// names it in PGSSLROOTCERT; the bundle's path is not excluded from the build
// context or from git; the README of certs/ says where it comes from; and make image
// refuses to build without it. secgen ships no certificate contents.
func TestDockerfileTrustsDatabaseCA(t *testing.T) {
	const src, dst = "certs/rds-ca-bundle.crt", "/etc/ssl/certs/rds-ca-bundle.crt"
	checked := 0
	for _, tr := range serviceTrees(t) {
		lines, _ := dockerInstructions(t, tr)
		last := 0
		for i, l := range lines {
			if strings.HasPrefix(l, "FROM ") {
				last = i
			}
		}
		final := lines[last:]
		hasCopy := slices.Contains(final, "COPY "+src+" "+dst)
		hasEnv := slices.Contains(final, "ENV PGSSLROOTCERT="+dst)
		if tr.answers.Database != "postgres" {
			if hasCopy || hasEnv {
				t.Errorf("%s: database CA wired without a database", tr.name)
			}
			continue
		}
		checked++
		if !hasCopy || !hasEnv {
			t.Errorf("%s: final stage lacks %q or %q", tr.name, "COPY "+src+" "+dst, "ENV PGSSLROOTCERT="+dst)
		}
		readme, err := os.ReadFile(filepath.Join(tr.dir, "certs", "README.md"))
		if err != nil || !strings.Contains(string(readme), "rds-ca-bundle.crt") {
			t.Errorf("%s: certs/README.md must say where rds-ca-bundle.crt comes from: %v", tr.name, err)
		}
		if _, err := os.Stat(filepath.Join(tr.dir, src)); err == nil {
			t.Errorf("%s: secgen must not ship certificate contents in %s", tr.name, src)
		}
		for _, ignore := range []string{".dockerignore", ".gitignore"} {
			data, err := os.ReadFile(filepath.Join(tr.dir, ignore))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range strings.Split(string(data), "\n") {
				p = strings.TrimPrefix(strings.TrimSpace(p), "**/")
				if p == "" || strings.HasPrefix(p, "#") {
					continue
				}
				if m, _ := filepath.Match(p, filepath.Base(src)); m || strings.TrimSuffix(p, "/") == "certs" {
					t.Errorf("%s: %s pattern %q excludes %s", tr.name, ignore, p, src)
				}
			}
		}
		mk, err := os.ReadFile(filepath.Join(tr.dir, "Makefile"))
		if err != nil || !strings.Contains(string(mk), "test -s "+src) {
			t.Errorf("%s: make image must refuse to build without %s", tr.name, src)
		}
	}
	if checked == 0 {
		t.Fatal("no golden tree renders the postgres store")
	}
}

// dockerignored reports whether .dockerignore's patterns leave rel (a slash
// path from the context root) out of the build context, as docker matches
// them: a pattern matches the path or one of its parent directories, and
// "**/" matches any number of directories.
func dockerignored(patterns []string, rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		p = strings.TrimSuffix(p, "/")
		anyDepth := strings.HasPrefix(p, "**/")
		p = strings.TrimPrefix(p, "**/")
		depth := strings.Count(p, "/") + 1
		for start := 0; start+depth <= len(parts) && (start == 0 || anyDepth); start++ {
			if m, _ := path.Match(p, strings.Join(parts[start:start+depth], "/")); m {
				return true
			}
		}
	}
	return false
}

// TestDevIssuerNeverInTheImage: the development issuer (cmd/devissuer) and
// the development-only files of make dev never reach the image. The build
// context, as .dockerignore filters it, holds none of them, and the
// Dockerfile builds the service's command and nothing else.
func TestDevIssuerNeverInTheImage(t *testing.T) {
	for _, tr := range serviceTrees(t) {
		if _, err := os.Stat(filepath.Join(tr.dir, "cmd", "devissuer", "main.go")); err != nil {
			t.Fatalf("%s: the development issuer is missing: %v", tr.name, err)
		}
		data, err := os.ReadFile(filepath.Join(tr.dir, ".dockerignore"))
		if err != nil {
			t.Fatal(err)
		}
		var patterns []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				patterns = append(patterns, l)
			}
		}
		var context []string
		err = filepath.WalkDir(tr.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(tr.dir, p)
			if rel = filepath.ToSlash(rel); !dockerignored(patterns, rel) {
				context = append(context, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(context, "cmd/"+tr.cmdName+"/main.go") || !slices.Contains(context, "go.mod") {
			t.Fatalf("%s: the build context lacks the service itself: %v", tr.name, context)
		}
		for _, f := range context {
			if strings.HasPrefix(f, "cmd/devissuer/") || f == "compose.yaml" || strings.HasPrefix(f, ".env") {
				t.Errorf("%s: the build context holds %s, which is for make dev only", tr.name, f)
			}
		}
		lines, _ := dockerInstructions(t, tr)
		var builds []string
		for _, l := range lines {
			if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
				builds = append(builds, l)
			}
		}
		if len(builds) != 1 || !strings.HasSuffix(builds[0], " ./cmd/"+tr.cmdName) {
			t.Errorf("%s: the Dockerfile must build ./cmd/%s alone, it runs %q", tr.name, tr.cmdName, builds)
		}
	}
}

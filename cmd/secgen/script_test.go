package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"

	"github.com/secgen/secgen/cmd/secgen/internal/buildinfo"
	"github.com/secgen/secgen/cmd/secgen/internal/cli"
	"github.com/secgen/secgen/generator/catalog"
	"github.com/secgen/secgen/generator/catsource/catsourcetest"
	"github.com/secgen/secgen/generator/goldentest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"secgen": func() { os.Exit(cli.Main(context.Background(), os.Args[1:], cli.System())) },
		// secgen-release is secgen as go install ...@v1.2.3 builds it: an
		// installable version, so no warning about the generated CI.
		"secgen-release": func() {
			streams := cli.System()
			streams.Build = buildinfo.Info{Version: "1.2.3", Installable: true}
			os.Exit(cli.Main(context.Background(), os.Args[1:], streams))
		},
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script: flags,
// exit codes, stderr and refusals, through the real binary entry point.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// scriptParams are the parameters of secgen's scripts in dir: the user's
// cache and configuration in the work directory, and the commands below.
func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			// The user's cache and configuration live in the script's
			// work directory: named catalogs and the git cache.
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			// SECGEN_REPO is this repository: secgen's own catalog.
			root, err := filepath.Abs(filepath.Join("..", ".."))
			if err != nil {
				return err
			}
			env.Setenv("SECGEN_REPO", root)
			env.Values[serverKey{}] = &serverSlot{}
			env.Values[fixtureKey{}] = &fixtureSlot{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkcatalog":    mkcatalog,
			"release":      release,
			"mkplatform":   mkplatform,
			"platrelease":  platrelease,
			"docblock":     docblock,
			"cistep":       cistep,
			"githttp":      githttp,
			"cachecheck":   cachecheck,
			"writecatalog": writecatalog,
			"publish":      publish,
			// exits CODE PROG ARGS... runs PROG and requires exit status CODE.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits CODE PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exits: bad code %q", args[0])
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var exitErr *exec.ExitError
				if errors.As(err, &exitErr) {
					got = exitErr.ExitCode()
				} else if err != nil {
					ts.Fatalf("exits: %v", err)
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
		},
	}
}

// mkcatalog DIR [hostile] builds the fixture catalog repository (see
// catsourcetest.Fixture) in DIR, its releases v1.0.0 and v1.1.0 with one
// golden case recorded by secgen's own recorder (so secgen test reads the
// git source), writes the signer's public key to
// signer.asc and the stranger's to stranger.asc, and sets V100 and V110 to
// the commits of v1.0.0 and v1.1.0 and SIGNER to the signer's fingerprint.
func mkcatalog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: mkcatalog DIR [hostile]")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	fx, err := catsourcetest.NewFixtureWith(dir, catsourcetest.Options{Hostile: len(args) == 2 && args[1] == "hostile", Goldens: recordGoldens})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("signer.asc"), fx.Ring, 0o644))
	_, stranger, err := catsourcetest.NewKey("Other")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("stranger.asc"), stranger, 0o644))
	ts.Value(fixtureKey{}).(*fixtureSlot).fx = fx
	ts.Setenv("V100", fx.V100.String())
	ts.Setenv("V110", fx.V110.String())
	ts.Setenv("SIGNER", catsourcetest.Fingerprint(fx.Signer))
}

// recordGoldens adds the golden case goldens/service/defaults to a fixture
// catalog's files, its tree recorded as secgen test --update records it.
func recordGoldens(files catsourcetest.Files) error {
	files["goldens/service/defaults/case.yaml"] = catsourcetest.Entry{Data: []byte("blueprint: service\n")}
	files["goldens/service/defaults/answers.yaml"] = catsourcetest.Entry{Data: []byte("name: golden\n")}
	return recordTrees(files)
}

// recordTrees records the tree of every golden case among a catalog's
// files, as secgen test --update records them, and adds them to files.
func recordTrees(files catsourcetest.Files) error {
	dir, err := os.MkdirTemp("", "secgen-fixture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for p, e := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, e.Data, 0o644); err != nil {
			return err
		}
	}
	ctx := context.Background()
	cat, err := catalog.Load(ctx, catalog.Source{Templates: os.DirFS(filepath.Join(dir, "templates")), Blueprints: os.DirFS(filepath.Join(dir, "blueprints"))})
	if err != nil {
		return err
	}
	goldens := filepath.Join(dir, "goldens")
	cases, err := goldentest.Load(ctx, goldens)
	if err != nil {
		return err
	}
	for _, r := range goldentest.Run(ctx, cat, cases, goldentest.Options{Update: true}) {
		if r.Err != nil {
			return r.Err
		}
	}
	return filepath.WalkDir(goldens, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = catsourcetest.Entry{Data: data}
		return nil
	})
}

// publish SRCDIR REPO TAG commits the files of directory SRCDIR (a
// symbolic link becomes one in git) to the repository REPO (created when
// missing) and tags the commit TAG, both signed by the publisher's key,
// made on first use: its public key is written to publisher.asc, and
// another team's key to other.asc.
func publish(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: publish SRCDIR REPO TAG")
	}
	slot := ts.Value(fixtureKey{}).(*fixtureSlot)
	if slot.publisher == nil {
		k, pub, err := catsourcetest.NewKey("Publisher")
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs("publisher.asc"), pub, 0o644))
		_, other, err := catsourcetest.NewKey("Other team")
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs("other.asc"), other, 0o644))
		slot.publisher = k
	}
	src := ts.MkAbs(args[0])
	files := catsourcetest.Files{}
	ts.Check(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			files[filepath.ToSlash(rel)] = catsourcetest.Entry{Data: []byte(target), Mode: filemode.Symlink}
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = catsourcetest.Entry{Data: data}
		return err
	}))
	dir := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dir, 0o755))
	repo, err := catsourcetest.Init(dir)
	ts.Check(err)
	c, err := repo.Commit(files, "publish "+args[2], slot.publisher)
	ts.Check(err)
	_, err = repo.Tag(args[2], c, slot.publisher)
	ts.Check(err)
}

// fixtureKey finds a script's fixtureSlot among its values.
type fixtureKey struct{}

// fixtureSlot holds the fixture mkcatalog built (its keys sign releases)
// and the rotated key, once made.
type fixtureSlot struct {
	fx      *catsourcetest.Fixture
	rotated *openpgp.Entity
	// platform and platformKey are mkplatform's files and signing key.
	platform    catsourcetest.Files
	platformKey *openpgp.Entity
	// publisher is publish's signing key.
	publisher *openpgp.Entity
}

// release DIR TAG VERSION signer|rotated commits catalog VERSION to the
// fixture repository DIR and tags it TAG (moving TAG when it exists), both
// signed by the fixture's signer or by a new, rotated key. The first use of
// the rotated key writes rotated.asc (its public key) and both.asc (the
// signer's and the rotated key in one keyring) and sets ROTATED to its
// fingerprint. TAGGED is set to the new commit.
func release(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: release DIR TAG VERSION signer|rotated")
	}
	slot := ts.Value(fixtureKey{}).(*fixtureSlot)
	if slot.fx == nil {
		ts.Fatalf("release: run mkcatalog first")
	}
	key := slot.fx.Signer
	switch args[3] {
	case "signer":
	case "rotated":
		if slot.rotated == nil {
			k, pub, err := catsourcetest.NewKey("Rotated")
			ts.Check(err)
			both, err := catsourcetest.ArmorKeys(slot.fx.Signer, k)
			ts.Check(err)
			ts.Check(os.WriteFile(ts.MkAbs("rotated.asc"), pub, 0o644))
			ts.Check(os.WriteFile(ts.MkAbs("both.asc"), both, 0o644))
			ts.Setenv("ROTATED", catsourcetest.Fingerprint(k))
			slot.rotated = k
		}
		key = slot.rotated
	default:
		ts.Fatalf("release: key must be signer or rotated")
	}
	c, err := catsourcetest.Release(ts.MkAbs(args[0]), args[1], args[2], key)
	ts.Check(err)
	ts.Setenv("TAGGED", c.String())
}

// githttp start DIR [TOKEN] serves the repositories under DIR's parent
// over git's smart HTTP protocol (git http-backend behind net/http/cgi) on
// 127.0.0.1 and sets GITURL to DIR's URL; with TOKEN, every request must
// carry it as the basic-auth password (a private catalog), else gets 401.
// githttp stop stops it.
func githttp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: githttp start DIR | githttp stop")
	}
	switch args[0] {
	case "start":
		if len(args) != 2 && len(args) != 3 {
			ts.Fatalf("usage: githttp start DIR [TOKEN]")
		}
		dir := ts.MkAbs(args[1])
		out, err := exec.Command("git", "--exec-path").Output()
		ts.Check(err)
		backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		h := &cgi.Handler{
			Path: backend,
			Env: []string{
				"GIT_PROJECT_ROOT=" + filepath.Dir(dir), "GIT_HTTP_EXPORT_ALL=1",
				"GIT_CONFIG_NOSYSTEM=1", "HOME=" + ts.Getenv("WORK"),
			},
		}
		var handler http.Handler = h
		if len(args) == 3 {
			token := args[2]
			handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, pw, ok := r.BasicAuth(); !ok || pw != token {
					w.Header().Set("WWW-Authenticate", `Basic realm="catalog"`)
					http.Error(w, "authentication required", http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			})
		}
		srv := &http.Server{Handler: handler}
		go func() { _ = srv.Serve(ln) }()
		ts.Value(serverKey{}).(*serverSlot).srv = srv
		ts.Defer(func() { _ = srv.Close() })
		ts.Setenv("GITURL", "http://"+ln.Addr().String()+"/"+filepath.Base(dir))
	case "stop":
		slot := ts.Value(serverKey{}).(*serverSlot)
		if slot.srv == nil {
			ts.Fatalf("githttp: no server started")
		}
		ts.Check(slot.srv.Close())
		slot.srv = nil
	default:
		ts.Fatalf("usage: githttp start DIR | githttp stop")
	}
}

// serverKey finds a script's serverSlot among its values.
type serverKey struct{}

// serverSlot holds the git HTTP server a script started, if any.
type serverSlot struct{ srv *http.Server }

// cachecheck N fails unless the git catalog cache holds exactly N fetched
// catalogs and nothing half-fetched (no tmp-* entry).
func cachecheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: cachecheck N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	dir := filepath.Join(ts.Getenv("XDG_CACHE_HOME"), "secgen", "git")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tmp-") {
			ts.Fatalf("the cache holds a half-finished fetch: %s", e.Name())
		}
	}
	objs, _ := os.ReadDir(filepath.Join(dir, "obj"))
	if len(objs) != want {
		ts.Fatalf("the cache holds %d catalogs, want %d", len(objs), want)
	}
}

// mkplatform [-goldens] DIR [TAG] builds a platform catalog repository in
// DIR from secgen's own catalog (templates/ and blueprints/ of this
// repository; with -goldens, also the golden cases of goldens/ that its
// breakages are proved on, their trees recorded for acme: the proof's whole
// work at a fifth of the cases) under the id acme, with its release TAG
// (default v1.0.0) a signed
// annotated tag; it writes the signer's public key to platform.asc and
// another team's to other.asc, and sets PLATFORM_SIGNER. A catalog that
// ships secgen's github-actions component renders secgen's CI job.
func mkplatform(ts *testscript.TestScript, neg bool, args []string) {
	goldens := len(args) > 0 && args[0] == "-goldens"
	if goldens {
		args = args[1:]
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: mkplatform [-goldens] DIR [TAG]")
	}
	tag := "v1.0.0"
	if len(args) == 2 {
		tag = args[1]
	}
	files := catsourcetest.Files{}
	tops := []string{"templates", "blueprints"}
	var proved map[string]bool
	if goldens {
		tops = append(tops, "goldens")
		var err error
		proved, err = breakageGoldens(filepath.Join("..", "..", "templates"))
		ts.Check(err)
	}
	for _, top := range tops {
		root := filepath.Join("..", "..", top)
		ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
				return err
			}
			if top == "goldens" && strings.Contains(filepath.ToSlash(p), "/tree/") {
				return nil // the trees are recorded for acme below
			}
			if top == "goldens" && !proved[goldenCase(p)] {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
			rel = filepath.ToSlash(rel)
			if rel == "templates/catalog.yaml" {
				data = []byte(strings.Replace(string(data), "id: builtin\n", "id: acme\n", 1))
			}
			files[rel] = catsourcetest.Entry{Data: data}
			return nil
		}))
	}
	if goldens {
		ts.Check(recordTrees(files))
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	repo, err := catsourcetest.Init(dir)
	ts.Check(err)
	key, pub, err := catsourcetest.NewKey("Platform")
	ts.Check(err)
	c, err := repo.Commit(files, "acme catalog", key)
	ts.Check(err)
	_, err = repo.Tag(tag, c, key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("platform.asc"), pub, 0o644))
	_, other, err := catsourcetest.NewKey("Other team")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("other.asc"), other, 0o644))
	slot := ts.Value(fixtureKey{}).(*fixtureSlot)
	slot.platform, slot.platformKey = files, key
	ts.Setenv("PLATFORM_SIGNER", catsourcetest.Fingerprint(key))
}

// breakageGoldens returns the golden cases (component/case) that the
// breakages.yaml files under templates name.
func breakageGoldens(templates string) (map[string]bool, error) {
	paths, err := filepath.Glob(filepath.Join(templates, "*", "breakages.yaml"))
	if err != nil {
		return nil, err
	}
	golden := regexp.MustCompile(`(?m)^\s+golden: (\S+)$`)
	cases := map[string]bool{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for _, m := range golden.FindAllSubmatch(data, -1) {
			cases[string(m[1])] = true
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no breakage under %s names a golden case", templates)
	}
	return cases, nil
}

// goldenCase returns the case (component/case) a path under goldens/ belongs to.
func goldenCase(p string) string {
	parts := strings.Split(filepath.ToSlash(p), "/")
	for i, part := range parts {
		if part == "goldens" && i+2 < len(parts) {
			return parts[i+1] + "/" + parts[i+2]
		}
	}
	return ""
}

// platrelease DIR TAG VERSION platform|rotated releases the platform
// catalog mkplatform built at VERSION (its catalog.yaml's version), tagged
// TAG, signed by the platform key or by a new, rotated one. The first use
// of the rotated key writes rotated-team.asc (the platform key and the
// rotated one in one keyring) and sets ROTATED to its fingerprint.
func platrelease(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: platrelease DIR TAG VERSION platform|rotated")
	}
	slot := ts.Value(fixtureKey{}).(*fixtureSlot)
	if slot.platform == nil {
		ts.Fatalf("platrelease: run mkplatform first")
	}
	key := slot.platformKey
	if args[3] == "rotated" {
		if slot.rotated == nil {
			k, _, err := catsourcetest.NewKey("Rotated")
			ts.Check(err)
			both, err := catsourcetest.ArmorKeys(slot.platformKey, k)
			ts.Check(err)
			ts.Check(os.WriteFile(ts.MkAbs("rotated-team.asc"), both, 0o644))
			ts.Setenv("ROTATED", catsourcetest.Fingerprint(k))
			slot.rotated = k
		}
		key = slot.rotated
	}
	files := catsourcetest.Files{}
	for p, e := range slot.platform {
		files[p] = e
	}
	cat := string(files["templates/catalog.yaml"].Data)
	files["templates/catalog.yaml"] = catsourcetest.Entry{Data: []byte(regexp.MustCompile(`(?m)^version: .*$`).ReplaceAllString(cat, "version: "+args[2]))}
	repo, err := catsourcetest.Init(ts.MkAbs(args[0]))
	ts.Check(err)
	c, err := repo.Commit(files, "acme catalog "+args[2], key)
	ts.Check(err)
	_, err = repo.Tag(args[1], c, key)
	ts.Check(err)
}

// docblock FILE N OUT writes the N-th ```sh block of the Markdown FILE to
// OUT as a shell script, as written except for what only a real service
// has: the example git URL becomes $GITURL, NEWFINGERPRINT becomes
// $ROTATED, optional arguments ([CATALOG]) and trailing comments go.
// docblock FILE N publisher instead checks that block N holds only the
// publisher's git and gpg commands (which the script emulates with
// fixtures). docblock FILE count N checks the file has N such blocks, so
// a guide that grows a block fails until the script runs it.
func docblock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: docblock FILE N OUT|publisher | docblock FILE count N")
	}
	data, err := os.ReadFile(args[0])
	ts.Check(err)
	var blocks [][]string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case !in && t == "```sh":
			in = true
			blocks = append(blocks, nil)
		case in && t == "```":
			in = false
		case in && t != "":
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], t)
		}
	}
	if args[1] == "count" {
		if fmt.Sprint(len(blocks)) != args[2] {
			ts.Fatalf("%s has %d sh blocks, not %s: run the new ones in the script", args[0], len(blocks), args[2])
		}
		return
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	if n < 1 || n > len(blocks) {
		ts.Fatalf("%s has no sh block %d", args[0], n)
	}
	block := blocks[n-1]
	if args[2] == "publisher" {
		for _, l := range block {
			if !strings.HasPrefix(l, "git ") && !strings.HasPrefix(l, "gpg ") {
				ts.Fatalf("block %d is not only the publisher's git and gpg commands: %s", n, l)
			}
		}
		return
	}
	comment := regexp.MustCompile(`\s+# .*$`)
	optional := regexp.MustCompile(`\s*\[[A-Z]+\]`)
	script := "set -e\n"
	for _, l := range block {
		l = comment.ReplaceAllString(l, "")
		l = optional.ReplaceAllString(l, "")
		l = strings.ReplaceAll(l, "https://git.example.com/platform/acme-catalog.git", "$GITURL")
		l = strings.ReplaceAll(l, "NEWFINGERPRINT", "$ROTATED")
		script += "echo '$ " + strings.ReplaceAll(l, "'", "") + "'\n" + l + "\n"
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(script), 0o644))
}

// cistep WORKFLOW JOB STEP FILE writes the run: script of the step named
// STEP of job JOB in the workflow file to FILE, and sets STEPENV to its
// env: entries, so a script runs exactly what CI would.
func cistep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: cistep WORKFLOW JOB STEP FILE")
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Check(yaml.Unmarshal(data, &wf))
	for _, st := range wf.Jobs[args[1]].Steps {
		if st.Name == args[2] {
			ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(st.Run+"\n"), 0o644))
			var names []string
			for k, v := range st.Env {
				names = append(names, k+"="+v)
			}
			sort.Strings(names)
			ts.Setenv("STEPENV", strings.Join(names, " "))
			return
		}
	}
	ts.Fatalf("cistep: job %s has no step %q", args[1], args[2])
}

// writecatalog DIR VERSION writes the fixture catalog at VERSION (as
// mkcatalog's tags hold it: 1.1.0 says "# since 1.1.0") into directory
// DIR, replacing what it held, with one golden case of its blueprint to be
// recorded by secgen test --update.
func writecatalog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: writecatalog DIR VERSION")
	}
	dir := ts.MkAbs(args[0])
	for _, sub := range []string{"templates", "blueprints"} {
		ts.Check(os.RemoveAll(filepath.Join(dir, sub)))
	}
	extra := ""
	if args[1] != "1.0.0" {
		extra = "# since " + args[1] + "\n"
	}
	files := catsourcetest.Catalog(args[1], catsourcetest.Control, extra)
	files["goldens/service/defaults/case.yaml"] = catsourcetest.Entry{Data: []byte("blueprint: service\n")}
	files["goldens/service/defaults/answers.yaml"] = catsourcetest.Entry{Data: []byte("name: golden\n")}
	for p, e := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		ts.Check(os.MkdirAll(filepath.Dir(full), 0o755))
		ts.Check(os.WriteFile(full, e.Data, 0o644))
	}
}

package compose

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// pinned is NAME:TAG@sha256:DIGEST, the form every image of the catalog takes.
var pinned = regexp.MustCompile(`^[a-z0-9]+([._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[0-9a-f]{64}$`)

// composeTrees returns every golden tree that renders compose.yaml, and fails
// when a tree with the PostgreSQL store has none (make dev's database for
// Docker users) or when no tree has one at all.
func composeTrees(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		_, errCompose := os.Stat(filepath.Join(d, "compose.yaml"))
		_, errPG := os.Stat(filepath.Join(d, "internal", "store", "postgres.go"))
		switch {
		case errCompose == nil:
			out = append(out, d)
		case !errors.Is(errCompose, fs.ErrNotExist):
			t.Fatal(errCompose)
		case errPG == nil:
			t.Errorf("%s renders the PostgreSQL store but no compose.yaml", d)
		}
	}
	if len(out) == 0 {
		t.Fatal("no golden tree renders compose.yaml: run make goldens")
	}
	return out
}

// load loads a compose file as docker compose would, schema validation and
// consistency checks on, with no environment from this process.
func load(t *testing.T, dir string, content []byte) (*types.Project, error) {
	t.Helper()
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: content}},
		Environment: types.Mapping{},
	})
}

// TestComposeFilesLoadStrictly: each compose.yaml is valid against the
// compose specification; the same file with one unknown key is refused, so
// the validation is strict.
func TestComposeFilesLoadStrictly(t *testing.T) {
	for _, dir := range composeTrees(t) {
		data, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := load(t, dir, data); err != nil {
			t.Errorf("%s: compose.yaml: %v", dir, err)
		}
		spoiled := strings.Replace(string(data), "\n    image:", "\n    imagee: typo\n    image:", 1)
		if spoiled == string(data) {
			t.Fatalf("%s: compose.yaml has no service image to spoil", dir)
		}
		if _, err := load(t, dir, []byte(spoiled)); err == nil {
			t.Errorf("%s: compose.yaml with an unknown key loads: the validation is not strict", dir)
		}
	}
}

// TestComposeImagesPinnedAndPortsLoopback: every image is pinned by digest,
// every published port is bound to 127.0.0.1, and no service shares the
// host's network or runs privileged.
func TestComposeImagesPinnedAndPortsLoopback(t *testing.T) {
	for _, dir := range composeTrees(t) {
		data, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := load(t, dir, data)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if len(p.Services) == 0 {
			t.Fatalf("%s: compose.yaml has no service", dir)
		}
		for name, s := range p.Services {
			if !pinned.MatchString(s.Image) {
				t.Errorf("%s: service %s: image %q is not NAME:TAG@sha256:DIGEST", dir, name, s.Image)
			}
			if s.Build != nil {
				t.Errorf("%s: service %s builds an image: the dev loop's compose file runs pinned images only", dir, name)
			}
			if s.NetworkMode == "host" || s.Privileged {
				t.Errorf("%s: service %s: network_mode %q, privileged %v", dir, name, s.NetworkMode, s.Privileged)
			}
			for _, port := range s.Ports {
				if port.HostIP != "127.0.0.1" || port.Published == "" {
					t.Errorf("%s: service %s publishes port %d on %q:%q, want 127.0.0.1 and an explicit port", dir, name, port.Target, port.HostIP, port.Published)
				}
			}
		}
	}
}

package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := func(rev, at, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: at}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "f2f26a99dd58668f496f67e15354ef16209efff4"
	for _, tc := range []struct {
		name        string
		bi          *debug.BuildInfo
		version     string
		installable bool
	}{
		{"no build info", nil, Dev, false},
		{"go run", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Dev, false},
		{"go install @v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "1.2.3", true},
		{"release candidate", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0-rc.1"}}, "1.3.0-rc.1", true},
		{"checkout, pseudo-version by go", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129183726-f2f26a99dd58"}}, "0.0.0-20261129183726-f2f26a99dd58", true},
		{"dirty checkout", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129183726-f2f26a99dd58+dirty"}}, "0.0.0-20261129183726-f2f26a99dd58+dirty", false},
		{"other build metadata", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3+meta"}}, "1.2.3+meta", false},
		{"revision only", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-11-29T18:37:26Z", "false")}, "0.0.0-20261129183726-f2f26a99dd58", true},
		{"revision only, modified", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-11-29T18:37:26Z", "true")}, "0.0.0-20261129183726-f2f26a99dd58+dirty", false},
		{"revision without time", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "", "false")}, Dev, false},
		{"not a version", &debug.BuildInfo{Main: debug.Module{Version: "banana"}}, Dev, false},
	} {
		got := From(tc.bi)
		if got.Version != tc.version || got.Installable != tc.installable {
			t.Errorf("%s: got %q installable=%v, want %q installable=%v", tc.name, got.Version, got.Installable, tc.version, tc.installable)
		}
		if got.Installable != (got.Problem == "") {
			t.Errorf("%s: installable=%v but problem %q", tc.name, got.Installable, got.Problem)
		}
	}
}

package project

import "testing"

func TestNewestTag(t *testing.T) {
	tags := []string{"v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0-rc.1", "unsigned", "v1.9.9+build", "latest"}
	for _, tc := range []struct{ current, want string }{
		{"v1.0.0", "v1.10.0"},          // semver order, not string order
		{"v2.0.0-rc.0", "v2.0.0-rc.1"}, // pre-releases only from a pre-release
		{"v3.0.0", "v3.0.0"},           // never backwards
	} {
		if got := newestTag(tc.current, tags); got != tc.want {
			t.Errorf("newestTag(%s) = %s, want %s", tc.current, got, tc.want)
		}
	}
}

func TestCompareVersionsFloor(t *testing.T) {
	// A named catalog's pin is followed unless it is older than the
	// project's version (a source, not a ceiling).
	for _, tc := range []struct {
		pin, recorded string
		follow        bool
	}{{"1.1.0", "1.0.0", true}, {"1.0.0", "1.1.0", false}, {"1.1.0", "1.1.0", true}} {
		if got := compareVersions(tc.pin, tc.recorded) >= 0; got != tc.follow {
			t.Errorf("pin %s, recorded %s: follow = %v", tc.pin, tc.recorded, got)
		}
	}
}

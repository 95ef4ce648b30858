package suggest

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"add", "audit", "check", "new", "update", "init", "k8s", "name", "namespace", "directory", "go-service"}
	for typed, want := range map[string][]string{
		"chek":       {"check"},
		"k8z":        {"k8s"},
		"nmae":       {"name"},      // a swap counts once
		"direct":     {"directory"}, // a prefix
		"dir":        nil,           // too short to be a prefix of anything
		"go-servic":  {"go-service"},
		"zzzzzzzzzz": nil,
		"":           nil,
	} {
		if got := Closest(typed, names); !slices.Equal(got, want) {
			t.Errorf("Closest(%q) = %q, want %q", typed, got, want)
		}
	}
	if got := DidYouMean("updte", names); got != ` (did you mean "update"?)` {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := Phrase("qqqqqqqq", []string{"a", "b"}); got != " (available: a, b)" {
		t.Errorf("Phrase = %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"same", "same", 0}} {
		if got := Distance(tc.a, tc.b); got != tc.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

package catsource

import (
	"slices"
	"testing"
)

// CachedTags lists exactly the tags fetched from this source before,
// with no network: not the remote's other tags, not another source's.
func TestCachedTagsAreTheFetchedOnes(t *testing.T) {
	f := newFixture(t, false)
	other := newFixture(t, false)
	cache := t.TempDir()
	o := &Opener{CacheDir: cache, Offline: true}
	if got := o.CachedTags(spec(t, f.url)); len(got) != 0 {
		t.Fatalf("an empty cache lists %q", got)
	}
	if _, err := open(t, cache, false, Request{Spec: spec(t, f.url+"@v1.0.0"), Keyring: f.Ring}); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, cache, false, Request{Spec: spec(t, other.url+"@v1.1.0"), Keyring: other.Ring}); err != nil {
		t.Fatal(err)
	}
	if got := o.CachedTags(spec(t, f.url)); !slices.Equal(got, []string{"v1.0.0"}) {
		t.Errorf("CachedTags = %q, want only the fetched v1.0.0", got)
	}
	if got := o.CachedTags(spec(t, "builtin")); got != nil {
		t.Errorf("the built-in catalog lists tags %q", got)
	}
}

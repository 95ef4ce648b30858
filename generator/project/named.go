package project

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/secgen/secgen/generator/catalogs"
	"github.com/secgen/secgen/generator/catsource"
	"github.com/secgen/secgen/generator/failure"
)

// AddNamed opens SOURCE at ref, verified against keyring when given, and
// records it as named catalog name (with a copy of the keyring).
func (r *Resolver) AddNamed(ctx context.Context, name, source, ref string, keyring []byte) (catalogs.Entry, error) {
	if err := catalogs.CheckName(name); err != nil {
		return catalogs.Entry{}, err
	}
	spec, err := catsource.Parse(source, ref)
	if err != nil {
		return catalogs.Entry{}, err
	}
	if spec.Kind == catsource.Builtin {
		return catalogs.Entry{}, failure.Invalidf("the built-in catalog is always there; name a directory or git URL")
	}
	store, f, err := r.Catalogs()
	if err != nil {
		return catalogs.Entry{}, err
	}
	if _, ok := f.Find(name); ok {
		return catalogs.Entry{}, failure.Invalidf("a catalog named %s exists already; remove it first or run secgen catalog update %s", name, name)
	}
	c, err := r.open(ctx, catsource.Request{Spec: spec, Keyring: keyring}, name)
	if err != nil {
		return catalogs.Entry{}, err
	}
	e := entryOf(name, spec, c)
	if keyring != nil {
		if e.Keyring, err = store.PutKeyring(name, keyring); err != nil {
			return catalogs.Entry{}, err
		}
	}
	f.Put(e)
	return e, store.Save(f)
}

// entryOf records an opened catalog as a named one.
func entryOf(name string, spec catsource.Spec, c *Catalog) catalogs.Entry {
	return catalogs.Entry{
		Name: name, Source: spec.URL, Ref: spec.Ref, Pin: c.Origin.Pin, Commit: c.Origin.Commit,
		Signer: c.Origin.Signer, ID: c.ID, Version: c.Version,
	}
}

// NamedUpdate asks to resolve named catalogs again.
type NamedUpdate struct {
	// Name is the catalog to update; "" is every one.
	Name string
	// Ref moves the catalog to another ref (needs Name). Without it, a
	// catalog pinned to a semver tag moves to the remote's newest semver
	// tag (pre-releases only from a pre-release), and any other ref is
	// resolved again.
	Ref string
	// Keyring replaces the catalog's stored keyring (key rotation; needs
	// Name).
	Keyring []byte
	// AcceptMovedTag accepts a tag that now points at another commit.
	AcceptMovedTag bool
	// AcceptSigner accepts a signature by this key instead of the pinned
	// signer.
	AcceptSigner string
}

// NamedChange is what UpdateNamed did to one catalog.
type NamedChange struct {
	Old, New catalogs.Entry
	// KeyringRotated is set when the stored keyring was replaced.
	KeyringRotated bool
}

// String is the change as one line: old → new.
func (c NamedChange) String() string {
	o, n := c.Old, c.New
	line := n.Name + ": "
	switch {
	case n.Commit == "":
		line += fmt.Sprintf("%s %s (a directory, read as it is)", n.ID, n.Version)
	case n.Commit == o.Commit && n.Ref == o.Ref:
		line += describe(o.Ref, o.Commit) + " (unchanged)"
	default:
		line += fmt.Sprintf("%s → %s (%s %s)", describe(o.Ref, o.Commit), describe(n.Ref, n.Commit), n.ID, n.Version)
	}
	if c.KeyringRotated {
		line += "; keyring replaced"
	}
	if n.Signer != o.Signer && n.Signer != "" {
		line += "; signer " + n.Signer
	}
	return line
}

func describe(ref, commit string) string {
	if ref == "" || catsource.CommitPattern.MatchString(ref) {
		return short(commit)
	}
	return ref + " " + short(commit)
}

// UpdateNamed resolves named catalogs again and pins what they now point
// at. Everything is resolved and verified before the store is written
// once.
func (r *Resolver) UpdateNamed(ctx context.Context, req NamedUpdate) ([]NamedChange, error) {
	if req.AcceptSigner != "" && !fingerprintPattern.MatchString(req.AcceptSigner) {
		return nil, failure.Invalidf("--accept-signer %s is not a key fingerprint (40 or 64 upper-case hex digits)", failure.Quote(req.AcceptSigner))
	}
	if (req.Ref != "" || req.Keyring != nil) && req.Name == "" {
		return nil, failure.Invalidf("--ref and --keyring need the NAME of the catalog to change")
	}
	store, f, err := r.Catalogs()
	if err != nil {
		return nil, err
	}
	todo := f.Catalogs
	if req.Name != "" {
		if err := catalogs.CheckName(req.Name); err != nil {
			return nil, err
		}
		e, ok := f.Find(req.Name)
		if !ok {
			return nil, failure.Invalidf("there is no catalog named %s", failure.Quote(req.Name))
		}
		todo = []catalogs.Entry{e}
	}
	var changes []NamedChange
	rings := map[string][]byte{}
	for _, e := range todo {
		ch, ring, err := r.updateEntry(ctx, store, e, req)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", e.Name, err)
		}
		if ring != nil {
			rings[e.Name] = ring
		}
		changes = append(changes, ch)
	}
	for i, ch := range changes {
		if ring := rings[ch.New.Name]; ring != nil {
			rel, err := store.PutKeyring(ch.New.Name, ring)
			if err != nil {
				return nil, err
			}
			changes[i].New.Keyring = rel
		}
		f.Put(changes[i].New)
	}
	return changes, store.Save(f)
}

// updateEntry resolves one named catalog again; it returns the keyring to
// store when it was replaced.
func (r *Resolver) updateEntry(ctx context.Context, store *catalogs.Store, e catalogs.Entry, req NamedUpdate) (NamedChange, []byte, error) {
	spec, err := catsource.Parse(e.Source, "")
	if err != nil {
		return NamedChange{}, nil, err
	}
	ref := e.Ref
	if req.Ref != "" {
		ref = req.Ref
	} else if spec.Kind == catsource.Git && semver.IsValid(e.Ref) {
		tags, err := r.opener().Tags(ctx, spec)
		if err != nil {
			return NamedChange{}, nil, err
		}
		ref = newestTag(e.Ref, tags)
	}
	ring := req.Keyring
	if ring == nil {
		if ring, err = store.Keyring(e); err != nil {
			return NamedChange{}, nil, err
		}
	}
	if spec, err = catsource.Parse(e.Source, ref); err != nil {
		return NamedChange{}, nil, err
	}
	c, err := r.open(ctx, catsource.Request{Spec: spec, Keyring: ring, Refresh: spec.Kind == catsource.Git, AcceptMovedTag: req.AcceptMovedTag}, e.Name)
	if err != nil {
		return NamedChange{}, nil, err
	}
	next := entryOf(e.Name, spec, c)
	next.Keyring = e.Keyring
	if ref == e.Ref && c.Origin.Tag && e.Commit != "" && next.Commit != e.Commit && !req.AcceptMovedTag {
		return NamedChange{}, nil, &catsource.MovedTagError{Source: spec.Display, Tag: ref, Recorded: e.Commit, Now: next.Commit}
	}
	if e.Signer != "" && next.Signer != e.Signer && next.Signer != req.AcceptSigner {
		return NamedChange{}, nil, failure.Invalidf("%s is signed by %s, not by the pinned signer %s; if its publisher rotated its key, give --accept-signer %s", spec, next.Signer, e.Signer, next.Signer)
	}
	if e.Signer != "" && ring == nil {
		return NamedChange{}, nil, failure.Invalidf("it was verified (signer %s) and now has no keyring", e.Signer)
	}
	return NamedChange{Old: e, New: next, KeyringRotated: req.Keyring != nil}, req.Keyring, nil
}

// newestTag is the newest semver tag of tags at or above current, with
// pre-releases only when current is one; current when none is newer.
func newestTag(current string, tags []string) string {
	best := current
	pre := semver.Prerelease(current) != ""
	for _, t := range tags {
		if !semver.IsValid(t) || (!pre && semver.Prerelease(t) != "") || strings.Contains(t, "+") {
			continue
		}
		if semver.Compare(t, best) > 0 {
			best = t
		}
	}
	return best
}

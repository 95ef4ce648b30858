// Package buildinfo derives secgen's own version from the module build
// information Go records in every binary, and says whether that version
// can be installed again with go install: the generated CI installs
// exactly the version a project's manifest records.
package buildinfo

import (
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Command is secgen's package path, what go install installs.
const Command = "github.com/secgen/secgen/cmd/secgen"

// Dev is the version of a build without module version or version control
// information (go run, or a build outside a git checkout).
const Dev = "dev"

// Info is a build's version and whether it can be installed.
type Info struct {
	// Version is the module version without its leading "v": "1.2.3" for
	// go install ...@v1.2.3, a pseudo-version such as
	// "0.0.0-20261204195645-f2f26a99dd58" for a build from a git checkout
	// ("+dirty" when the tree had uncommitted changes), or Dev.
	Version string
	// Installable is true when go install Command@vVersion can fetch this
	// version: a valid semantic version without build metadata.
	Installable bool
	// Problem says why the version is not installable, as a phrase that
	// follows "this secgen" ("has no version information").
	Problem string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return From(nil)
	}
	return From(bi)
}

// From derives the version of the build bi describes; nil is a binary
// without build information.
func From(bi *debug.BuildInfo) Info {
	if bi == nil {
		return dev()
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = fromVCS(bi.Settings)
	}
	if v == "" || !semver.IsValid(v) {
		return dev()
	}
	info := Info{Version: strings.TrimPrefix(v, "v"), Installable: true}
	if build := semver.Build(v); build != "" {
		info.Installable = false
		info.Problem = "was built from a git checkout with uncommitted changes"
		if build != "+dirty" {
			info.Problem = "carries build metadata " + build + ", which go install cannot fetch"
		}
	}
	return info
}

func dev() Info {
	return Info{Version: Dev, Problem: "has no version information (built with go run, or outside a git checkout)"}
}

// fromVCS builds the pseudo-version of a git revision when Go recorded the
// revision but not a module version (an older toolchain, or a build whose
// version Go could not compute); "" when there is no usable revision.
func fromVCS(settings []debug.BuildSetting) string {
	var rev, at, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	t, err := time.Parse(time.RFC3339, at)
	if len(rev) < 12 || err != nil {
		return ""
	}
	v := module.PseudoVersion("", "", t, rev[:12])
	if modified == "true" {
		v += "+dirty"
	}
	return v
}

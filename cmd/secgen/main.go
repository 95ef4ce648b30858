// Command secgen renders hardened project scaffolding. See README.md.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/secgen/secgen/cmd/secgen/internal/cli"
)

// gcPercent is the collector's target for a run of secgen, unless GOGC
// sets one: a run lasts tens of milliseconds and keeps the catalog and one
// project in memory, so with Go's default of 100 the collector runs several
// times over a heap that is mostly live (a tenth of check's CPU). At 400
// it rarely runs at all, for about 4 MiB more at the peak.
const gcPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.System()))
}

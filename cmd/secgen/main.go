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

// memoryLimit is the soft limit the collector keeps the heap under, unless
// GOMEMLIMIT sets one: at gcPercent a large run (the audit of a 5,000-file
// repository) would grow the heap to five times what is live before
// collecting; under the limit the collector runs as often as it must
// instead. Small runs never come near it.
const memoryLimit = 192 << 20

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.System()))
}

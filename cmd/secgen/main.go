// Command secgen renders hardened project scaffolding. See README.md.
package main

import (
	"context"
	"os"

	"github.com/secgen/secgen/cmd/secgen/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.System()))
}

package actions

import (
	"os"
	"testing"

	"github.com/secgen/secgen/tests/verify/internal/goldentree"
)

// goldensDir holds every golden case with its whole tree, laid out like
// goldens/; TestMain materializes it.
var goldensDir string

func TestMain(m *testing.M) { os.Exit(goldentree.Main(m, &goldensDir)) }

package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"example.com/scratchpad/internal/command"
)

// The test binary doubles as the external program: with DEMO_ARGV_HELPER set
// (passed through options, since the child gets an empty environment) it
// prints the argument vector it received as JSON.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-argv-helper" {
		out, _ := json.Marshal(os.Args[1:])
		fmt.Print(string(out))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runner(t *testing.T) *command.Runner {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	self, err = filepath.Abs(self)
	if err != nil {
		t.Fatal(err)
	}
	r, err := command.NewRunner(map[string]string{"echo-argv": self}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// APP-03: shell metacharacters and option-like operands arrive verbatim,
// after "--", as separate arguments.
func TestOperandsAreNeverInterpreted(t *testing.T) {
	r := runner(t)
	hostile := []string{"; rm -rf /", "$(id)", "`id`", "a && b", "-rf", "--output=/etc/passwd", "*", "x\ny"}
	out, err := r.Run(context.Background(), "echo-argv", []string{"-argv-helper"}, hostile...)
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	if err := json.Unmarshal(out, &argv); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	want := append([]string{"-argv-helper", "--"}, hostile...)
	if !slices.Equal(argv, want) {
		t.Fatalf("argv = %q, want %q", argv, want)
	}
}

// APP-03: only allowlisted programs run.
func TestUnknownProgramRefused(t *testing.T) {
	r := runner(t)
	for _, p := range []string{"sh", "/bin/sh", "bash -c id", "../echo-argv"} {
		if _, err := r.Run(context.Background(), p, nil); !errors.Is(err, command.ErrNotAllowed) {
			t.Errorf("Run(%q) error = %v, want ErrNotAllowed", p, err)
		}
	}
}

func TestRelativeProgramPathRefused(t *testing.T) {
	if _, err := command.NewRunner(map[string]string{"x": "bin/x"}, time.Second); err == nil {
		t.Fatal("relative program path accepted")
	}
}

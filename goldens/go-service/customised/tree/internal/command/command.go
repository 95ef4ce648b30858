// Package command runs external programs without a shell (APP-03).
//
// A program is chosen from a fixed allowlist of absolute paths set by the
// code, never by a request. Arguments are passed as a vector, so no shell
// ever parses them, and every user-supplied operand comes after "--", so it
// can never be taken for an option.
package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrNotAllowed is returned for a program that is not on the allowlist.
var ErrNotAllowed = errors.New("command: program not allowed")

// MaxOutput bounds the captured standard output.
const MaxOutput = 1 << 20

// Runner runs allowlisted programs.
type Runner struct {
	programs map[string]string
	timeout  time.Duration
}

// NewRunner returns a Runner that may run exactly the given programs (name
// -> absolute path), each for at most timeout.
func NewRunner(programs map[string]string, timeout time.Duration) (*Runner, error) {
	for name, path := range programs {
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("command: %s: path must be absolute", name)
		}
	}
	return &Runner{programs: programs, timeout: timeout}, nil
}

// Run runs program with the fixed options (chosen by the code) followed by
// "--" and the operands (which may come from users), and returns its
// standard output.
func (r *Runner) Run(ctx context.Context, program string, options []string, operands ...string) ([]byte, error) {
	path, ok := r.programs[program]
	if !ok {
		return nil, ErrNotAllowed
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	argv := make([]string, 0, len(options)+1+len(operands))
	argv = append(argv, options...)
	argv = append(argv, "--")
	argv = append(argv, operands...)

	// #nosec G204 -- the program is an allowlisted absolute path fixed by the code; argv is
	// passed as a vector (no shell) and user operands follow "--" (APP-03).
	cmd := exec.CommandContext(ctx, path, argv...)
	cmd.Env = []string{} // nothing of the service's environment (secrets) leaks to children
	var stdout limitedBuffer
	stdout.max = MaxOutput
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("command: %s: %w", program, err)
	}
	if stdout.overflow {
		return nil, fmt.Errorf("command: %s: output larger than %d bytes", program, MaxOutput)
	}
	return stdout.Bytes(), nil
}

type limitedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.overflow = true
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary re-executes itself to run main for real, so the exit code
// and standard error are those a container runtime sees.
const (
	helperEnv     = "SERVICE_MAIN_HELPER"
	helperArgsEnv = "SERVICE_MAIN_ARGS"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Args = append(os.Args[:1], strings.Fields(os.Getenv(helperArgsEnv))...)
		main()
		return
	}
	os.Exit(m.Run())
}

const (
	leakyClientSecret = "client-secret-value-must-never-print"
	leakyDBPassword   = "db-password-must-never-print"
	leakyDatabaseURL  = "postgres://app:" + leakyDBPassword + "@db:5432/app?sslmode=verify-full"
)

// fullEnv sets every required variable; each test removes or spoils one.
// The values are test fixtures, not credentials.
func fullEnv() map[string]string {
	return map[string]string{
		"ENCRYPTION_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",

		"OIDC_CLIENT_ID":     "test-client",
		"OIDC_CLIENT_SECRET": leakyClientSecret,
		"OIDC_REDIRECT_URL":  "https://app.example.com/auth/callback",
	}
}

func runMain(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{helperEnv + "=1", helperArgsEnv + "=" + strings.Join(args, " ")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// APP-16: each missing required variable makes the process exit 1 with a
// message naming the variable, and no value of any other variable.
func TestMissingRequiredEnvExits1(t *testing.T) {
	for name := range fullEnv() {
		t.Run(name, func(t *testing.T) {
			env := fullEnv()
			delete(env, name)
			code, stderr := runMain(t, env)
			if code != 1 {
				t.Fatalf("exit code %d, want 1; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, name) {
				t.Fatalf("stderr does not name %s: %q", name, stderr)
			}
			for _, leak := range []string{leakyClientSecret, leakyDBPassword, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="} {
				if strings.Contains(stderr, leak) {
					t.Fatalf("stderr reveals a value: %q", stderr)
				}
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("want one line, got %q", stderr)
			}
		})
	}
}

// APP-16: a malformed secret is named, its value is not printed.
func TestInvalidSecretNotEchoed(t *testing.T) {
	env := fullEnv()
	env["ENCRYPTION_KEY"] = "short-key-value-must-never-print"
	code, stderr := runMain(t, env)
	if code != 1 || !strings.Contains(stderr, "ENCRYPTION_KEY") || strings.Contains(stderr, "short-key-value-must-never-print") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

// Unknown commands are usage errors (exit 2), never silently served.
func TestUnknownCommandExits2(t *testing.T) {
	if code, stderr := runMain(t, fullEnv(), "serve-everything"); code != 2 || !strings.Contains(stderr, "usage") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

package secrets

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// The fakes below are assembled at run time so that this repository never holds a
// literal that looks like a key (the scan of the goldens and templates must stay clean,
// and so must any scanner pointed at secgen itself).
func fake(parts ...string) string { return strings.Join(parts, "") }

func TestScanFindsSecrets(t *testing.T) {
	alnum := func(n int) string { return strings.Repeat("a1B2", n)[:n] }
	upper := func(n int) string { return strings.Repeat("Q7Z3", n)[:n] }
	cases := []struct {
		file, text, rule string
	}{
		{"key.pem", fake("-----BEGIN ", "RSA PRIVATE", " KEY-----\nMIIE\n-----END ", "RSA PRIVATE", " KEY-----\n"), "private key"},
		{"id", fake("-----BEGIN ", "OPENSSH PRIVATE", " KEY-----"), "private key"},
		{"k.asc", fake("-----BEGIN ", "PGP PRIVATE KEY", " BLOCK-----"), "private key"},
		{"main.tf", fake(`access_key_id = "`, "AK", "IA", upper(16), `"`), "AWS access key ID"},
		{"env.sh", fake("export AWS_ACCESS_KEY_ID=", "AS", "IA", upper(16)), "AWS access key ID"},
		{"ci.yml", fake("token: ", "gh", "p_", alnum(36)), "GitHub token"},
		{"x.go", fake(`var t = "`, "gh", "o_", alnum(36), `"`), "GitHub token"},
		{"README.md", fake("github", "_pat_", alnum(22), "_", alnum(59)), "GitHub fine-grained token"},
		{"notify.yaml", fake("webhook: ", "xo", "xb-", "1234567890-", alnum(24)), "Slack token"},
		{"notify.yaml", fake("url: https://hooks.", "slack.com/services/T", upper(8), "/B", upper(8), "/", alnum(24)), "Slack webhook"},
		{"app.js", fake(`key = "`, "AI", "za", alnum(35), `"`), "Google API key"},
		{"pay.go", fake(`k := "`, "sk", "_live_", alnum(24), `"`), "Stripe live key"},
		{"fixture.json", fake(`{"t":"`, "ey", "J", alnum(20), ".", "ey", "J", alnum(30), ".", alnum(43), `"}`), "JWT"},
		{"config.go", fake(`dsn := "postgres://app:`, "hunter2", `@db:5432/app"`), "credentials in URL"},
		{"values.yaml", fake("password: ", "hunter2"), "password or secret assignment"},
		{"values.yaml", fake(`  "secret": "`, "s3cr3t-value", `"`), "password or secret assignment"},
		{".env.local", fake("DB_PASSWORD=x\nPASSWORD=", "correcthorse"), "password or secret assignment"},
		{"main.go", fake(`password := "`, "correcthorse", `"`), "password or secret assignment"},
		{"main.tf", fake(`  password = "`, "changeme", `"`), "password or secret assignment"},
		{"app.ini", fake("api_key = ", alnum(20)), "password or secret assignment"},
	}
	for _, c := range cases {
		got, err := Scan(c.file, strings.NewReader(c.text))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range got {
			found = found || f.Rule == c.rule
		}
		if !found {
			t.Errorf("Scan(%s) missed a %s (found %v)", c.file, c.rule, got)
		}
	}
}

// TestScanIgnoresReferences: names of secrets, references to secret stores and
// placeholders are what templates must use; they are not findings.
func TestScanIgnoresReferences(t *testing.T) {
	cases := []struct{ file, text string }{
		{"release.yml", "          password: ${{ secrets.GITHUB_TOKEN }}"},
		{"release.yml", "          GH_TOKEN: ${{ github.token }}"},
		{"main.tf", "  password = var.db_password"},
		{"main.tf", "  manage_master_user_password = true"},
		{"main.tf", `  secret_id = aws_secretsmanager_secret.db.id`},
		{"deploy.yaml", "      automountServiceAccountToken: false"},
		{"deploy.yaml", "        - secretRef:\n            name: demo-service"},
		{"deploy.yaml", "    secret:\n      secretName: tls"},
		{"config.go", `	password := os.Getenv("DB_PASSWORD")`},
		{"config.go", `	token, err := r.Cookie("session")`},
		{"config.go", `	Secret: cfg.Secret,`},
		{"config.go", `	dsn := "postgres://app:${DB_PASSWORD}@db/app"`},
		{"compose.yaml", "    image: docker://alpine:3@sha256:" + strings.Repeat("0", 64)},
		{"README.md", "The password: is read from the environment."},
		{"values.yaml", "password: \"\""},
		{"values.yaml", "token: <your token here>"},
		{"cert.pem", "-----BEGIN CERTIFICATE-----"},
	}
	for _, c := range cases {
		got, err := Scan(c.file, strings.NewReader(c.text))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("Scan(%s, %q) = %v, want nothing", c.file, c.text, got)
		}
	}
}

// scanTree scans every regular file under root and returns the findings and the number
// of files read.
func scanTree(t *testing.T, root string) ([]Finding, int) {
	t.Helper()
	var findings []Finding
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return errors.New(p + ": symlink in a rendered tree")
		}
		if d.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		files++
		got, err := Scan(filepath.ToSlash(p), f)
		findings = append(findings, got...)
		return err
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return findings, files
}

// TestGoldensHoldNoSecrets is SEC-01 over every rendered file of every golden case of
// every blueprint and component.
func TestGoldensHoldNoSecrets(t *testing.T) {
	trees, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree"))
	if err != nil {
		t.Fatal(err)
	}
	if len(trees) == 0 {
		t.Fatal("no golden tree found under the goldens: run make goldens")
	}
	total := 0
	for _, tree := range trees {
		findings, n := scanTree(t, tree)
		total += n
		for _, f := range findings {
			t.Errorf("SEC-01: %s", f)
		}
	}
	if total == 0 {
		t.Fatal("the golden trees hold no file: the scan proved nothing")
	}
	t.Logf("scanned %d files in %d golden trees", total, len(trees))
}

// TestCatalogHoldsNoSecrets scans the templates and blueprints themselves, so that a
// literal in a branch no golden renders is caught too.
func TestCatalogHoldsNoSecrets(t *testing.T) {
	for _, root := range []string{"../../../templates", "../../../blueprints"} {
		if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) && root == "../../../blueprints" {
			continue
		}
		findings, n := scanTree(t, root)
		if n == 0 {
			t.Errorf("%s holds no file", root)
		}
		for _, f := range findings {
			t.Errorf("SEC-01: %s", f)
		}
	}
}

// ignoredBy reports whether a simple .gitignore (no negations needed here) ignores the
// file name at the root of the tree.
func ignoredBy(gitignore, name string) bool {
	for _, l := range strings.Split(gitignore, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "!") {
			continue
		}
		l = strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/")
		l = strings.TrimPrefix(l, "**/")
		if ok, _ := path.Match(l, name); ok {
			return true
		}
	}
	return false
}

// TestGitignoreKeepsSecretsOut: every rendered .gitignore at a tree's root keeps
// dotenv files, PEM files and key files out of git (SEC-01).
func TestGitignoreKeepsSecretsOut(t *testing.T) {
	if !ignoredBy("# c\n.env*\n*.pem\n/*.key\n", ".env.local") || ignoredBy("*.pem\n", ".env") {
		t.Fatal("ignoredBy is broken")
	}
	trees, err := filepath.Glob(filepath.Join(goldensDir, "*", "*", "tree"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tree := range trees {
		b, err := os.ReadFile(filepath.Join(tree, ".gitignore"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{".env", ".env.production", "server.pem", "signing.key"} {
			if !ignoredBy(string(b), name) {
				t.Errorf("%s/.gitignore does not ignore %s", tree, name)
			}
		}
	}
}

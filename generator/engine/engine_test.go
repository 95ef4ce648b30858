package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/builtin"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/gitinit"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

func testEngine(t testing.TB) *Engine {
	t.Helper()
	cat, err := builtin.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Catalog: cat, Version: "test", Auditor: testAuditor{}}
}

func TestNewWritesProjectAndManifest(t *testing.T) {
	t.Parallel()
	target := filepath.Join(t.TempDir(), "payments")
	res, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if res.Answers["name"] != "payments" {
		t.Fatalf("name default = %v, want the target's base name", res.Answers["name"])
	}
	data, err := os.ReadFile(filepath.Join(target, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != len(res.Plan.Files)-1 {
		t.Fatalf("manifest lists %d files, plan has %d plus the manifest", len(m.Files), len(res.Plan.Files))
	}
	for _, f := range m.Files {
		content, err := os.ReadFile(filepath.Join(target, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if got := (plan.File{Content: content}).SHA256(); got != f.SHA256 {
			t.Errorf("%s: sha256 on disk %s, manifest %s", f.Path, got, f.SHA256)
		}
	}
}

// TestAppliedControlsFollowTheAnswers: the summary and the manifest list a conditional
// control only when the answers render it (issue: K8S-10 without a mesh, K8S-11 without a
// role, ENC-02 and ENC-05 without RDS or ALB were listed).
func TestAppliedControlsFollowTheAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		set       []string
		want, not []string
	}{
		{set: []string{"database=none", "include_alb=false", "oidc_login=false"},
			not: []string{"K8S-10", "K8S-11", "ENC-02", "ENC-05", "APP-04", "APP-11"}},
		// The defaults: include_rds follows database=postgres and include_alb is on.
		{set: nil, want: []string{"ENC-02", "ENC-05", "APP-04", "APP-11"}, not: []string{"K8S-10", "K8S-11"}},
		{set: []string{"mesh=istio", "irsa_role_arn=arn:aws:iam::123456789012:role/svc"}, want: []string{"K8S-10", "K8S-11"}},
	}
	for _, tc := range cases {
		target := filepath.Join(t.TempDir(), "svc")
		res, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: target, Set: tc.set, DryRun: true})
		if err != nil {
			t.Fatalf("%v: %v", tc.set, err)
		}
		var recorded []string
		backstage := ""
		for _, f := range res.Plan.Files {
			switch f.Path {
			case manifest.FileName:
				m, err := manifest.Parse(f.Content)
				if err != nil {
					t.Fatal(err)
				}
				recorded = m.Controls
			case "catalog-info.yaml":
				backstage = string(f.Content)
			}
		}
		if strings.Join(recorded, ",") != strings.Join(res.Controls, ",") {
			t.Errorf("%v: manifest controls %v, summary %v", tc.set, recorded, res.Controls)
		}
		// The Backstage entity's annotation (appliedControls) lists the same controls.
		if want := `secgen/controls: "` + strings.Join(res.Controls, ",") + `"`; !strings.Contains(backstage, want) {
			t.Errorf("%v: catalog-info.yaml lacks %s:\n%s", tc.set, want, backstage)
		}
		for _, id := range tc.want {
			if !slices.Contains(res.Controls, id) {
				t.Errorf("%v: %s is not applied: %v", tc.set, id, res.Controls)
			}
		}
		for _, id := range tc.not {
			if slices.Contains(res.Controls, id) {
				t.Errorf("%v: %s is listed although not rendered", tc.set, id)
			}
		}
	}
}

// TestDeploymentAnswersMustBeConsistent: an option whose NetworkPolicy rule needs addresses
// is refused without them, rather than rendered into pods that cannot connect.
func TestDeploymentAnswersMustBeConsistent(t *testing.T) {
	t.Parallel()
	for _, set := range [][]string{
		{"include_rds=true", "database_cidrs="},
		{"include_alb=true", "alb_cidrs="},
		{"oidc_issuer=https://issuer.example.com:99999"},
		{"oidc_issuer_cidrs=0.0.0.0/0"},
		{"oidc_issuer_cidrs=10.0.0.0/8"},
	} {
		_, err := testEngine(t).New(context.Background(), NewRequest{Components: []string{"k8s"}, Target: filepath.Join(t.TempDir(), "svc"), Set: set, DryRun: true})
		if err == nil || !failure.IsInvalidInput(err) {
			t.Errorf("%v: err = %v, want invalid input", set, err)
		}
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	target := filepath.Join(t.TempDir(), "x")
	res, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: target, DryRun: true})
	if err != nil || len(res.Plan.Files) == 0 {
		t.Fatalf("dry run: %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a dry run created the target")
	}
}

type failingPrompter struct{ asked int }

func (p *failingPrompter) Ask(context.Context, answers.Prompt) (string, error) {
	p.asked++
	return "", errors.New("should not be asked")
}

func TestBadTargetIsRefusedBeforeAnyQuestion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &failingPrompter{}
	_, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: dir, Prompter: p})
	if !failure.IsInvalidInput(err) || p.asked != 0 {
		t.Fatalf("err = %v after %d questions", err, p.asked)
	}
}

func TestInvalidAnswersWriteNothing(t *testing.T) {
	t.Parallel()
	target := filepath.Join(t.TempDir(), "x")
	_, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: target, Set: []string{"port=abc"}})
	if !failure.IsInvalidInput(err) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("target created despite invalid answers")
	}
}

func TestInjectedWriteFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "x")
	e := testEngine(t)
	e.failAfter = 3
	_, err := e.New(context.Background(), NewRequest{Blueprint: "go-service", Target: target})
	if err == nil {
		t.Fatal("no error from the injected failure")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestGitCommitIsSignedWithTheGivenKey(t *testing.T) {
	t.Parallel()
	entity, err := openpgp.NewEntity("Dev", "", "dev@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var priv bytes.Buffer
	w, _ := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err := entity.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(keyFile, priv.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := gitinit.ReadSignKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "signed")
	author := gitinit.Author{Name: "Dev", Email: "dev@example.com"}
	res, err := testEngine(t).New(context.Background(), NewRequest{
		Blueprint: "go-service", Target: target,
		Git: &GitOptions{Author: author, SignKey: key, When: time.Unix(1_700_000_000, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(target)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil || head.Name().Short() != "main" || head.Hash().String() != res.Commit {
		t.Fatalf("HEAD = %v (%v), want main at %s", head, err, res.Commit)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if commit.Author.Email != "dev@example.com" || commit.PGPSignature == "" {
		t.Fatalf("commit author %v, signature %q", commit.Author, commit.PGPSignature)
	}
	var pub bytes.Buffer
	pw, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := entity.Serialize(pw); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if _, err := commit.Verify(pub.String()); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	files, _ := commit.Files()
	n := 0
	_ = files.ForEach(func(*object.File) error { n++; return nil })
	if n != len(res.Plan.Files) {
		t.Fatalf("commit has %d files, plan %d", n, len(res.Plan.Files))
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	status, _ := wt.Status()
	if !status.IsClean() {
		t.Fatalf("work tree not clean after the initial commit:\n%s", status)
	}
}

func TestPassphraseProtectedKeyIsRefused(t *testing.T) {
	t.Parallel()
	entity, _ := openpgp.NewEntity("Dev", "", "dev@example.com", nil)
	if err := entity.PrivateKey.Encrypt([]byte("pass")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	_ = entity.SerializePrivateWithoutSigning(w, nil)
	w.Close()
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	_ = os.WriteFile(keyFile, buf.Bytes(), 0o600)
	_, err := gitinit.ReadSignKey(keyFile)
	if !failure.IsInvalidInput(err) || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkRender(b *testing.B) {
	e := testEngine(b)
	target := filepath.Join(b.TempDir(), "bench")
	for b.Loop() {
		if _, err := e.New(context.Background(), NewRequest{Blueprint: "go-service", Target: target, DryRun: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	e := testEngine(b)
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		target := filepath.Join(dir, "p", strconv.Itoa(i))
		_ = os.MkdirAll(filepath.Dir(target), 0o755)
		if _, err := e.New(context.Background(), NewRequest{Blueprint: "go-service", Target: target}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPlaceholdersStillInUse(t *testing.T) {
	t.Parallel()
	res, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: filepath.Join(t.TempDir(), "svc"), DryRun: true,
		Set: []string{"eks_oidc_provider=oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]PlaceholderUse{}
	for _, p := range res.Placeholders {
		got[p.Name] = p
	}
	for _, name := range []string{"aws_account_id", "oidc_issuer", "image"} {
		p, ok := got[name]
		if !ok || len(p.Files) == 0 || p.Reason == "" {
			t.Errorf("placeholder %s = %+v, want it listed with a reason and the files using it", name, p)
		}
		for _, f := range p.Files {
			if f == ".secgen.yaml" {
				t.Errorf("placeholder %s lists the manifest", name)
			}
		}
	}
	if _, ok := got["eks_oidc_provider"]; ok {
		t.Error("eks_oidc_provider was answered but is still listed as a placeholder")
	}
	if !slices.Contains(got["aws_account_id"].Files, "infra/terraform/account/main.tf") {
		t.Errorf("aws_account_id files = %q", got["aws_account_id"].Files)
	}
}

// defaultsPrompter takes every default and answers No at every gate,
// counting what a person would be asked.
type defaultsPrompter struct{ asked []string }

func (p *defaultsPrompter) Ask(_ context.Context, q answers.Prompt) (string, error) {
	p.asked = append(p.asked, q.Name)
	return "", nil
}

func (p *defaultsPrompter) Gate(_ context.Context, g answers.Gate) (bool, error) {
	p.asked = append(p.asked, "gate:"+g.Title)
	return false, nil
}

func TestDefaultInteractivePathAsksAtMostTwelve(t *testing.T) {
	t.Parallel()
	p := &defaultsPrompter{}
	res, err := testEngine(t).New(context.Background(), NewRequest{Blueprint: "go-service", Target: filepath.Join(t.TempDir(), "svc"), Prompter: p, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.asked) > 12 {
		t.Errorf("the default path asks %d questions, want at most 12: %q", len(p.asked), p.asked)
	}
	want := "name,module,description,port,database,gate:Authentication,gate:AWS,gate:Kubernetes,gate:CI,gate:Backstage"
	if got := strings.Join(p.asked, ","); got != want {
		t.Errorf("asked %s\nwant  %s", got, want)
	}
	// The gated sections still get their defaults.
	if res.Answers["replicas"] != 2 || res.Answers["iac_tool"] != "terraform" {
		t.Errorf("answers of skipped sections: replicas=%v iac_tool=%v", res.Answers["replicas"], res.Answers["iac_tool"])
	}
}

// An update names the questions the catalog added that it answered with
// their defaults, and never a question whose condition is false (it was
// not asked at all).
func TestUpdateNoticesOnlyActiveNewQuestions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "payments")
	e := testEngine(t)
	if _, err := e.New(ctx, NewRequest{Blueprint: "go-service", Target: root, StoreBases: true}); err != nil {
		t.Fatal(err)
	}
	// Forget the recorded port, as if the catalog had just added the question.
	path := filepath.Join(root, manifest.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "\n  port: 8080\n", "\n", 1)
	if edited == string(data) {
		t.Fatal("the manifest records no port: 8080 answer to remove")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := e.Update(ctx, UpdateRequest{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	notices := strings.Join(res.Notices, "\n")
	if !strings.Contains(notices, "answered with their defaults: port") {
		t.Errorf("no notice for the new question port: %q", notices)
	}
	if strings.Contains(notices, "aws_endpoint_cidrs") {
		t.Errorf("a question whose condition is false was announced: %q", notices)
	}
}

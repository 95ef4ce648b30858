package goservice

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// testRef names a rendered test function and the file that declares it.
type testRef struct{ file, name string }

// proof is where a control is implemented in the rendered tree and which rendered
// tests prove it. "{cmd}" in a path stands for cmd/<name>.
type proof struct {
	files []string
	tests []testRef
	// secgen lists this module's own tests that verify the rendered files (CTR).
	secgen []func(*testing.T)
	// when restricts the proof to trees whose answers enable it; nil means always.
	when func(answers) bool
}

func postgres(a answers) bool { return a.Database == "postgres" }
func login(a answers) bool    { return a.OIDCLogin }

const (
	validateTest = "internal/validate/validate_test.go"
	safefileTest = "internal/safefile/safefile_test.go"
	commandTest  = "internal/command/command_test.go"
	serverTest   = "internal/server/server_test.go"
	sessionSrv   = "internal/server/session_test.go"
	sessionTest  = "internal/session/session_test.go"
	cryptoTest   = "internal/crypto/crypto_test.go"
	loggingTest  = "internal/logging/logging_test.go"
	configTest   = "internal/config/config_test.go"
	jwtTest      = "internal/auth/jwt_test.go"
	loginTest    = "internal/auth/login_test.go"
	authzTest    = "internal/authz/authz_test.go"
	mainTest     = "{cmd}/main_test.go"
)

// controlMap maps every APP and CTR control to its implementation and proof.
var controlMap = map[string][]proof{
	"APP-01": {{
		files: []string{"internal/validate/validate.go", "internal/server/notes.go", "internal/server/json.go"},
		tests: []testRef{{validateTest, "TestFileNameRejectsHostileInput"}, {validateTest, "TestIDRejectsMalformed"},
			{validateTest, "TestTextBounds"}, {validateTest, "TestOneOfIsAnAllowlist"}, {serverTest, "TestStrictJSONDecoding"}},
	}},
	"APP-02": {{
		files: []string{"internal/safefile/safefile.go"},
		tests: []testRef{{safefileTest, "TestTraversalRejected"}, {safefileTest, "TestRootContainsTraversal"},
			{safefileTest, "TestSymlinksRefused"}, {safefileTest, "TestWriteReadMode0600"}},
	}},
	"APP-03": {{
		files: []string{"internal/command/command.go"},
		tests: []testRef{{commandTest, "TestOperandsAreNeverInterpreted"}, {commandTest, "TestUnknownProgramRefused"}},
	}},
	"APP-04": {{
		files: []string{"internal/store/postgres.go", "internal/store/schema.sql"},
		tests: []testRef{{"internal/store/postgres_test.go", "TestPostgresQueriesAreParameterized"}},
		when:  postgres,
	}},
	"APP-05": {{
		files: []string{"internal/server/index.go", "internal/server/web/index.html", "internal/server/json.go"},
		tests: []testRef{{"internal/server/index_test.go", "TestIndexTemplateEscapes"}, {serverTest, "TestResponsesDeclareContentType"}},
	}, {
		tests: []testRef{{sessionSrv, "TestIndexEscapesHTML"}},
		when:  login,
	}},
	"APP-06": {{
		files: []string{"internal/server/json.go", "internal/server/notes.go"},
		tests: []testRef{{serverTest, "TestStrictJSONDecoding"}, {serverTest, "TestUpdateAllowlistedFieldsOnly"}, {serverTest, "TestOversizedBody413"}},
	}},
	"APP-07": {{
		files: []string{"internal/server/middleware.go"},
		tests: []testRef{{serverTest, "TestSecurityHeadersOnEveryResponse"}},
	}},
	"APP-08": {{
		files: []string{"internal/session/cookie.go", "internal/auth/login.go"},
		tests: []testRef{{sessionTest, "TestCookieAttributes"}, {loginTest, "TestLoginCallbackSucceeds"}},
		when:  login,
	}},
	"APP-09": {{
		files: []string{"internal/crypto/aead.go"},
		tests: []testRef{{cryptoTest, "TestEqual"}},
	}, {
		files: []string{"internal/auth/login.go"},
		tests: []testRef{{loginTest, "TestLoginCallbackRejections"}},
		when:  login,
	}},
	"APP-10": {{
		files: []string{"internal/logging/logging.go", "internal/config/config.go", "internal/server/json.go"},
		tests: []testRef{{loggingTest, "TestLoggerRedactsSecrets"}, {configTest, "TestSecretRedacts"},
			{serverTest, "TestNoSecretsInLogsOrErrors"}, {serverTest, "TestPanicIsGeneric500"}},
	}},
	"APP-11": {{
		files: []string{"internal/auth/login.go"},
		tests: []testRef{{loginTest, "TestLoginStartUsesCodeFlowWithPKCE"}, {loginTest, "TestLoginCallbackSucceeds"}, {loginTest, "TestLoginCallbackRejections"},
			{loginTest, "TestLoginFloodDoesNotDenyOthers"}},
		when: login,
	}},
	"APP-12": {{
		files: []string{"internal/auth/jwt.go", "internal/auth/keyset.go"},
		tests: []testRef{{jwtTest, "TestVerifyAcceptsValidTokens"}, {jwtTest, "TestVerifyRejectsBadTokens"}, {jwtTest, "TestLeewayIsAtMost30s"},
			{jwtTest, "TestKeyRotation"}, {jwtTest, "TestUnknownKidRefreshIsRateLimited"},
			{jwtTest, "TestSlowIssuerDoesNotStallValidRequests"}, {jwtTest, "TestFailedFetchKeepsCachedKeys"}},
	}},
	"APP-13": {{
		files: []string{"internal/session/session.go", "internal/auth/login.go"},
		tests: []testRef{{sessionTest, "TestRefreshRotates"}, {sessionTest, "TestRefreshReuseRevokesFamily"}, {loginTest, "TestRefreshEndpointReuseRevokesFamily"},
			{sessionTest, "TestRefreshChurnKeepsOneRecordPerFamily"}, {sessionTest, "TestFamiliesPerUserCapped"}, {loginTest, "TestLogoutWithSessionCookie"}},
		when: login,
	}},
	"APP-14": {{
		files: []string{"internal/authz/authz.go", "internal/server/authn.go", "internal/server/notes.go"},
		tests: []testRef{{authzTest, "TestAuthorize"}, {authzTest, "TestStatusDistinguishes401From403"}, {serverTest, "TestAuthorization401vs403"}},
	}},
	"APP-15": {{
		files: []string{"internal/server/local.go", "internal/server/server.go"},
		tests: []testRef{{serverTest, "TestForwardedHeadersCannotMakeRequestLocal"}},
	}},
	"APP-16": {{
		files: []string{"internal/config/config.go", "{cmd}/main.go"},
		tests: []testRef{{mainTest, "TestMissingRequiredEnvExits1"}, {mainTest, "TestInvalidSecretNotEchoed"}, {configTest, "TestMissingVariablesAreNamed"}},
	}},
	"APP-17": {{
		files: []string{"internal/crypto/aead.go", "internal/server/notes.go"},
		tests: []testRef{{cryptoTest, "TestAEADRoundTrip"}, {cryptoTest, "TestAEADDetectsTampering"}, {cryptoTest, "TestAEADNonceIsFreshPerMessage"},
			{serverTest, "TestBodiesEncryptedAtRest"}},
	}},
	"APP-18": {{
		files: []string{"internal/crypto/password.go"},
		tests: []testRef{{cryptoTest, "TestPasswordHashing"}},
	}},
	"APP-19": {{
		files: []string{"internal/server/middleware.go", "internal/server/authn.go"},
		tests: []testRef{{serverTest, "TestPanicIsGeneric500"}, {serverTest, "TestAuthorization401vs403"}},
	}},
	"APP-20": {{
		files: []string{"internal/server/server.go", "internal/server/middleware.go", "internal/server/notes.go"},
		tests: []testRef{{serverTest, "TestHTTPServerLimits"}, {serverTest, "TestOversizedBody413"}, {serverTest, "TestCrossOriginProtection"},
			{serverTest, "TestCORSAllowlist"}, {serverTest, "TestRateLimit"}, {serverTest, "TestRateLimitBehindTrustedProxy"},
			{serverTest, "TestStoreTimeoutAnswers503"}},
	}},
	"CTR-01": {{files: []string{"Dockerfile"}, secgen: []func(*testing.T){TestDockerfileMultiStageDistrolessPinned}}},
	"CTR-02": {{files: []string{"Dockerfile"}, secgen: []func(*testing.T){TestDockerfileRunsAsNumericNonRoot}}},
	"CTR-03": {{files: []string{".dockerignore"}, secgen: []func(*testing.T){TestDockerignoreKeepsSecretsOut}}},
}

// appCtrIDs returns the live APP and CTR IDs of secgen's controls registry.
func appCtrIDs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../../templates/controls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		Controls []struct {
			ID      string `yaml:"id"`
			Retired bool   `yaml:"retired"`
		} `yaml:"controls"`
	}
	if err := yaml.Unmarshal(data, &reg); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range reg.Controls {
		if !c.Retired && (strings.HasPrefix(c.ID, "APP-") || strings.HasPrefix(c.ID, "CTR-")) {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) < 23 {
		t.Fatalf("registry lists only %d APP/CTR controls", len(ids))
	}
	return ids
}

// TestEveryControlIsMapped: every APP and CTR ID of the registry is in the map, the
// map names no unknown ID, and the component declares each.
func TestEveryControlIsMapped(t *testing.T) {
	ids := appCtrIDs(t)
	for _, id := range ids {
		proofs := controlMap[id]
		if len(proofs) == 0 {
			t.Errorf("%s has no mapping to rendered files and tests", id)
		}
		for _, p := range proofs {
			if len(p.files) == 0 && len(p.tests) == 0 {
				t.Errorf("%s: a proof without files or tests", id)
			}
		}
	}
	for id := range controlMap {
		if !slices.Contains(ids, id) {
			t.Errorf("%s is mapped but not in the registry", id)
		}
	}
	data, err := os.ReadFile("../../../templates/go-service/component.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Each item is an ID, or a mapping of id and the condition (when) it depends on.
	var comp struct {
		Controls []yaml.Node `yaml:"controls"`
	}
	if err := yaml.Unmarshal(data, &comp); err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, n := range comp.Controls {
		var ref struct {
			ID string `yaml:"id"`
		}
		if n.Kind == yaml.ScalarNode {
			ref.ID = n.Value
		} else if err := n.Decode(&ref); err != nil {
			t.Fatalf("component.yaml controls: %v", err)
		}
		declared = append(declared, ref.ID)
	}
	for _, id := range ids {
		if !slices.Contains(declared, id) {
			t.Errorf("templates/go-service/component.yaml does not declare %s", id)
		}
	}
}

// testFuncs returns the names of the Test functions declared in a Go file.
func testFuncs(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	names := map[string]bool{}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
			names[fn.Name.Name] = true
		}
	}
	return names
}

// TestControlsAreImplementedAndProvenInEveryTree checks, in every rendered tree, that
// each applicable control's files exist, that its tests are declared where the map
// says, and that the rendered README names the control and its tests. A tree with
// every option on must have every control applicable; otherwise a control may be
// absent only because its option is off.
func TestControlsAreImplementedAndProvenInEveryTree(t *testing.T) {
	ids := appCtrIDs(t)
	for _, tr := range serviceTrees(t) {
		readme, err := os.ReadFile(filepath.Join(tr.dir, "README.md"))
		if err != nil {
			t.Fatalf("%s: %v", tr.name, err)
		}
		cache := map[string]map[string]bool{}
		for _, id := range ids {
			if !strings.Contains(string(readme), "| "+id+" |") {
				t.Errorf("%s: README.md's controls table lacks %s", tr.name, id)
			}
			applicable := 0
			for _, p := range controlMap[id] {
				if p.when != nil && !p.when(tr.answers) {
					continue
				}
				applicable++
				for _, f := range p.files {
					path := filepath.Join(tr.dir, strings.ReplaceAll(f, "{cmd}", "cmd/"+tr.cmdName))
					if _, err := os.Stat(path); err != nil {
						t.Errorf("%s: %s: implementing file %s: %v", tr.name, id, f, err)
					}
				}
				for _, ref := range p.tests {
					path := filepath.Join(tr.dir, strings.ReplaceAll(ref.file, "{cmd}", "cmd/"+tr.cmdName))
					funcs, ok := cache[path]
					if !ok {
						if _, err := os.Stat(path); err != nil {
							t.Errorf("%s: %s: test file %s: %v", tr.name, id, ref.file, err)
							continue
						}
						funcs = testFuncs(t, path)
						cache[path] = funcs
					}
					if !funcs[ref.name] {
						t.Errorf("%s: %s: %s does not declare %s", tr.name, id, ref.file, ref.name)
					}
					if !strings.Contains(string(readme), "`"+ref.name+"`") {
						t.Errorf("%s: %s: README.md does not cite %s", tr.name, id, ref.name)
					}
				}
			}
			full := tr.answers.Database == "postgres" && tr.answers.OIDCLogin
			if applicable == 0 && full {
				t.Errorf("%s: %s is not implemented in a tree with every option on", tr.name, id)
			}
		}
	}
}

// TestDefaultsTurnEveryControlOn: the component's defaults enable every option that
// carries a control, so `secgen new go-service DIR --no-input` renders all of them.
func TestDefaultsTurnEveryControlOn(t *testing.T) {
	type question struct {
		Name    string `yaml:"name"`
		Default any    `yaml:"default"`
	}
	var comp, shared struct {
		Questions []yaml.Node `yaml:"questions"`
	}
	for _, f := range []struct {
		path string
		into any
	}{{"../../../templates/go-service/component.yaml", &comp}, {"../../../templates/questions.yaml", &shared}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, f.into); err != nil {
			t.Fatalf("%s: %v", f.path, err)
		}
	}
	byName := map[string]question{}
	for _, n := range shared.Questions {
		var q question
		if err := n.Decode(&q); err != nil {
			t.Fatal(err)
		}
		byName[q.Name] = q
	}
	// A question of the component is either a shared question's name or a declaration.
	var questions []question
	for _, n := range comp.Questions {
		var q question
		if n.Kind == yaml.ScalarNode {
			var ok bool
			if q, ok = byName[n.Value]; !ok {
				t.Fatalf("go-service asks %q, which templates/questions.yaml does not declare", n.Value)
			}
		} else if err := n.Decode(&q); err != nil {
			t.Fatal(err)
		}
		questions = append(questions, q)
	}
	defaults := map[string]any{}
	for _, q := range questions {
		if q.Default == nil {
			t.Errorf("question %s has no default: --no-input would fail", q.Name)
		}
		defaults[q.Name] = q.Default
	}
	if defaults["database"] != "postgres" || defaults["oidc_login"] != true {
		t.Errorf("defaults database=%v oidc_login=%v: every control must be on by default", defaults["database"], defaults["oidc_login"])
	}
}

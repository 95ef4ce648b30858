# secgen's own build. `make test` is the one command CI runs (via .ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

TOOLS_BIN := $(CURDIR)/.tools/bin
export PATH := $(TOOLS_BIN):$(PATH)
export GOBIN := $(TOOLS_BIN)

# Scanners and linters, pinned. Tests that need them fail (never skip) when they are missing.
KUBE_SCORE  := github.com/zegl/kube-score/cmd/kube-score@v1.20.0
TFSEC       := github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0
ACTIONLINT  := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
GOSEC       := github.com/securego/gosec/v2/cmd/gosec@v2.30.0
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Verification modules: tests/verify (scanners, builds, schemas, terminal
# sessions on the golden trees) and, isolating a heavy dependency each,
# tests/k8s (Kubernetes) and tests/terraform (HCL).
TEST_MODULES := $(sort $(dir $(wildcard tests/*/go.mod)))

.PHONY: all help build test unit verify lint tools kube-apiserver goldens readme demo bench clean catalog-history

all: build ## Build bin/secgen (the default)

help: ## List the targets, one line each
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## /{printf "%-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The release build, held to 30 MB (docs/audit.md, "Kustomize"): stripped and
# trimmed; kustomize's Go-plugin loader left out (its tag: importing Go's
# plugin package makes the linker keep every exported method, about 10 MB);
# and no inlining in the third-party packages off the hot path (kustomize,
# go-git, OpenAPI, crypto, prompts: about 1.6 MB), while the standard
# library, secgen, CEL, YAML and HCL keep theirs.
BUILD_TAGS    := kustomize_disable_go_plugin_support
BUILD_GCFLAGS := -gcflags='all=-l' -gcflags='std=' -gcflags='github.com/secgen/...=' \
                 -gcflags='github.com/google/cel-go/...=' -gcflags='go.yaml.in/yaml/v3=' \
                 -gcflags='github.com/hashicorp/hcl/...='
build: ## Build bin/secgen (stripped and trimmed, as released; at most 30 MB)
	go build -tags $(BUILD_TAGS) -trimpath $(BUILD_GCFLAGS) -ldflags "-s -w" -o bin/secgen ./cmd/secgen

tools: ## Install the pinned scanners into .tools/bin
	@for t in $(KUBE_SCORE) $(TFSEC) $(ACTIONLINT) $(GOSEC) $(STATICCHECK); do \
	  name=$${t%@*}; name=$${name##*/}; \
	  if [ ! -x "$(TOOLS_BIN)/$$name" ] || [ "$$(cat $(TOOLS_BIN)/.$$name.pin 2>/dev/null)" != "$$t" ]; then \
	    echo "installing $$t"; go install "$$t"; echo "$$t" > "$(TOOLS_BIN)/.$$name.pin"; \
	  fi; \
	done
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: apt-get install shellcheck" >&2; exit 1; }

# The real API server of tests/k8s: kube-apiserver built from k8s.io/kubernetes through the
# Go module proxy, once per machine (about 30 minutes on 2 loaded cores), cached by version in
# .tools and in ~/.cache/secgen. The tests fail, never skip, when it is missing.
KUBE_APISERVER_VERSION := v1.34.3
kube-apiserver: ## Build (once) and cache the kube-apiserver tests/k8s runs
	scripts/kube-apiserver.sh $(KUBE_APISERVER_VERSION) >/dev/null

test: tools kube-apiserver lint unit verify ## Everything CI runs: tools, kube-apiserver, lint, unit, verify

lint: ## gofmt, go vet, staticcheck and go mod tidy of the main module
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^goldens/')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:" $$out >&2; exit 1; fi
	go vet ./...
	staticcheck ./...
	go mod tidy -diff

unit: ## go test ./... of the main module (goldens and catalog invariants included; a deadline only a hang reaches)
	go test -count=1 -timeout 30m ./...

verify: ## Verification modules under tests/: tidy, vet, test
	@for m in $(TEST_MODULES); do \
	  echo "== $$m"; (cd $$m && go mod tidy -diff && go vet ./... && go test -count=1 -timeout 30m ./...); \
	done

# The built-in catalog's history (every earlier released version, packed),
# embedded so update re-renders merge bases offline. Run after bumping
# templates/catalog.yaml's version, and commit the result.
catalog-history: ## Pack the catalog's released versions into generator/builtin/history
	scripts/catalog-history.sh generator/builtin/history

# Re-record secgen's own goldens with the product's own command (review the
# diff before committing it). `secgen test .` checks them; so does go test.
goldens: ## Re-record the golden trees (secgen test --update .)
	go run ./cmd/secgen test --update .

readme: ## Regenerate the README controls table
	go test ./generator/controls -run TestREADMEControlsTable -update

# Performance: engine and golden benchmarks, whole-process wall time and peak
# RSS of `secgen test .` (budget: 2 s) and of `secgen new` (11 runs; read the
# median) with /usr/bin/time.
BENCH_DIR ?= $(or $(TMPDIR),/tmp)
bench: build ## Benchmarks, wall time and peak RSS of secgen test, new, check and audit
	go test ./generator/engine ./generator/goldentest ./generator/audit ./generator/project -run '^$$' -bench . -benchtime 5x
	@for i in 1 2 3; do \
	  /usr/bin/time -f "test (built-in goldens): %e s wall, %M KB max RSS" ./bin/secgen test . >/dev/null; \
	done
	@for i in $$(seq 1 11); do \
	  d="$(BENCH_DIR)/secgen-bench-$$i"; rm -rf "$$d"; \
	  /usr/bin/time -f "new go-service: %e s wall, %M KB max RSS" ./bin/secgen new go-service "$$d" --no-input --no-git >/dev/null; \
	  rm -rf "$$d"; \
	done
	@d="$(BENCH_DIR)/secgen-bench-check"; rm -rf "$$d"; \
	  ./bin/secgen new go-service "$$d" --no-input --no-git --answers goldens/go-service/defaults/answers.yaml >/dev/null; \
	  for i in $$(seq 1 11); do \
	    /usr/bin/time -f "check go-service: %e s wall, %U s user, %S s sys" ./bin/secgen check -C "$$d" >/dev/null; \
	    /usr/bin/time -f "audit go-service: %e s wall, %U s user, %S s sys" ./bin/secgen audit -C "$$d" >/dev/null; \
	  done; rm -rf "$$d"

demo: ## Render go-service into ./demo
	rm -rf demo && go run ./cmd/secgen new go-service ./demo --no-input

clean: ## Remove bin/ and demo/
	rm -rf bin demo

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

# Nested modules holding heavy, test-only verification dependencies.
TEST_MODULES := $(sort $(dir $(wildcard tests/*/go.mod)))

.PHONY: all build test unit verify lint tools goldens readme demo bench clean catalog-history

all: build

build:
	go build -trimpath -o bin/secgen ./cmd/secgen

tools:
	@for t in $(KUBE_SCORE) $(TFSEC) $(ACTIONLINT) $(GOSEC) $(STATICCHECK); do \
	  name=$${t%@*}; name=$${name##*/}; \
	  if [ ! -x "$(TOOLS_BIN)/$$name" ] || [ "$$(cat $(TOOLS_BIN)/.$$name.pin 2>/dev/null)" != "$$t" ]; then \
	    echo "installing $$t"; go install "$$t"; echo "$$t" > "$(TOOLS_BIN)/.$$name.pin"; \
	  fi; \
	done
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: apt-get install shellcheck" >&2; exit 1; }

test: tools lint unit verify

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^goldens/')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:" $$out >&2; exit 1; fi
	go vet ./...
	staticcheck ./...
	go mod tidy -diff

unit:
	go test -count=1 ./...

verify:
	@for m in $(TEST_MODULES); do \
	  echo "== $$m"; (cd $$m && go mod tidy -diff && go vet ./... && go test -count=1 -timeout 30m ./...); \
	done

# The built-in catalog's history (every earlier released version, packed),
# embedded so update re-renders merge bases offline. Run after bumping
# templates/catalog.yaml's version, and commit the result.
catalog-history:
	scripts/catalog-history.sh generator/builtin/history

# Re-record secgen's own goldens with the product's own command (review the
# diff before committing it). `secgen test .` checks them; so does go test.
goldens:
	go run ./cmd/secgen test --update .

readme:
	go test ./generator/controls -run TestREADMEControlsTable -update

# Performance: engine and golden benchmarks, whole-process wall time and peak
# RSS of `secgen test .` (budget: 2 s) and of `secgen new` (11 runs; read the
# median) with /usr/bin/time.
BENCH_DIR ?= $(or $(TMPDIR),/tmp)
bench: build
	go test ./generator/engine ./generator/goldentest ./generator/audit -run '^$$' -bench . -benchtime 5x
	@for i in 1 2 3; do \
	  /usr/bin/time -f "test (built-in goldens): %e s wall, %M KB max RSS" ./bin/secgen test . >/dev/null; \
	done
	@for i in $$(seq 1 11); do \
	  d="$(BENCH_DIR)/secgen-bench-$$i"; rm -rf "$$d"; \
	  /usr/bin/time -f "new go-service: %e s wall, %M KB max RSS" ./bin/secgen new go-service "$$d" --no-input --no-git >/dev/null; \
	  rm -rf "$$d"; \
	done
	@for i in $$(seq 1 11); do \
	  /usr/bin/time -f "check go-service: %e s wall, %U s user, %S s sys" ./bin/secgen check -C goldens/go-service/defaults/tree >/dev/null; \
	  /usr/bin/time -f "audit go-service: %e s wall, %U s user, %S s sys" ./bin/secgen audit -C goldens/go-service/defaults/tree >/dev/null; \
	done

demo:
	rm -rf demo && go run ./cmd/secgen new go-service ./demo --no-input

clean:
	rm -rf bin demo

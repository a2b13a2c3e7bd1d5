# Leadflow — everyday commands.
#
#   make dev    start everything locally (emulators, API, demo data)
#   make test   run every check and test (what CI runs via .ci/run)
#
# Emulators (DynamoDB Local, fauxqs) are fetched on first use into
# .cache/emulators (override with LEADFLOW_CACHE_DIR); see internal/emulator.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go

# Lambda build: arm64 static binary named bootstrap (provided.al2023).
LAMBDA_BUILD = GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w"

# cmd/testenv starts the emulators once around a command. It is built rather
# than `go run` so the command's exit code and signals pass through intact.
TESTENV := .cache/bin/testenv

# Go files to format-check: everything except caches, node_modules, testdata.
GO_FILES = find . \( -name node_modules -o -name testdata -o -name '.?*' \) -prune -o -name '*.go' -print

.PHONY: help
help: ## list targets
	@grep -E '^[a-zA-Z_%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]+):.*## /  \1\t/'

.PHONY: deps
deps: ## install missing system packages (Java for DynamoDB Local, Node/npm for fauxqs and the console, Chromium for its browser tests)
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	{ command -v node && command -v npm; } >/dev/null || missing="$$missing nodejs npm"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "deps: installing$$missing"; \
	  $$sudo apt-get update; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends $$missing; \
	fi

.PHONY: test
test: deps vet fmt-check test-go test-web ## vet, format check, all Go tests against real emulators, and the console's tests

.PHONY: vet
vet: ## go vet every package
	$(GO) vet ./...

.PHONY: fmt-check
fmt-check: ## fail listing Go files gofmt would change
	@unformatted="$$($(GO_FILES) | xargs -r gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
	  echo "gofmt needed (run: gofmt -w <file>):"; echo "$$unformatted"; exit 1; \
	fi

.PHONY: test-go
test-go: $(TESTENV) ## Go tests, with DynamoDB Local and fauxqs started once for the run
	$(TESTENV) -- $(GO) test -count=1 -timeout 12m ./...

.PHONY: bench
bench: deps ## measure against the emulator's own limit (starts DynamoDB Local; not part of test); rewrites BENCHMARKS.md
	$(GO) run ./cmd/leadflow-bench

# FUZZTIME is how long `make fuzz` runs each fuzz target.
FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: ## run every Go fuzz target for FUZZTIME each (default 30s); `make test` runs their seed corpora
	@grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '/\.' | while read -r file; do \
	  pkg="./$$(dirname "$${file#./}")"; \
	  for target in $$(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$$file" | cut -d' ' -f2); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
	  done; \
	done

# Always rebuilt (go's build cache makes it cheap) so it never goes stale.
.PHONY: $(TESTENV)
$(TESTENV):
	$(GO) build -o $@ ./cmd/testenv

.PHONY: bench-list
bench-list: $(TESTENV) ## list benchmark: items read per item returned and page latency at 10k and 100k leads (slow: seeds 100k)
	LEADFLOW_BENCH_LEADS=10000,100000 $(TESTENV) -- $(GO) test -run XXX -bench BenchmarkListFilters -benchtime 100x -timeout 60m ./internal/dynamo/

.PHONY: bench-import
bench-import: $(TESTENV) ## 50,000-row CSV import through the real queue and worker (slow on DynamoDB Local; make test runs 2,000 rows)
	LEADFLOW_IMPORT_ROWS=50000 $(TESTENV) -- $(GO) test -count=1 -v -run TestLargeImportThroughTheQueue -timeout 90m ./internal/systemtest/

# The web console (web/): npm ci when node_modules is missing or older than
# the lockfile, then a production build into web/dist (served by `make dev`).
.PHONY: web
web: deps ## build the web console into web/dist
	@if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	  echo "web: npm ci"; (cd web && npm ci --no-audit --no-fund); \
	fi
	cd web && npm run build

.PHONY: test-web
test-web: web ## the console: typecheck, unit tests (vitest), browser tests (Playwright, Debian's chromium, headless)
	cd web && npm run typecheck
	cd web && npx vitest run
	cd web && npx playwright test

.PHONY: dev
dev: deps web ## run the whole thing locally (emulators, API and console on 127.0.0.1:8080, demo data)
	$(GO) run ./cmd/leadflow-dev

.PHONY: emulators
emulators: deps ## fetch DynamoDB Local and fauxqs into the cache ahead of time
	$(GO) run ./cmd/testenv -fetch

.PHONY: build
build: ## build every functions/<name> as bin/<name>/bootstrap for Lambda
	@for dir in functions/*/; do \
	  name="$$(basename "$$dir")"; \
	  if ! ls "$$dir"*.go >/dev/null 2>&1; then echo "skip $$dir (no Go files)"; continue; fi; \
	  echo "build bin/$$name/bootstrap"; \
	  $(LAMBDA_BUILD) -o "bin/$$name/bootstrap" "./$$dir"; \
	done

# `sam build` targets (Metadata: BuildMethod: makefile): sam runs
# build-<LogicalId> with ARTIFACTS_DIR set. One line per function:
#   build-<LogicalId>: ; $(call sam_build,<folder under functions/>)
sam_build = $(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set; sam build sets it)) \
	$(LAMBDA_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(1)

.PHONY: build-CaptureFunction build-ApiFunction
build-CaptureFunction: ; $(call sam_build,capture)
build-ApiFunction: ; $(call sam_build,api)
.PHONY: build-WorkerFunction build-SweeperFunction build-DispatcherFunction
build-WorkerFunction: ; $(call sam_build,worker)
build-SweeperFunction: ; $(call sam_build,sweeper)
build-DispatcherFunction: ; $(call sam_build,dispatcher)

.PHONY: clean
clean: ## remove build outputs (keeps the emulator cache; rm -rf .cache for that)
	rm -rf bin .aws-sam .cache/bin

# ebsguard: build, test and run targets. CI calls only these.
SHELL := /bin/bash
GO    ?= go
BUILD := .build
CDK   := infra/cdk

# CDK/jsii on this Node.js, offline and quiet (see docs/deploy.md).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/$(BUILD)/jsii-cache
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: all build build-cli build-GuardrailFunction test test-short lint fuzz update-golden verify replay-samples clean

all: lint test

## build: the Lambda's bootstrap for linux/arm64 (provided.al2023), static and stripped;
## SAM and CDK deploy this same file
build:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(BUILD)/lambda/bootstrap ./lambda/handler

## build-cli: the ebsguard command for this machine
build-cli:
	$(GO) build -o $(BUILD)/ebsguard ./cmd/ebsguard

## build-GuardrailFunction: the SAM build hook (Metadata: BuildMethod: makefile)
build-GuardrailFunction: build
	cp $(BUILD)/lambda/bootstrap $(ARTIFACTS_DIR)/bootstrap

## test: every test (the README's test command), the CDK module's included
test:
	$(GO) test -race -timeout 30m ./...
	$(GO) test ./lambda/handler -run 'TestSimulation$$' -count=1 -sim.seeds=2000
	$(GO) test ./lambda/notify -run 'TestAdversarialMessagesWithinSNSLimit|TestMessagesWithinSNSLimit' -count=1
	cd $(CDK) && $(GO) test ./...

## test-short: the quick loop while editing: skips the fault tally and the other end-to-end
## tests that take seconds (testing.Short); under a minute warm on 2 cores
test-short:
	$(GO) test -short ./...

## lint: formatting and vet, both modules
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path '*/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd $(CDK) && $(GO) vet ./...

## fuzz: run each fuzzer in turn: the decoder, its fast scan against the full decode, the engine over every kind, and the world's load-time check against the full decode (FUZZTIME=60s each)
FUZZTIME ?= 60s
fuzz:
	for f in FuzzDecode FuzzSkip FuzzScanAgrees FuzzScopeAgrees; do \
	  $(GO) test ./lambda/cloudtrail -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; done
	$(GO) test ./lambda/verify -run '^$$' -fuzz '^FuzzEvaluate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./lambda/world -run '^$$' -fuzz '^FuzzCheckAgrees$$' -fuzztime $(FUZZTIME)

## dynalite: the local DynamoDB (npm dynalite, pinned by internal/localrun/dynalite/package-lock.json) under .build
.PHONY: dynalite
dynalite:
	mkdir -p $(BUILD)/dynalite
	cp internal/localrun/dynalite/package.json internal/localrun/dynalite/package-lock.json $(BUILD)/dynalite/
	cd $(BUILD)/dynalite && npm ci --no-audit --no-fund --loglevel=error

## soak: the pipeline's deterministic simulation over SEEDS seeds from FIRST (a failing seed prints its replay command)
SEEDS ?= 20000
FIRST ?= 1
.PHONY: soak
soak:
	$(GO) test ./lambda/handler -run 'TestSimulation$$' -count=1 -timeout 0 -sim.seeds=$(SEEDS) -sim.first=$(FIRST)

## update-golden: rewrite events/samples/*/want.json from the engine
update-golden:
	$(GO) test ./cmd/ebsguard -run TestSamples -update

## verify: go.mod and go.sum are tidy
verify:
	$(GO) mod tidy
	cd $(CDK) && $(GO) mod tidy
	git diff --exit-code go.mod go.sum $(CDK)/go.mod $(CDK)/go.sum

## replay-samples: replay every sample against its own world and policy, as text (one command:
## a folder holding world.json is a sample). Some samples are error verdicts by design, so exit
## status 1 is expected; 2 (usage) is not.
replay-samples: build-cli
	$(BUILD)/ebsguard replay --format text events/samples || [ $$? -eq 1 ]

clean:
	rm -rf $(BUILD)

## local end to end: the bootstrap for this machine, the runtime interface emulator (pinned as a tool in go.mod)
.PHONY: build-local demo
build-local:
	CGO_ENABLED=0 $(GO) build -tags lambda.norpc -o $(BUILD)/local/bootstrap ./lambda/handler
	$(GO) build -o $(BUILD)/aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
	$(GO) build -o $(BUILD)/ebsguard-demo ./cmd/ebsguard-demo

## demo: every sample (or EVENTS=path [WORLD=file]) through the real Lambda, locally; no AWS account.
## Re-checks are scaled down from minutes to seconds through the function's own settings
## (RECHECK_BACKOFF, RECHECK_DEADLINE; e.g. make demo RECHECK_BACKOFF=2s RECHECK_DEADLINE=10s)
EVENTS ?= events/samples
WORLD  ?=
RECHECK_BACKOFF  ?= 1s
RECHECK_DEADLINE ?= 5s
demo: build-local
	@$(BUILD)/ebsguard-demo -rie $(BUILD)/aws-lambda-rie -bootstrap $(BUILD)/local/bootstrap -events $(EVENTS) $(if $(WORLD),-world $(WORLD)) \
	  -recheck-backoff $(RECHECK_BACKOFF) -recheck-deadline $(RECHECK_DEADLINE)

## infrastructure (docs/deploy.md): synthesis needs Node.js; the CDK CLI is pinned in infra/cdk/package.json
.PHONY: cdk-cli synth deploy sam-build sam-invoke local-endpoints
# The CLI is installed under .build (pinned by infra/cdk/package-lock.json): Go
# ignores dot folders, while a node_modules inside infra/cdk would be walked by
# `go mod tidy` and trips over the CLI's Go init templates.
CDK_BIN := $(CURDIR)/$(BUILD)/cdk-cli/node_modules/.bin/cdk
cdk-cli:
	mkdir -p $(BUILD)/cdk-cli
	cp $(CDK)/package.json $(CDK)/package-lock.json $(BUILD)/cdk-cli/
	cd $(BUILD)/cdk-cli && npm ci --no-audit --no-fund --loglevel=error

## synth: both stacks' templates into infra/cdk/cdk.out
synth: build cdk-cli
	cd $(CDK) && $(CDK_BIN) synth --no-notices --quiet
	@ls $(CDK)/cdk.out/*.template.json

## deploy: the central stack (ORG_ID=o-... [PROFILE=...] [REGION=...] [EMAIL=...])
deploy: build cdk-cli
	@test -n "$(ORG_ID)" || { echo "set ORG_ID=o-..."; exit 2; }
	cd $(CDK) && $(CDK_BIN) deploy ebsguard-central --no-notices $(if $(PROFILE),--profile $(PROFILE)) \
	  $(if $(REGION),--region $(REGION)) --parameters OrganizationId=$(ORG_ID) $(if $(EMAIL),--parameters NotificationEmail=$(EMAIL))

## sam-build / sam-invoke: for users with the SAM CLI and Docker
sam-build:
	sam build --template template.yaml

EVENT ?= events/samples/launch-encrypted-shared/event.json
SAM_ENV ?=
sam-invoke: sam-build
	sam local invoke GuardrailFunction -e $(EVENT) $(if $(SAM_ENV),--env-vars $(SAM_ENV))

## local-endpoints: serve localaws + SNS for WORLD and write .build/sam-env.json (and .env for a shell) once they answer,
## for `sam local invoke --docker-network host`; Ctrl-C stops them and removes both files
local-endpoints: build-local
	@test -n "$(WORLD)" || { echo "set WORLD=events/samples/<x>/world.json"; exit 2; }
	$(BUILD)/ebsguard-demo -world $(WORLD) -serve $(BUILD)/sam-env.json

## local: one ebsguard command against the local endpoints serving WORLD, which stop when it ends; your shell's
## environment is not touched (docs/local.md), e.g. make local ARGS='replay --format text events/samples'
## local-audit: the day-one audit of every account and Region of events/day-one/world.json, locally
.PHONY: local local-audit
LOCAL_WORLD ?= events/day-one/world.json
ARGS ?= audit --since 90d --accounts all --regions all --format text
local:
	@$(MAKE) --no-print-directory -s build-local build-cli >&2   # stdout is the command's alone
	@$(BUILD)/ebsguard-demo -world $(if $(WORLD),$(WORLD),$(LOCAL_WORLD)) -- $(BUILD)/ebsguard $(ARGS)
local-audit: local

## bench: the benchmarks of issue 10 (replay vs jq and zcat, AWS calls per event, cold start vs
## hello-world) and of issue 20 (backfill's S3 bytes and time vs replay of the whole prefix), one
## line per figure with the load average; a few minutes, not part of test or CI
.PHONY: bench backfill-local
bench:
	@bench/bench.sh

## backfill-local: ebsguard backfill against a local Athena (DuckDB), Glue and S3 (gofakes3) serving a
## generated organization trail, and localaws serving its world; fails unless its verdicts equal
## replay's of the same files (GEN="..." sets the generator: see bench/backfill.sh)
backfill-local:
	@bench/backfill.sh check

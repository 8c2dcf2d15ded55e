# ebsguard: build, test and run targets. CI calls only these.
SHELL := /bin/bash
GO    ?= go
BUILD := .build

.PHONY: all build build-cli build-GuardrailFunction test lint fuzz update-golden verify replay-samples clean

all: lint test

## build: the Lambda's bootstrap for linux/arm64 (provided.al2023), static and stripped
build:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(BUILD)/bootstrap ./lambda/handler

## build-cli: the ebsguard command for this machine
build-cli:
	$(GO) build -o $(BUILD)/ebsguard ./cmd/ebsguard

## build-GuardrailFunction: the SAM build hook (Metadata: BuildMethod: makefile)
build-GuardrailFunction: build
	cp $(BUILD)/bootstrap $(ARTIFACTS_DIR)/bootstrap

## test: every test (the README's test command)
test:
	$(GO) test -race ./...

## lint: formatting and vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## fuzz: run the CloudTrail decoder fuzzer (FUZZTIME=60s)
FUZZTIME ?= 60s
fuzz:
	$(GO) test ./lambda/cloudtrail -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)

## update-golden: rewrite events/samples/*/want.json from the engine
update-golden:
	$(GO) test ./cmd/ebsguard -run TestSamples -update

## verify: go.mod and go.sum are tidy
verify:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

## replay-samples: replay every sample against its own world, as text
replay-samples: build-cli
	@for d in events/samples/*/; do \
	  pol=""; [ -f $$d/policy.json ] && pol="--policy $$d/policy.json"; \
	  echo "== $$d"; $(BUILD)/ebsguard replay --world $$d/world.json $$pol --format text $$d/event.json || true; \
	done

clean:
	rm -rf $(BUILD)

## local end to end: the bootstrap for this machine, the runtime interface emulator (pinned as a tool in go.mod)
.PHONY: build-local demo
build-local:
	CGO_ENABLED=0 $(GO) build -tags lambda.norpc -o $(BUILD)/local/bootstrap ./lambda/handler
	$(GO) build -o $(BUILD)/aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
	$(GO) build -o $(BUILD)/ebsguard-demo ./cmd/ebsguard-demo

## demo: every sample (or EVENTS=path [WORLD=file]) through the real Lambda, locally; no AWS account
EVENTS ?= events/samples
WORLD  ?=
demo: build-local
	@$(BUILD)/ebsguard-demo -rie $(BUILD)/aws-lambda-rie -bootstrap $(BUILD)/local/bootstrap -events $(EVENTS) $(if $(WORLD),-world $(WORLD))

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin
# `make generate GEN_ROOT=DIR` writes DIR/generated instead (the freshness test uses it).
GEN_ROOT ?= .
GEN_OUT := $(GEN_ROOT)/generated

# Pinned code generators and CLI tools, installed with `go install` into .tools/bin.
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
GRPC_GATEWAY_VERSION := v2.33.0
GRPCURL_VERSION := v1.9.3
TOXIPROXY_VERSION := v2.12.0
GHZ_VERSION := v0.121.0

GO_TOOLS := $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc $(TOOLS)/protoc-gen-grpc-gateway \
	$(TOOLS)/protoc-gen-openapiv2 $(TOOLS)/grpcurl $(TOOLS)/toxiproxy-server $(TOOLS)/ghz

PROTOS := $(wildcard proto/cavra/recovery/v1/*.proto)
GOOGLEAPIS_PROTOS := google/api/annotations.proto google/api/http.proto google/api/field_behavior.proto \
	google/api/httpbody.proto google/rpc/status.proto google/rpc/error_details.proto google/rpc/code.proto

.PHONY: help
help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# Three distributions, installed editable: cavra-recovery-proto (generated/python), cavra-recovery-client
# (clients/python) and cavra-recovery (server/ and connectors/ as cavra_recovery.server and
# cavra_recovery.connectors, setup.py). mypy cannot see the editable import hook, so the two folders
# are also linked under $(VENV)/namespace/cavra_recovery, pyproject's mypy_path (docs/packaging.md).
$(BIN)/.installed: pyproject.toml setup.py requirements.lock clients/python/pyproject.toml generated/python/pyproject.toml
	@echo "==> creating $(VENV) and installing pinned dependencies"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e generated/python -e clients/python -e .
	mkdir -p $(VENV)/namespace/cavra_recovery
	ln -sfn ../../../server $(VENV)/namespace/cavra_recovery/server
	ln -sfn ../../../connectors $(VENV)/namespace/cavra_recovery/connectors
	touch $@

.PHONY: setup
setup: $(BIN)/.installed ## create .venv with the cavra-recovery command (pinned by requirements.lock)

.PHONY: lock
lock: ## re-pin requirements.lock from pyproject.toml in a throwaway virtualenv
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet --upgrade pip
	.lockvenv/bin/pip install --quiet -e generated/python -e clients/python -e '.[dev]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
	rm -rf .lockvenv

$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
$(TOOLS)/protoc-gen-grpc-gateway:
	GOBIN=$(TOOLS) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
$(TOOLS)/protoc-gen-openapiv2:
	GOBIN=$(TOOLS) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)
$(TOOLS)/grpcurl:
	GOBIN=$(TOOLS) go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
# The gRPC load generator of `make bench`.
$(TOOLS)/ghz:
	GOBIN=$(TOOLS) go install github.com/bojand/ghz/cmd/ghz@$(GHZ_VERSION)
# Shopify's fault-injection proxy for tests/faults; its command is named `server`, hence the rename.
$(TOOLS)/toxiproxy-server:
	gobin=$$(mktemp -d) && GOBIN=$$gobin go install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION) \
		&& mv $$gobin/server $@ && rmdir $$gobin

.PHONY: tools
tools: $(GO_TOOLS) ## install the pinned Go code generators, grpcurl, toxiproxy and ghz into .tools/bin

# REST client generation for tests/gateway/test_openapi_client.py: swagger2openapi (npm) converts the
# OpenAPI 2 document to OpenAPI 3, openapi-python-client generates a Python client from it. Both are
# pinned with every dependency (package-lock.json, requirements.txt in OPENAPI_TOOLS_SPEC); the Python
# one gets a virtualenv of its own so the server's requirements.lock is untouched. The directories are
# named after a hash of the pins, so changing a pin installs afresh.
OPENAPI_TOOLS_SPEC := tests/gateway/openapi_tools
OPENAPI_TOOLS_HASH := $(shell cat $(OPENAPI_TOOLS_SPEC)/package-lock.json $(OPENAPI_TOOLS_SPEC)/requirements.txt 2>/dev/null | sha256sum | cut -c1-12)
OPENAPI_TOOLS_DIR := $(shell mkdir -p .tools && cd .tools && pwd -P)/openapi-$(OPENAPI_TOOLS_HASH)
CLIENT_TOOLS := $(TOOLS)/swagger2openapi $(TOOLS)/openapi-python-client

$(OPENAPI_TOOLS_DIR)/.installed: $(OPENAPI_TOOLS_SPEC)/package.json $(OPENAPI_TOOLS_SPEC)/package-lock.json $(OPENAPI_TOOLS_SPEC)/requirements.txt
	rm -rf $(OPENAPI_TOOLS_DIR) && mkdir -p $(OPENAPI_TOOLS_DIR)/node
	cp $(OPENAPI_TOOLS_SPEC)/package.json $(OPENAPI_TOOLS_SPEC)/package-lock.json $(OPENAPI_TOOLS_DIR)/node/
	cd $(OPENAPI_TOOLS_DIR)/node && npm ci --silent --no-audit --no-fund
	$(PYTHON) -m venv $(OPENAPI_TOOLS_DIR)/venv
	$(OPENAPI_TOOLS_DIR)/venv/bin/pip install --quiet -r $(OPENAPI_TOOLS_SPEC)/requirements.txt
	touch $@
$(TOOLS)/swagger2openapi: $(OPENAPI_TOOLS_DIR)/.installed
	mkdir -p $(TOOLS) && ln -sfn ../openapi-$(OPENAPI_TOOLS_HASH)/node/node_modules/.bin/swagger2openapi $@
$(TOOLS)/openapi-python-client: $(OPENAPI_TOOLS_DIR)/.installed
	mkdir -p $(TOOLS) && ln -sfn ../openapi-$(OPENAPI_TOOLS_HASH)/venv/bin/openapi-python-client $@

.PHONY: client-tools
client-tools: $(CLIENT_TOOLS) ## install the pinned swagger2openapi (npm) and openapi-python-client into .tools/

# axe-core (npm) for the Evidence Console browser test (tests/console): pinned with its lock file and
# installed like swagger2openapi, into a directory named after a hash of the pins.
CONSOLE_TOOLS_SPEC := tests/console/axe_tools
CONSOLE_TOOLS_HASH := $(shell cat $(CONSOLE_TOOLS_SPEC)/package-lock.json 2>/dev/null | sha256sum | cut -c1-12)
CONSOLE_TOOLS_DIR := $(shell mkdir -p .tools && cd .tools && pwd -P)/axe-$(CONSOLE_TOOLS_HASH)
AXE_SCRIPT := $(CONSOLE_TOOLS_DIR)/node_modules/axe-core/axe.min.js

$(AXE_SCRIPT): $(CONSOLE_TOOLS_SPEC)/package.json $(CONSOLE_TOOLS_SPEC)/package-lock.json
	rm -rf $(CONSOLE_TOOLS_DIR) && mkdir -p $(CONSOLE_TOOLS_DIR)
	cp $(CONSOLE_TOOLS_SPEC)/package.json $(CONSOLE_TOOLS_SPEC)/package-lock.json $(CONSOLE_TOOLS_DIR)/
	cd $(CONSOLE_TOOLS_DIR) && npm ci --silent --no-audit --no-fund
	test -f $@ && touch $@

.PHONY: console-tools
console-tools: $(AXE_SCRIPT) ## install the pinned axe-core (npm) for the console's accessibility test into .tools/

.PHONY: third_party
third_party: $(BIN)/.installed ## copy the googleapis protos out of the googleapis-common-protos wheel
	@site=$$($(BIN)/python -c 'import google.api.annotations_pb2 as a, pathlib; print(pathlib.Path(a.__file__).parent.parent.parent)'); \
	for p in $(GOOGLEAPIS_PROTOS); do install -D -m 0644 "$$site/$$p" "third_party/googleapis/$$p"; done

.PHONY: generate
generate: $(BIN)/.installed tools third_party ## regenerate generated/ (Python, Go, OpenAPI) from proto/
	@echo "==> generating into $(GEN_OUT)"
	rm -rf $(GEN_OUT)/python/cavra $(GEN_OUT)/openapi
	mkdir -p $(GEN_OUT)/python $(GEN_OUT)/go $(GEN_OUT)/go-gateway $(GEN_OUT)/openapi
	find $(GEN_OUT)/go $(GEN_OUT)/go-gateway -name '*.go' -delete
	$(BIN)/python -m grpc_tools.protoc -Iproto -Ithird_party/googleapis \
		--python_out=$(GEN_OUT)/python --pyi_out=$(GEN_OUT)/python --grpc_python_out=$(GEN_OUT)/python $(PROTOS)
	# Our files with their comments, for server reflection (`grpcurl describe` shows them).
	$(BIN)/python -m grpc_tools.protoc -Iproto -Ithird_party/googleapis --include_source_info \
		--descriptor_set_out=$(GEN_OUT)/python/cavra/recovery/v1/descriptor_set.binpb $(PROTOS)
	for d in cavra cavra/recovery cavra/recovery/v1; do : > $(GEN_OUT)/python/$$d/__init__.py; done
	: > $(GEN_OUT)/python/cavra/py.typed
	PATH=$(TOOLS):$$PATH $(BIN)/buf generate --template buf.gen.yaml -o $(GEN_ROOT)
	# What openapi.yaml cannot say: the package version, typed error details, binding operationIds.
	$(BIN)/python scripts/openapi_finish.py $(GEN_OUT)/openapi/recovery.swagger.json

.PHONY: lint
lint: $(BIN)/.installed third_party ## ruff, mypy (server, connectors, Python SDK), import-linter layering, buf lint, buf breaking
	$(BIN)/ruff check server connectors clients/python tests bench scripts
	$(BIN)/ruff format --check server connectors clients/python tests bench scripts
	$(BIN)/mypy $(VENV)/namespace/cavra_recovery/server $(VENV)/namespace/cavra_recovery/connectors \
		clients/python/cavra_recovery_client scripts
	$(BIN)/lint-imports
	$(BIN)/buf lint
	$(BIN)/buf breaking proto --against $(RELEASED_CONTRACT)

# The last released contract: `buf breaking` in `make lint` compares proto/ against it (docs/contract.md).
RELEASED_CONTRACT := proto/released/v1.binpb

.PHONY: contract-release
contract-release: $(BIN)/.installed third_party ## record proto/ as the released contract (a release step)
	$(BIN)/buf build proto --exclude-source-info -o $(RELEASED_CONTRACT)

# `make dist`: every wheel and sdist (stubs, SDK, server) into DIST_DIR, metadata checked by twine.
# tests/packaging installs them into clean virtualenvs.
DIST_DIR ?= dist

.PHONY: dist
dist: $(BIN)/.installed ## build the wheels and sdists of cavra-recovery-proto, -client and the server; twine check
	rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	$(BIN)/python -m build --outdir $(DIST_DIR) generated/python
	$(BIN)/python -m build --outdir $(DIST_DIR) clients/python
	$(BIN)/python -m build --outdir $(DIST_DIR) .
	$(BIN)/twine check --strict $(DIST_DIR)/*

.PHONY: test
test: $(BIN)/.installed tools client-tools console-tools third_party ## everything needed, then pytest and the Go client's go test
	@echo "==> pytest"
	CAVRA_TOOLS_BIN=$(TOOLS) CAVRA_AXE_SCRIPT=$(AXE_SCRIPT) $(BIN)/pytest -q -p no:cacheprovider
	@echo "==> go test (clients/go)"
	cd clients/go && CAVRA_RECOVERY_BIN=$(CURDIR)/$(BIN)/cavra-recovery go test -count=1 ./...

.PHONY: run
run: $(BIN)/.installed ## migrate a local SQLite database and start gRPC server, gateway and worker
	mkdir -p var
	$(BIN)/cavra-recovery serve --migrate

# wrk (HTTP load for the gateway figure) is a Debian package: apt-get install wrk.
.PHONY: bench
bench: $(BIN)/.installed tools ## the issue-10 figures into bench/results.json and a table (BENCH_QUICK=1: < 3 min)
	@command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
	$(BIN)/python -m bench

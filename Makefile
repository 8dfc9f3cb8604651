# Service desk — every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=

export UV_PYTHON_DOWNLOADS := never

.PHONY: help deps infra browser imap run test test-unit test-integration test-e2e test-faults bench docs lint clean

help:
	@echo "make run    - the whole system with demo data on http://127.0.0.1:8080"
	@echo "make test   - every test (unit, integration, end-to-end, faults)"
	@echo "make test-faults - the desk under load while its processes are killed and the broker cut"
	@echo "make bench  - end-to-end load benchmark (table + bench-results/*.json)"
	@echo "make docs   - AsyncAPI, OpenAPI and message JSON Schemas into docs/generated/"
	@echo "make lint   - ruff and mypy"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

deps: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --python python3 --quiet

# PostgreSQL and RabbitMQ: use the running ones, else start or install them.
infra:
	@bash deploy/ensure-infra.sh

# Headless Chromium for the portal's browser tests (Debian's package, no downloads).
browser:
	@bash deploy/ensure-browser.sh

# Dovecot for the e-mail channel's IMAP polling tests (Debian's package; the test runs it).
imap:
	@bash deploy/ensure-imap.sh

run: deps infra
	DESK_DEMO=$${DESK_DEMO:-1} $(UV) run --frozen desk-run

test: deps infra browser imap
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-unit: deps
	$(UV) run --frozen pytest -m "not integration and not e2e and not faults" $(PYTEST_ARGS)

test-integration: deps infra imap
	$(UV) run --frozen pytest -m integration $(PYTEST_ARGS)

test-e2e: deps infra browser
	$(UV) run --frozen pytest -m e2e $(PYTEST_ARGS)

# The desk broken under load: kill -9 of each service in turn, the broker connection cut.
test-faults: deps infra
	$(UV) run --frozen pytest -m faults -s $(PYTEST_ARGS)

bench: deps infra
	$(UV) run --frozen python -m tests.bench.load $(BENCH_ARGS)
	$(UV) run --frozen python -m tests.bench.incident_search
	$(UV) run --frozen python -m tests.bench.kb_suggest
	$(UV) run --frozen python -m tests.bench.sla_timers --timers 100000
	$(UV) run --frozen python -m tests.bench.routing_assign --replay --rates 50 100 150 200 250 300

docs: deps
	$(UV) run --frozen desk-docs docs/generated

lint: deps
	$(UV) run --frozen ruff check libs services tests
	$(UV) run --frozen ruff format --check libs services tests
	$(UV) run --frozen mypy

clean:
	rm -rf .venv .tools var test-artifacts bench-results

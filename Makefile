# Two commands set everything up on a fresh Debian machine:
#   make demo   - create the venv if missing, install, run the main job on the demo company
#   make test   - install system packages (as root), update the venv, run the full suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WORKSPACE ?= accountleader-workspace
APT_PACKAGES := postgresql chromium poppler-utils

.PHONY: demo test venv system-deps lint bench clean

# This machine's pip configuration prints a harmless "Location ... is ignored" line per
# package; filter those so real errors stay visible (pipefail keeps pip's exit status).
PIP_QUIET := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

$(PY):
	$(PYTHON) -m venv $(VENV)
	set -o pipefail; $(PY) -m pip install --quiet --upgrade pip $(PIP_QUIET)

$(STAMP): pyproject.toml | $(PY)
	set -o pipefail; $(PY) -m pip install --quiet -e '.[dev,postgres,spark]' $(PIP_QUIET)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/accountleader --workspace $(WORKSPACE) demo
	$(VENV)/bin/accountleader --workspace $(WORKSPACE) analyze
	$(VENV)/bin/accountleader --workspace $(WORKSPACE) requests demo
	$(VENV)/bin/accountleader --workspace $(WORKSPACE) show reps
	@echo ""
	@echo "Next: $(VENV)/bin/accountleader -w $(WORKSPACE) report --format html --out team-report.html"
	@echo "      $(VENV)/bin/accountleader -w $(WORKSPACE) users add you --role admin && $(VENV)/bin/accountleader -w $(WORKSPACE) serve"

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing system packages:$$missing (run as root to install)"; fi; \
	fi

test: system-deps $(STAMP)
	./scripts/run-tests.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m benchmarks.run --scale M

clean:
	rm -rf $(VENV) .pytest_cache .pgtest build dist

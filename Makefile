# The project's commands. `make site` builds the site, `make test` runs every test.
# Any Python 3.11 or newer: the first of these found, or PYTHON=/path/to/python.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  && { echo $$p; break; }; done)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-site
DEV    := $(VENV)/.installed-dev

.PHONY: site deploy test preview share check lint lock bench screenshots clean help
.PHONY: same-output

help:  ## List the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

site: $(STAMP)  ## Build the static site into site/ (creates .venv with pinned dependencies first)
	$(VENV)/bin/evidence-site build $(BUILD_ARGS)

deploy: $(STAMP)  ## Build the site, then push it to the gh-pages branch of origin (needs publish.site_url)
	$(VENV)/bin/evidence-site deploy $(BUILD_ARGS)

test: $(DEV) browser  ## Lint (ruff check and format, mypy), then run every test, the real-browser ones included
	$(PY) -m ruff check generator tests bench scripts
	$(PY) -m ruff format --check generator tests bench scripts
	$(PY) -m mypy
	$(PY) -m pytest

preview: $(STAMP)  ## Regenerate on every change and serve with live reload at http://127.0.0.1:8000
	$(VENV)/bin/evidence-site preview $(PREVIEW_ARGS)

share: $(STAMP)  ## Write the offline copy: one zip that opens by double-click (evidence-site-offline.zip)
	$(VENV)/bin/evidence-site share

check: $(STAMP)  ## Validate the content without building
	$(VENV)/bin/evidence-site check

lint: $(DEV)  ## ruff and mypy
	$(PY) -m ruff check generator tests bench scripts
	$(PY) -m ruff format --check generator tests bench scripts
	$(PY) -m mypy

STUDIES ?= 100
bench: $(STAMP)  ## Benchmark a build of STUDIES=N synthetic studies (default 100); BENCH_ARGS=--skip-preview ...
	$(PY) bench/build_bench.py --studies $(STUDIES) $(BENCH_ARGS)

REF ?= HEAD
same-output: $(STAMP)  ## Compare the real and fixture sites built from REF=<commit> (default HEAD) and the working tree, byte for byte
	$(PY) scripts/same_output.py --against $(REF)

screenshots: $(DEV) browser  ## Screenshots of every page of site/ at 1280 and 390 px, light and dark, into build/screenshots/ (SCREENSHOT_ARGS=--limit N ...)
	$(PY) scripts/screenshots.py $(SCREENSHOT_ARGS)

$(PY):
	@test -n "$(PYTHON)" || { echo "No Python 3.11 or newer found: install one, or run make PYTHON=/path/to/python"; exit 1; }
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)

# A lock is installed by uv (pinned here; it fetches and installs in parallel: seconds where pip takes
# about a minute), or by pip when uv cannot be had or fails, so a machine without uv still installs.
# Compiled to bytecode as pip does: where PYTHONDONTWRITEBYTECODE is set, nothing is compiled later,
# and every process (each test worker, each command) would compile its imports again.
UV_PIN := uv==0.13.9
install_lock = { $(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet $(UV_PIN); } \
  && $(PY) -m uv pip install --compile-bytecode --python $(PY) -r $(1) \
  || { echo "uv could not install $(1): installing with pip"; $(PY) -m pip install --progress-bar on -r $(1); }

# The generator itself is installed in place (editable), so that .venv/bin/evidence-site runs this
# source tree: the README's commands are the same here as in a project of one's own.
$(STAMP): requirements-site.lock pyproject.toml | $(PY)
	@echo "Installing what building the site needs (requirements-site.lock) into $(VENV)"
	@$(call install_lock,requirements-site.lock)
	@$(PY) -m uv pip install --quiet --python $(PY) --no-deps -e . \
	  || $(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(DEV): requirements-dev.lock $(STAMP)
	@echo "Installing what the tests and lint need (requirements-dev.lock) into $(VENV)"
	@$(call install_lock,requirements-dev.lock)
	touch $@

.PHONY: browser
browser:  ## Install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lock:  ## Re-pin requirements-site.lock and requirements-dev.lock from pyproject.toml in fresh environments
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet .
	{ echo "# Pinned: what building the site needs (pyproject.toml's dependencies). Regenerate with \`make lock\`."; \
	  .lock-venv/bin/pip freeze --exclude pip --exclude setuptools --exclude evidence-site-generator; } > requirements-site.lock
	.lock-venv/bin/pip install --quiet ".[dev]"
	{ echo "# Pinned: what the tests and lint need besides building (pyproject.toml's dev extra). Regenerate with \`make lock\`."; \
	  echo "-r requirements-site.lock"; \
	  .lock-venv/bin/pip freeze --exclude pip --exclude setuptools --exclude evidence-site-generator \
	  | grep -vxF -f requirements-site.lock; } > requirements-dev.lock
	rm -rf .lock-venv build/lib *.egg-info

clean:  ## Remove generated output (not the virtual environment)
	rm -rf site build

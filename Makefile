# The project's commands. `make site` builds the site, `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: site deploy test preview check lint lock bench clean help

help:  ## List the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

site: $(STAMP)  ## Build the static site into site/ (creates .venv with pinned dependencies first)
	$(PY) -m generator build $(BUILD_ARGS)

deploy: $(STAMP)  ## Build the site, then push it to the gh-pages branch of origin (needs publish.site_url)
	$(PY) -m generator deploy $(BUILD_ARGS)

test: $(STAMP) browser  ## Lint (ruff check and format), then run every test, the real-browser ones included
	$(PY) -m ruff check generator tests bench
	$(PY) -m ruff format --check generator tests bench
	$(PY) -m pytest

preview: $(STAMP)  ## Regenerate on every change and serve with live reload at http://127.0.0.1:8000
	$(PY) -m generator preview

check: $(STAMP)  ## Validate the content without building
	$(PY) -m generator check

lint: $(STAMP)  ## ruff
	$(PY) -m ruff check generator tests bench
	$(PY) -m ruff format --check generator tests bench

STUDIES ?= 100
bench: $(STAMP)  ## Benchmark a build of STUDIES=N synthetic studies (default 100); BENCH_ARGS=--skip-preview ...
	$(PY) bench/build_bench.py --studies $(STUDIES) $(BENCH_ARGS)

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

.PHONY: browser
browser:  ## Install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lock:  ## Re-pin requirements.lock from requirements.in in a fresh environment
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned: every package the generator, its tests and lint need. Regenerate with \`make lock\`."; \
	  .lock-venv/bin/pip freeze --exclude pip --exclude setuptools; } > requirements.lock
	rm -rf .lock-venv

clean:  ## Remove generated output (not the virtual environment)
	rm -rf site build

# The two set-up commands: `make report` builds the report, `make test` runs the tests.
# Both create .venv and install what they need on a fresh machine (Python 3.11, pip, Pango).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
TESTDEPS := $(VENV)/.test-installed

.PHONY: report test bench preview live lint clean

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TESTDEPS): $(RUNTIME) scripts/ensure-verapdf.sh scripts/ensure-test-tools.sh
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	scripts/ensure-verapdf.sh
	scripts/ensure-test-tools.sh
	touch $@

## Build output/<year>/impact-report-<year>.pdf, .pptx and web/ from the newest content/<year>/
report: $(RUNTIME)
	$(BIN)/impact-report build

## Lint and run the whole test suite (builds the real report)
test: $(TESTDEPS)
	$(BIN)/ruff check render tests bench
	$(BIN)/pytest

## Time the build in fresh processes: median wall time and peak memory per stage; then the preview
bench: $(RUNTIME)
	$(BIN)/python bench/build_bench.py
	$(BIN)/python bench/preview_bench.py

## See the web edition in your browser while you edit: it rebuilds and reloads on every save
live: $(RUNTIME)
	$(BIN)/impact-report preview

## Render the slide deck to PNG images for looking at (installs LibreOffice when missing)
preview: report
	scripts/preview-deck.sh

lint: $(TESTDEPS)
	$(BIN)/ruff check render tests bench

clean:
	rm -rf $(VENV) output/*/ *.egg-info

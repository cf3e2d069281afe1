# Two commands on a fresh machine: `make run` and `make test`.
# Everything installs into .venv; stamps make the second run instant.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CA := $(BIN)/career-assistant

.PHONY: run test ingest install dev browser lint typecheck unit eval-gate eval bench-ingest bench-answer clean

run: install
	$(BIN)/python app.py

ingest: install
	$(CA) ingest

install: $(VENV)/.stamp-install
dev: $(VENV)/.stamp-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# llama-cpp-python (the [server] and [local] extras) compiles llama.cpp, by default for the
# CPU it builds on, AMX included where the CPU reports it: on a virtual machine that reports
# AMX but does not grant it, the first matrix product dies of SIGILL ("tilezero"). A
# portable build (AVX2, no AMX) runs on any x86-64 machine with AVX2, and pip's
# wheel cache may carry it to another machine.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

# torch first and pinned: it takes the CPU build on this disk instead of a CUDA one.
$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,server,eval]'
	touch $(VENV)/.stamp-install $(VENV)/.stamp-eval $@

# The [eval] extra: report plots and the LangChain-tutorial baseline.
$(VENV)/.stamp-eval: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[eval]'
	touch $(VENV)/.stamp-install $@

lint: dev
	$(BIN)/ruff check assistant tests
	$(BIN)/ruff format --check assistant tests

typecheck: dev
	$(BIN)/mypy

# The browser tests drive Debian's Chromium; they skip, saying so, where it can't be installed.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will skip"

unit: dev browser
	$(BIN)/python -m pytest

# The regression gate: the extractive generator on the gold set against eval/baseline.json.
eval-gate: dev
	@if [ -d ../shared/corpora ]; then \
		$(CA) eval --dataset eval/datasets/gold.jsonl --root ../shared --no-baseline \
			--compare eval/baseline.json --report eval/results/gate; \
	else echo "../shared is absent: the evaluation gate needs its corpora; skipped"; fi

test: lint typecheck unit eval-gate

# The dev sets (tune, test, refusal-tune, followup-tune, terms-test, broad-test,
# followup-tune2 and followup-test) on one index, with the LangChain-tutorial baseline
# beside ours; then the seed sets on the bundled essay
# alone (what `make run` serves), in their own index.
eval: $(VENV)/.stamp-eval
	$(CA) eval --dataset eval/datasets/dev-tune.jsonl --dataset eval/datasets/dev-test.jsonl \
		--dataset eval/datasets/refusal-tune.jsonl --dataset eval/datasets/followup-tune.jsonl \
		--dataset eval/datasets/terms-test.jsonl --dataset eval/datasets/broad-test.jsonl \
		--dataset eval/datasets/followup-tune2.jsonl --dataset eval/datasets/followup-test.jsonl \
		--root ../shared
	$(CA) eval --dataset eval/datasets/seed-tune.jsonl --dataset eval/datasets/seed-test.jsonl \
		--root corpus --data-dir .data/seed-eval --no-baseline

bench: install
	$(CA) bench ingest
	$(CA) bench answer
	$(CA) bench scale

bench-ingest: install
	$(CA) bench ingest

bench-answer: install
	$(CA) bench answer

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache test-artifacts
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

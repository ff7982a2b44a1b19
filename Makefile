# callscope: every command a user or CI runs. See README.md.
#
#   make demo    set up (venv, packages, model weights) and analyse a bundled call
#   make test    set up and run the whole test suite (the browser tests need chromium: see test-e2e)
#   make test-e2e  install Debian's chromium if missing, then run the web pages' browser tests
#   make bench   set up and benchmark a 5-minute call, stereo and mono
#   make models  fetch and verify the model weights (hash-checked)
#   make serve   run the API on :8000 and a worker, with an embedded Redis
#   make bench-service  load and throughput of the service (50 concurrent uploads, 1 and 2 workers)
#   make bench-scale  calls per hour by layout: 1, 2 and 4 workers at 1 and 2 threads, 5-minute stereo and mono calls
#   make lint    ruff check and format check
#   make vendor  re-vendor uPlot and axe-core from npm, integrity-checked (VENDOR.md beside each)
#   make bench-pages  review page load time in Chromium for a 10-minute call
#   make bench-peer   callscope against a do-it-yourself faster-whisper + pyannote pipeline (speed, memory, DER, WER)
#   make bench-real   the real recorded calls of ../shared/data/real against their labels (DER, WER, verdicts)
#   make corpus       generate the synthetic corpus of voiced calls (installs the synthesisers if missing)
#   make bench-corpus the verdicts on the corpus, tuning voices and held-out voices apart
#
# Setup is idempotent: stamps in .venv record what is installed, so a second
# run installs nothing unless a requirements file changed.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# No model is ever fetched from the Hugging Face hub at run time, and
# pyannote's usage telemetry stays off. Export HF_HUB_OFFLINE=0 to opt out.
export HF_HUB_OFFLINE ?= 1
export PYANNOTE_METRICS_ENABLED ?= false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup demo test test-e2e bench bench-service bench-scale bench-pages bench-peer bench-real bench-corpus corpus models lint format lock fixtures clean serve vendor

setup: $(VENV)/.models-ok

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "callscope needs Python 3.11: set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps-ok: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-deps -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.models-ok: $(VENV)/.deps-ok audio_features/model_store.py
	$(BIN)/callscope models fetch
	touch $@

models: $(VENV)/.deps-ok
	$(BIN)/callscope models fetch
	touch $(VENV)/.models-ok

demo: setup
	@echo "== stereo call, agent on the left channel =="
	$(BIN)/callscope analyze fixtures/calls/support_call_stereo.flac --format text
	@echo "== the same kind of call as a telephone platform records it: mono, 8 kHz, mu-law =="
	$(BIN)/callscope analyze fixtures/calls/callback_call_mono_8k_mulaw.wav --format text

bench-service: setup
	$(BIN)/python -m bench.load --uploads 50 --workers 1,2

serve: setup
	$(BIN)/callscope serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000} --workers $${WORKERS:-1}

test: setup
	$(BIN)/python -m pytest

test-e2e: setup
	bash scripts/install_chromium.sh
	$(BIN)/python -m pytest tests/test_pages_e2e.py

bench-scale: setup
	$(BIN)/python -m bench.scale

bench-pages: setup
	bash scripts/install_chromium.sh
	$(BIN)/python -m bench.pages --minutes 10

vendor:
	bash scripts/vendor_js.sh

bench: setup
	$(BIN)/python -m bench.run --minutes 5
	$(BIN)/python -m bench.events
	$(BIN)/python -m bench.empathy
	$(BIN)/python -m bench.real

bench-peer: setup
	$(BIN)/python -m bench.versus

bench-real: setup
	$(BIN)/python -m bench.real

corpus: $(VENV)/.deps-ok
	bash scripts/install_tts.sh
	$(BIN)/python -m fixtures.corpus

bench-corpus: setup
	@test -d bench/out/corpus/heldout || $(MAKE) corpus
	$(BIN)/python -m bench.corpus

lint: $(VENV)/.deps-ok
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.deps-ok
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(BIN)/python
	$(BIN)/python scripts/lock.py

fixtures: $(VENV)/.deps-ok
	bash scripts/install_tts.sh
	$(BIN)/python -m fixtures.generate

clean:
	rm -rf $(VENV) bench/out .pytest_cache .ruff_cache

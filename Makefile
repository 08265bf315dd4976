# w2v: every target creates the virtual environment it needs if there is none.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
W2V    := $(BIN)/w2v
SHARED ?= ../shared

.PHONY: demo test bench bench-threads bench-scale bench-encode clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed in editable mode with the test extra; the stamp re-installs when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: train on a generated 1M-token corpus with planted structure, query it and plot it
demo: $(VENV)/.installed
	W2V=$(W2V) PYTHON=$(BIN)/python bash examples/demo.sh

## test: the whole test suite
test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

## bench: w2v against gensim and word2vec.c on text8_head (peers go in benchmarks/.venv-peers)
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/compare.py

## bench-threads: kernel words/s against thread count, and JIT compile time cold and warm
bench-threads: $(VENV)/.installed
	$(BIN)/python benchmarks/threads.py

## bench-scale: words/s and peak RSS at 1M and 100M tokens
bench-scale: $(VENV)/.installed
	$(BIN)/python benchmarks/scale.py

## bench-encode: corpus reading and encoding, tokens/s and peak RSS, Python reference against compiled
bench-encode: $(VENV)/.installed
	$(BIN)/python benchmarks/encode.py

clean:
	rm -rf out build *.egg-info .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

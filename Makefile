# w2v: every target creates the virtual environment it needs if there is none.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
W2V    := $(BIN)/w2v
SHARED ?= ../shared

.PHONY: demo test bench bench-kernel bench-threads bench-scale bench-vocab bench-encode bench-spacy bench-cluster clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed in editable mode with the test extra; the stamp re-installs when pyproject.toml changes.
# fastText's client (the .bin round-trip tests) builds from C++ source: where that fails, those
# tests are skipped (and say why) rather than the install failing.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet -e '.[fasttext-check]' \
		|| echo "note: the fasttext client did not build; its round-trip tests will be skipped"
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

## bench-kernel: every kernel's words/s, FLOPs and fraction of the GEMM peak at 1 and 2 threads,
## where the time per word goes, and JIT compile time cold and warm
bench-kernel: $(VENV)/.installed
	$(BIN)/python benchmarks/kernel.py

## bench-threads: the default kernel's words/s from 1 thread to all cores
bench-threads: $(VENV)/.installed
	$(BIN)/python benchmarks/kernel.py --threads all --modes sg-ns --no-breakdown --no-compile

## bench-scale: words/s and peak RSS at 1M and 100M tokens
bench-scale: $(VENV)/.installed
	$(BIN)/python benchmarks/scale.py

## bench-vocab: w2v against word2vec.c and gensim on a generated 24M-token, 347k-word Zipf corpus
## (dim 300, 1 epoch): words/s and peak RSS when the model no longer fits in cache
bench-vocab: $(VENV)/.installed
	$(BIN)/python benchmarks/zipf.py

## bench-encode: corpus reading and encoding, tokens/s and peak RSS, Python reference against compiled
bench-encode: $(VENV)/.installed
	$(BIN)/python benchmarks/encode.py

## bench-spacy: spaCy's 'init vectors' reads w2v's text vectors and agrees on neighbours and
## similarities (spaCy goes in benchmarks/.venv-spacy)
bench-spacy: $(VENV)/.installed
	$(BIN)/python benchmarks/spacy_check.py

## bench-cluster: --cluster local:2 against one process (quality, words/s, against corpus size),
## the merge rules, a delay of one round, and a model of 4, 16 and 64 workers on 1B tokens
bench-cluster: $(VENV)/.installed
	$(BIN)/python benchmarks/cluster.py

clean:
	rm -rf out build *.egg-info .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

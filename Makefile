# w2v: every target creates the virtual environment it needs if there is none.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
W2V    := $(BIN)/w2v
SHARED ?= ../shared

.PHONY: demo test bench clean

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

clean:
	rm -rf out build *.egg-info .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

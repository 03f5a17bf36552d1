# Two commands on a fresh machine: `make run` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install lint train bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[train,dev]'
	touch $@

install: $(BIN)/.installed

# The main job: score the example messages with the shipped model.
run: install
	$(BIN)/tokenscam score --input data/examples/messages.jsonl --output -

test: install
	$(BIN)/ruff check src tests benchmarks service
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests benchmarks service
	$(BIN)/ruff format --check src tests benchmarks service

# Rebuild models/ from the corpus (deterministic).
train: install
	$(BIN)/tokenscam train

bench: install
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_single.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

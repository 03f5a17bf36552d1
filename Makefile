# Two commands on a fresh machine: `make run` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install lint train bench report clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[train,dev,report,service,service-test,spark]'
	touch $@

install: $(BIN)/.installed

# The main job: the service with the shipped model and SQLite — open http://127.0.0.1:8000/
run: install
	$(BIN)/tokenscam serve --host 127.0.0.1 --port 8000

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
	$(BIN)/python benchmarks/bench_service.py  # needs wrk (apt-get install wrk)

# The published evaluation of the shipped model (≈ 5 min): reports/latest/ (page, metrics, plots).
EXTERNAL ?= ../shared/data/external
report: install
	$(BIN)/tokenscam eval --evasion --no-quote-text --data $(EXTERNAL)/ordinary.jsonl \
		--data $(EXTERNAL)/hard_negative.jsonl --data $(EXTERNAL)/other_fraud.jsonl \
		--report reports/latest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

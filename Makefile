# Meterline: `make demo` and `make test` bootstrap everything from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo/district.db
BENCH_DB ?= bench/.cache/district-100k.db

.PHONY: demo test bench lint clean

# The venv is rebuilt when it is missing or older than pyproject.toml.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(DEMO_DB): | $(BIN)/.installed
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/meterline demo --db $(DEMO_DB)

demo: $(BIN)/.installed $(DEMO_DB)
	$(BIN)/meterline --db $(DEMO_DB)

test: $(BIN)/.installed
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python -m bench --db $(BENCH_DB)

lint: $(BIN)/.installed
	$(BIN)/ruff check core db console fixtures bench tests
	$(BIN)/mypy core db

clean:
	rm -rf $(VENV) demo bench/.cache

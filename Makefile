# The two commands in README.md: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= var

.PHONY: run demo test lint typecheck unit bench bench-quick

# The touch UI with simulated devices; on a machine without a display it says so and
# runs the scripted journey offscreen, writing screenshots to $(DATA)/screenshots.
run:
	scripts/bootstrap run
	$(BIN)/kiosk run --simulate --data-dir $(DATA) --screenshots $(DATA)/screenshots

demo:
	scripts/bootstrap run
	$(BIN)/kiosk demo --data-dir $(DATA) --escpos-out $(DATA)/receipt.escpos

test:
	scripts/bootstrap test
	$(MAKE) lint typecheck unit

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

# pytest exits 5 when it collected no tests: that is a failure here, as any non-zero code.
unit:
	$(BIN)/pytest -q

bench:
	$(BIN)/python -m bench.checkout

bench-quick:
	$(BIN)/python -m bench.checkout --quick

# The two commands a user runs: `make demo` and `make test`.
# CI runs `.ci/run`, which runs `make test` and nothing else.
#
# Everything either command needs beyond the Rust toolchain and Python 3 is
# installed inside the repository: the Python tools (the moto AWS emulator)
# into .venv, pinned in scripts/requirements.txt; crates by cargo.

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: test fmt lint tests demo venv

## make test: the whole suite: formatting, clippy with warnings denied, then
## unit, adapter, binary and end-to-end tests with the emulator running.
test: fmt lint tests

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# One `cargo test --workspace`: it builds every binary the end-to-end tests
# run, with one feature set, so the AWS SDKs compile once.
tests: venv
	scripts/with-emulator $(CARGO) test --workspace --locked

## make demo: the three misconfigurations created in the emulator and fixed
## by the real binaries, with the state before and after and the audit records.
demo: venv
	$(CARGO) test --workspace --locked --no-run
	scripts/with-emulator $(TARGET_DIR)/debug/remediation-demo

## make venv: the project's Python environment (.venv), rebuilt when the pins change.
venv: $(VENV)/.installed

$(VENV)/.installed: scripts/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
	touch $@

# The two commands a user runs: `make demo` and `make test`.
# CI runs `.ci/run`, which runs `make test` and nothing else.

CARGO ?= cargo

.PHONY: test fmt lint unit demo

## make test: the whole suite: formatting, clippy with warnings denied, unit and adapter tests.
test: fmt lint unit

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --locked

## make demo: needs the local AWS emulator, which is not part of the project yet.
demo:
	@echo "make demo is not available yet: it needs the local AWS emulator (moto server), which the project does not install yet." >&2
	@echo "Run 'make test' for the test suite, or see README.md for invoking a function by hand." >&2
	@exit 2

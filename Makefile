# The two commands a user runs: `make demo` and `make test`.
# CI runs `.ci/run`, which runs `make test` and nothing else.
#
# Everything either command needs beyond the Rust toolchain and Python 3 is
# installed inside the repository: the Python tools (the moto AWS emulator,
# the SAM CLI, cfn-lint, checkov, the EventBridge pattern engine, cargo-lambda)
# into .venv,
# pinned in scripts/requirements.txt; crates by cargo; the IAM policy evaluator
# of the IAM evaluation test (Node, from npm) into tests/iam/node_modules,
# pinned in tests/iam/package-lock.json.

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
PEER_VENV := .venv-peer
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
# The same, absolute (CARGO_TARGET_DIR may be absolute already: CI, shared machines).
TARGET_ABS := $(abspath $(TARGET_DIR))

# Every function: each folder under functions/ (its package and binary are named for it).
FUNCTIONS := $(notdir $(patsubst %/,%,$(dir $(wildcard functions/*/Cargo.toml))))
RUNS ?= 3
SWEEP_N ?= 1000
ORG_ACCOUNTS ?= 20
ORG_N ?= 100
ORG_CONCURRENCY ?= 5

# Cargo tools the project installs for itself, pinned, into .tools/.
TOOLS := .tools
CARGO_DENY_VERSION := 0.20.2
CARGO_MACHETE_VERSION := 0.9.1
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 300

.PHONY: test fmt lint deny unused-deps secrets template-checks tests demo venv iam-evaluator package bench bench-sweep bench-org-sweep fuzz

## make test: the whole suite: formatting, clippy with warnings denied, the
## dependencies' licences, bans and sources (cargo-deny), no unused
## dependency (cargo-machete), a scan for
## credentials (detect-secrets), the template's
## checks, then unit, property, fault, adapter, binary, template, IAM
## evaluation and end-to-end tests with the emulator running.
test: fmt lint deny unused-deps secrets template-checks tests

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Licences, bans and sources of every dependency (deny.toml). Not advisories:
# their database is fetched from GitHub, which this project does not rely on.
deny: $(TOOLS)/bin/cargo-deny
	$(TOOLS)/bin/cargo-deny --locked check licenses bans sources

$(TOOLS)/bin/cargo-deny:
	$(CARGO) install --locked --quiet --root $(TOOLS) --version $(CARGO_DENY_VERSION) cargo-deny

# No dependency declared and unused, in any package of the workspace or the fuzz target.
unused-deps: $(TOOLS)/bin/cargo-machete
	$(TOOLS)/bin/cargo-machete

$(TOOLS)/bin/cargo-machete:
	$(CARGO) install --locked --quiet --root $(TOOLS) --version $(CARGO_MACHETE_VERSION) cargo-machete

# No credentials in the repository: detect-secrets (checkov's own scanner,
# pinned with it) over every file git tracks or would track. The entropy
# detectors are off (event ids and hashes look random by nature); the key,
# token, private-key and keyword detectors are on.
secrets: venv
	git ls-files -co --exclude-standard -z | xargs -0 $(VENV)/bin/detect-secrets-hook \
		--disable-plugin HexHighEntropyString --disable-plugin Base64HighEntropyString

# The SAM template: SAM's own validation with cfn-lint, cfn-lint alone, the
# checkov security scan (suppressions sit in the template with their reasons),
# and the EventBridge patterns against every sample event. All offline.
template-checks: venv
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --region us-east-1 --template template.yaml
	$(VENV)/bin/cfn-lint template.yaml member.yaml
	$(VENV)/bin/checkov --file template.yaml --file member.yaml --framework cloudformation --compact --quiet --skip-download
	$(VENV)/bin/python -m unittest tests/template/event_patterns.py

# One `cargo test --workspace`: it builds every binary the end-to-end tests
# run, with one feature set, so the AWS SDKs compile once.
tests: venv iam-evaluator
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

## make iam-evaluator: the offline IAM policy evaluator that
## tests/tests/iam_evaluation/ drives (tests/iam: @cloud-copilot/iam-simulate,
## AGPL-3.0, so a test-only tool: never shipped, bundled or linked), installed
## by `npm ci` from its lock (exact versions, the npm registry only, no install
## scripts), again only when the lock changes.
iam-evaluator: tests/iam/node_modules/.installed

tests/iam/node_modules/.installed: tests/iam/package-lock.json tests/iam/package.json
	cd tests/iam && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## make package: the four arm64 release bootstraps, built by cargo-lambda and
## zipped for Lambda (target/lambda/<function>/bootstrap.zip), with their sizes.
## Not part of `make test`: a cold release build with LTO takes long on a small machine.
package: $(VENV)/.package-installed
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --arm64 --locked \
		--output-format zip $(addprefix --package ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
		printf '%-26s %8d bytes zipped\n' $$f $$(stat -c %s $(TARGET_DIR)/lambda/$$f/bootstrap.zip); \
	done

$(VENV)/.package-installed: $(VENV)/.installed scripts/requirements-package.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-package.txt
	touch $@

## make bench: the bench/ package: our functions (release builds behind the loopback Runtime
## API) side by side with Cloud Custodian (its own virtualenv, .venv-peer)
## against the same local emulator; prints a markdown table and writes it to
## docs/bench-results.md. Run `make package` first for the package-size row.
## RUNS=n repeats the cold, warm and memory measurements (default 3);
## BENCH_ONLY=<function> runs one function and only prints its table.
## `remediation-bench --help` lists the settings this target passes it.
## `cargo build --workspace --all-targets` links the bench binary (`cargo test`
## does not: its package has no integration test) with the feature set of
## `cargo test --workspace`, so the AWS SDKs compile once.
bench: venv $(PEER_VENV)/.installed
	$(CARGO) build --release --locked $(addprefix --package ,$(FUNCTIONS))
	$(CARGO) build --workspace --all-targets --locked
	BENCH_ONLY=$(BENCH_ONLY) BENCH_RUNS=$(RUNS) BENCH_RELEASE_DIR=$(TARGET_ABS)/release \
	BENCH_PEER_PYTHON=$(CURDIR)/$(PEER_VENV)/bin/python \
	BENCH_PEER_SITE_PACKAGES=$$($(PEER_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
		scripts/with-emulator $(TARGET_DIR)/debug/remediation-bench

## make bench-sweep: the scheduled sweep at scale, ours and Cloud Custodian's pull mode,
## each on a fresh copy of the same seeded account in the local emulator: SWEEP_N
## buckets, security groups and roles (default 1000; SWEEP_N=5000 for the large
## run), 10% misconfigured. Prints wall time, API calls, fixed / missed / wrongly
## changed and peak memory per kind, and writes them into docs/sweep-benchmark.md.
bench-sweep: venv $(PEER_VENV)/.installed
	$(CARGO) build --release --locked $(addprefix --package ,$(FUNCTIONS))
	$(CARGO) build --workspace --all-targets --locked
	SWEEP_N=$(SWEEP_N) BENCH_SWEEP_RUN=$(TARGET_ABS)/debug/sweep-run \
	BENCH_RELEASE_DIR=$(TARGET_ABS)/release BENCH_PEER_PYTHON=$(CURDIR)/$(PEER_VENV)/bin/python \
		scripts/with-emulator $(VENV)/bin/python bench/sweep_bench.py

## make bench-org-sweep: an organisation's sweep, ours (the hub's schedule queueing a message
## per place, the queue delivered back at ORG_CONCURRENCY, default 5) against c7n-org (the same
## concurrency), each on a fresh copy of the same organisation in the local emulator: ORG_ACCOUNTS
## member accounts (default 20) x 2 regions, ORG_N buckets, security groups and roles (default 100)
## per place, 10% misconfigured. Prints wall time, API calls, fixed / missed / wrongly changed and
## peak memory per kind, and writes them into docs/org-sweep-benchmark.md.
bench-org-sweep: venv $(PEER_VENV)/.installed
	$(CARGO) build --release --locked $(addprefix --package ,$(FUNCTIONS))
	$(CARGO) build --workspace --all-targets --locked
	ORG_ACCOUNTS=$(ORG_ACCOUNTS) ORG_N=$(ORG_N) ORG_CONCURRENCY=$(ORG_CONCURRENCY) \
	BENCH_ORG_SWEEP_RUN=$(TARGET_ABS)/debug/org-sweep-run \
	BENCH_RELEASE_DIR=$(TARGET_ABS)/release BENCH_PEER_PYTHON=$(CURDIR)/$(PEER_VENV)/bin/python \
		scripts/with-emulator $(VENV)/bin/python bench/org_sweep_bench.py

$(PEER_VENV)/.installed: bench/requirements-peer.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements-peer.txt
	touch $@

## make fuzz: the event parser and normaliser under libFuzzer for FUZZ_SECONDS
## (default 300), seeded from every sample in events/; prints libFuzzer's final
## figures (runs, new inputs, peak memory) and keeps its log in fuzz/last-run.log.
## Not part of `make test`. Stable Rust, so no sanitizer: the code forbids
## `unsafe`, and a panic or a broken invariant is the crash looked for.
## A crashing input lands in fuzz/artifacts/events/ and the target fails.
fuzz: $(TOOLS)/bin/cargo-fuzz
	mkdir -p fuzz/corpus/events
	for f in events/*/*.json; do cp "$$f" "fuzz/corpus/events/$$(basename $$(dirname $$f))-$$(basename $$f)"; done
	cd fuzz && PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(CARGO) fuzz run --sanitizer none --debug-assertions events corpus/events \
		-- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 > last-run.log 2>&1; \
		status=$$?; grep -E '^Done|^stat::|ERROR|panicked|Test unit written' last-run.log; exit $$status

$(TOOLS)/bin/cargo-fuzz:
	$(CARGO) install --locked --quiet --root $(TOOLS) --version $(CARGO_FUZZ_VERSION) cargo-fuzz

//! `make bench`: our three functions side by side with the peer, Cloud
//! Custodian, against the same local emulator on loopback: cold start (exec
//! to ready, exec to the first remediation done), warm latency over fresh
//! misconfigured resources, peak resident memory, package size, and the state
//! each leaves. Prints one markdown table and writes it to `docs/bench-results.md`.
//!
//! Ours: the release binary (`BENCH_RELEASE_DIR`) behind the loopback Runtime
//! API. The peer: `bench/peer_run.py` (cold, one fresh process per run) and
//! `bench/peer_warm.py` (warm, one process) under `BENCH_PEER_PYTHON`, with
//! Custodian's policies from `bench/peer/`. Both receive the same CloudTrail
//! sample, rewritten for a freshly seeded resource. It only talks to the
//! emulator that `scripts/with-emulator` started.
//!
//! # Layout
//! - this file: the settings (from the environment `make bench` sets) and the
//!   order of the runs;
//! - [`seed`]: the misconfigured resources, the sample for them, the verdict;
//! - [`ours`] and [`peer`]: each system's cold, warm and burst runs;
//! - [`recorder`]: the AWS operations a run makes, counted at the emulator;
//! - [`figures`]: what one run measured, and its statistics;
//! - [`table`]: the markdown table.

// A benchmark driver: a failed unwrap is a failed run, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod figures;
mod ours;
mod peer;
mod recorder;
mod seed;
mod table;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use remediation_testing::emulator::URL_VARIABLE;
use remediation_testing::{Emulator, Function};

/// The functions measured.
const S3: Function = Function::named(remediation_catalog::BUCKET_PUBLIC_ACCESS.name);
const SG: Function = Function::named(remediation_catalog::WORLD_OPEN_ADMIN.name);
const IAM: Function = Function::named(remediation_catalog::SERVICE_ROLE_ADMIN.name);

/// Cold runs per system and function.
const COLD_RUNS: usize = 7;
/// Warm events per system and function (the issue asks for at least 200).
const WARM_EVENTS: usize = 200;
/// Findings in the burst, and how many are handled at once (Lambda's concurrency).
const BURST: usize = 1000;
const CONCURRENCY: usize = 8;

/// What `--help` prints.
const USAGE: &str = "\
remediation-bench: our functions' release builds and Cloud Custodian, side by side
against the local AWS emulator. Run it with `make bench`, which builds both and sets:

  REMEDIATION_EMULATOR_URL  the emulator (set by scripts/with-emulator)
  BENCH_RELEASE_DIR         the folder of the functions' release binaries
  BENCH_PEER_PYTHON         the Python of the peer's virtualenv (.venv-peer)
  BENCH_PEER_SITE_PACKAGES  its site-packages, for the peer's package size (optional)
  BENCH_RUNS                repeated runs (default 3)
  BENCH_ONLY                one function's name: only its table, printed, not written

It prints a markdown table and writes it to docs/bench-results.md.";

/// `bench/`, where the peer's scripts and policies are and the results go.
fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The settings `make bench` passes in the environment.
struct Settings {
    release: PathBuf,
    python: PathBuf,
    peer_site: Option<String>,
    runs: usize,
    /// `BENCH_ONLY`: that function alone, printed, not written to the results file.
    only: Option<String>,
}

impl Settings {
    /// The settings, or the name of the first one missing.
    fn from_env() -> Result<Settings, String> {
        let required = |name: &str| std::env::var(name).map_err(|_| name.to_owned());
        required(URL_VARIABLE)?;
        Ok(Settings {
            release: PathBuf::from(required("BENCH_RELEASE_DIR")?),
            python: PathBuf::from(required("BENCH_PEER_PYTHON")?),
            peer_site: std::env::var("BENCH_PEER_SITE_PACKAGES").ok(),
            runs: std::env::var("BENCH_RUNS")
                .ok()
                .and_then(|r| r.parse().ok())
                .filter(|r| *r > 0)
                .unwrap_or(3),
            only: std::env::var("BENCH_ONLY").ok().filter(|o| !o.is_empty()),
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if let Some(arg) = args.first() {
        eprintln!("remediation-bench: unexpected argument {arg}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(missing) => {
            eprintln!(
                "remediation-bench: {missing} is not set: run it with `make bench` (see --help)"
            );
            return ExitCode::from(2);
        }
    };
    run(&settings).await;
    ExitCode::SUCCESS
}

/// Every function in turn: its repeated runs, ours then the peer's, then one
/// burst each; the table printed, and written unless `BENCH_ONLY` is set.
async fn run(settings: &Settings) {
    let Settings {
        release,
        python,
        runs,
        ..
    } = settings;
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let mut out = String::new();
    table::preamble(&mut out, *runs);
    let peer_package: Option<u64> = settings.peer_site.as_ref().and_then(|site| {
        let out = Command::new(python)
            .arg(bench_dir().join("peer_package.py"))
            .arg(site)
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    });
    for f in [S3, SG, IAM] {
        if settings.only.as_deref().is_some_and(|o| o != f.name()) {
            continue;
        }
        let mut all = Vec::new();
        for run in 1..=*runs {
            eprintln!("bench: {} run {run}/{runs} ...", f.name());
            let a = ours::ours(&emu, f, release, &vpc).await;
            let b = peer::theirs(&emu, f, python, &vpc).await;
            all.push((a, b));
        }
        table::runs_section(&mut out, f, &all, peer_package);
        let (x, y) = (
            ours::burst_ours(&emu, f, release, &vpc).await,
            peer::burst_theirs(&emu, f, python, &vpc).await,
        );
        table::burst_rows(&mut out, &x, &y);
    }
    table::footer(&mut out);
    print!("{out}");
    if settings.only.is_none() {
        std::fs::write(bench_dir().join("../docs/bench-results.md"), &out).unwrap();
    }
}

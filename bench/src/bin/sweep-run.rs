//! One scheduled sweep of one function, as `make bench-sweep` runs ours: the
//! function's release binary behind the loopback Runtime API, against the
//! emulator that `scripts/with-emulator` started, fed its
//! `events/<function>/scheduled-sweep.json`.
//!
//!     sweep-run <function, or the resource type it fixes> <release dir> [timeout seconds, default 900]
//!
//! Prints one JSON line: `wall_ms` (the event delivered to the answer),
//! `peak_rss_kb` (the process's `VmHWM` after the sweep), `answer` (`ok` or
//! the error), and the sweep's summary record (`summary`), whose `outcomes`
//! and `api_calls` the benchmark reads. It seeds nothing and judges nothing:
//! the benchmark's Python side seeds the emulator before and scores its state
//! after. Talks to the loopback emulator only.

use std::path::PathBuf;
use std::time::Duration;

use remediation_testing::{Answer, Deployment, Emulator, Function};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(release)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: sweep-run <function or resource type> <release dir> [timeout seconds]");
        std::process::exit(2);
    };
    let timeout = args
        .get(3)
        .and_then(|t| t.parse().ok())
        .map_or(Duration::from_secs(900), Duration::from_secs);
    // Any function of the catalog, by its name or the resource type it fixes.
    let function = remediation_catalog::named(name)
        .or_else(|| remediation_catalog::fixing(name))
        .map(|f| Function::named(f.name))
        .unwrap_or_else(|| {
            eprintln!("sweep-run: unknown function {name}");
            std::process::exit(2);
        });
    let binary = PathBuf::from(release).join(function.name());
    let emu = Emulator::from_env();
    let mut deployment = Deployment::start_binary(&emu, function, &binary, &[("DRY_RUN", "false")]);
    let event = function.sample("scheduled-sweep.json", &[]);
    let started = std::time::Instant::now();
    let inv = deployment.invoke_with_timeout(&event, timeout);
    let wall = inv.answered_at - started;
    let answer = match &inv.answer {
        Answer::Response(_) => "ok".to_owned(),
        Answer::Error(body) => body.clone(),
    };
    let line = serde_json::json!({
        "function": function.name(),
        "wall_ms": wall.as_secs_f64() * 1000.0,
        "peak_rss_kb": deployment.runtime_api().peak_rss_kib(),
        "answer": answer,
        "summary": inv.sweep,
    });
    println!("{line}");
}

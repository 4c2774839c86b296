//! The peer's side: Cloud Custodian run by `bench/peer_run.py` (cold, one
//! fresh process per run) and `bench/peer_warm.py` (warm, one process) under
//! the peer's Python, with its policies from `bench/peer/`, against the same
//! emulator. It starts those scripts and reads their JSON lines only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use remediation_testing::emulator::{unique, PLACEHOLDER_KEY};
use remediation_testing::{Emulator, Function};

use crate::bench_dir;
use crate::figures::{Burst, Figures};
use crate::recorder::count_calls;
use crate::seed::{sample, seed};
use crate::{BURST, COLD_RUNS, CONCURRENCY, WARM_EVENTS};

/// The same burst through `CONCURRENCY` processes of the peer's warm runner,
/// each given its share of the findings.
pub(crate) async fn burst_theirs(emu: &Emulator, f: Function, python: &Path, vpc: &str) -> Burst {
    let mut seeded = Vec::new();
    let mut shares: Vec<(PathBuf, Vec<PathBuf>)> = (0..CONCURRENCY)
        .map(|_| (peer_dir(f), Vec::new()))
        .collect();
    for i in 0..BURST {
        let s = seed(emu, f, vpc).await;
        let (dir, files) = &mut shares[i % CONCURRENCY];
        let file = dir.join(format!("event-{i}.json"));
        std::fs::write(&file, f.sample(sample(f), &s.ids())).unwrap();
        files.push(file);
        seeded.push(s);
    }
    let start = std::time::Instant::now();
    let errors = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .map(|(dir, files)| {
                let handle = scope.spawn(move || peer(emu, python, dir, "peer_warm.py", files));
                (handle, files.len())
            })
            .collect();
        // A runner that fails (its JSON line missing) loses its whole share.
        handles
            .into_iter()
            .map(|(h, n)| if h.join().is_err() { n } else { 0 })
            .sum::<usize>()
    });
    let wall_s = start.elapsed().as_secs_f64();
    for (dir, _) in &shares {
        std::fs::remove_dir_all(dir).unwrap();
    }
    let mut verdicts = Vec::new();
    for s in &seeded {
        verdicts.push(s.verdict(emu).await);
    }
    Burst {
        wall_s,
        errors,
        others: Vec::new(),
        verdicts,
    }
}

/// Runs the peer's script in `dir` (holding `config.json`) and parses its JSON line.
fn peer(
    emu: &Emulator,
    python: &Path,
    dir: &Path,
    script: &str,
    args: &[PathBuf],
) -> serde_json::Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let out = Command::new(python)
        .arg(bench_dir().join(script))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", emu.url())
        .env("AWS_ACCESS_KEY_ID", PLACEHOLDER_KEY)
        .env("AWS_SECRET_ACCESS_KEY", PLACEHOLDER_KEY)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("C7N_DEBUG_EVENT", "no")
        .env("BENCH_EXEC_NS", now.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|_| {
        panic!(
            "{script} failed ({}): {stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn peer_dir(f: Function) -> PathBuf {
    let dir = std::env::temp_dir().join(unique("bench-peer"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        bench_dir().join("peer").join(format!("{}.json", f.name())),
        dir.join("config.json"),
    )
    .unwrap();
    dir
}

pub(crate) async fn theirs(emu: &Emulator, f: Function, python: &Path, vpc: &str) -> Figures {
    let mut out = Figures::default();
    for _ in 0..COLD_RUNS {
        let seeded = seed(emu, f, vpc).await;
        let dir = peer_dir(f);
        let event = dir.join("event.json");
        std::fs::write(&event, f.sample(sample(f), &seeded.ids())).unwrap();
        let mut v = serde_json::Value::Null;
        let calls = count_calls(emu, || {
            v = peer(
                emu,
                python,
                &dir,
                "peer_run.py",
                std::slice::from_ref(&event),
            );
        });
        if out.calls.is_empty() {
            out.calls = calls;
        }
        out.ready_ms.push(v["ready_ms"].as_f64().unwrap());
        out.done_ms.push(v["done_ms"].as_f64().unwrap());
        out.peak_rss_kib = out.peak_rss_kib.max(v["peak_rss_kb"].as_u64().unwrap());
        out.verdicts.push(seeded.verdict(emu).await);
        std::fs::remove_dir_all(dir).unwrap();
    }
    let dir = peer_dir(f);
    let mut seeded = Vec::new();
    let mut files = Vec::new();
    for i in 0..=WARM_EVENTS {
        let s = seed(emu, f, vpc).await;
        let file = dir.join(format!("event-{i}.json"));
        std::fs::write(&file, f.sample(sample(f), &s.ids())).unwrap();
        files.push(file);
        seeded.push(s);
    }
    let v = peer(emu, python, &dir, "peer_warm.py", &files);
    out.warm_ms = v["latencies_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    out.peak_rss_kib = out.peak_rss_kib.max(v["peak_rss_kb"].as_u64().unwrap());
    for s in &seeded {
        out.verdicts.push(s.verdict(emu).await);
    }
    std::fs::remove_dir_all(dir).unwrap();
    out
}

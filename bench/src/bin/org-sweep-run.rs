//! One organisation's sweep of one function, as `make bench-org-sweep` runs
//! ours: the function's release binary in the hub account (hub mode, the
//! members' role, their accounts and the regions), its scheduled event, then
//! the places it queued delivered back as SQS events by `CONCURRENCY`
//! instances of the binary at once, as the event source mapping's maximum
//! concurrency would, until the queue is empty.
//!
//!     org-sweep-run <function or resource type> <release dir> <hub account>
//!                   <member accounts, comma-separated> <other regions, comma-separated> <concurrency>
//!
//! Prints one JSON line: `queued`, `delivered`, `handed_back` (deliveries the
//! function handed back), `dead_letters`, `wall_ms` (the schedule to an empty
//! queue), `peak_rss_kb` (the largest instance's `VmHWM`), `api_calls` (the
//! function's own, from its sweep summaries), `outcomes` (records by outcome).
//! It seeds nothing and judges nothing: the benchmark's Python side does.
//! Talks to the loopback emulator only.

// A benchmark driver: a failed unwrap is a failed run, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use remediation_testing::queue::SweepQueue;
use remediation_testing::{Deployment, Emulator, Function};

/// How long a delivered place stays hidden from the other instances.
const VISIBILITY_SECONDS: u32 = 300;
/// The longest the whole sweep may take.
const LIMIT: Duration = Duration::from_secs(3600);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, name, release, hub, members, regions, concurrency] = args.as_slice() else {
        eprintln!(
            "usage: org-sweep-run <function or resource type> <release dir> <hub account> <members> <regions> <concurrency>"
        );
        std::process::exit(2);
    };
    let function = remediation_catalog::named(name)
        .or_else(|| remediation_catalog::fixing(name))
        .map(|f| Function::named(f.name))
        .unwrap_or_else(|| {
            eprintln!("org-sweep-run: unknown function {name}");
            std::process::exit(2);
        });
    let concurrency: usize = concurrency.parse().unwrap_or(5).max(1);
    let binary = PathBuf::from(release).join(function.name());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hub = runtime.block_on(async { Emulator::from_env().in_account(hub).await });
    let queue = runtime.block_on(SweepQueue::create(&hub, 3, VISIBILITY_SECONDS));
    let settings = [
        ("DRY_RUN", "false"),
        ("MEMBER_ROLE_NAME", "remediation-member"),
        ("TARGET_ACCOUNTS", members.as_str()),
        ("TARGET_REGIONS", regions.as_str()),
        ("SWEEP_QUEUE_URL", queue.url.as_str()),
    ];
    let started = Instant::now();
    let mut scheduler = Deployment::start_binary(&hub, function, &binary, &settings);
    let scheduled = scheduler.invoke(&function.sample("scheduled-sweep.json", &[]));
    let queued = scheduled
        .sweep
        .as_ref()
        .and_then(|s| s["queued"].as_u64())
        .unwrap_or(0);
    // The event source mapping: `concurrency` instances, each taking one place at a time.
    let drained: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (hub, queue, settings) = (&hub, &queue, &settings);
                let binary = &binary;
                scope.spawn(move || {
                    let mut instance = Deployment::start_binary(hub, function, binary, settings);
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    let delivered = runtime.block_on(queue.drain(hub, &mut instance, LIMIT));
                    (
                        delivered,
                        instance.runtime_api().peak_rss_kib().unwrap_or(0),
                    )
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let wall = started.elapsed();
    let dead_letters = runtime.block_on(queue.dead_letters(&hub)).len();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let (mut delivered, mut handed_back, mut api_calls, mut peak) = (0, 0, 0, 0);
    for (deliveries, rss) in &drained {
        peak = peak.max(*rss);
        for d in deliveries {
            delivered += 1;
            handed_back += usize::from(d.handed_back);
            if let Some(summary) = &d.invocation.sweep {
                api_calls += summary["api_calls"].as_u64().unwrap_or(0);
            }
            for r in &d.invocation.records {
                let outcome = r["outcome"].as_str().unwrap_or("?").to_owned();
                *outcomes.entry(outcome).or_default() += 1;
            }
        }
    }
    if let Some(summary) = &scheduled.sweep {
        api_calls += summary["api_calls"].as_u64().unwrap_or(0);
    }
    let line = serde_json::json!({
        "function": function.name(),
        "queued": queued,
        "delivered": delivered,
        "handed_back": handed_back,
        "dead_letters": dead_letters,
        "wall_ms": wall.as_secs_f64() * 1000.0,
        "peak_rss_kb": peak.max(scheduler.runtime_api().peak_rss_kib().unwrap_or(0)),
        "api_calls": api_calls,
        "outcomes": outcomes,
        "concurrency": concurrency,
    });
    println!("{line}");
}

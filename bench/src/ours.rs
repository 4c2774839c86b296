//! Our side: each function's release binary behind the loopback Runtime API
//! (`remediation_testing::Deployment`), cold, warm, and in a burst of
//! concurrent instances. It runs the binaries and the emulator only.

use std::path::Path;

use remediation_testing::{Deployment, Emulator, Function};

use crate::figures::{ms, Burst, Figures};
use crate::recorder::count_calls;
use crate::seed::{sample, seed};
use crate::{BURST, COLD_RUNS, CONCURRENCY, WARM_EVENTS};

pub(crate) async fn ours(emu: &Emulator, f: Function, release: &Path, vpc: &str) -> Figures {
    let binary = release.join(f.name());
    assert!(binary.is_file(), "{} is not built", binary.display());
    let mut out = Figures::default();
    for _ in 0..COLD_RUNS {
        let seeded = seed(emu, f, vpc).await;
        let event = f.sample(sample(f), &seeded.ids());
        let mut d = Deployment::start_binary(emu, f, &binary, &[]);
        let inv = d.invoke(&event);
        let api = d.runtime_api();
        out.ready_ms
            .push(ms(api.first_poll().unwrap() - api.started()));
        out.done_ms.push(ms(inv.answered_at - api.started()));
        out.peak_rss_kib = out.peak_rss_kib.max(api.peak_rss_kib().unwrap_or(0));
        out.verdicts.push(seeded.verdict(emu).await);
    }
    let mut seeded = Vec::new();
    for _ in 0..WARM_EVENTS {
        seeded.push(seed(emu, f, vpc).await);
    }
    let mut d = Deployment::start_binary(emu, f, &binary, &[]);
    d.invoke(&f.sample(sample(f), &seed(emu, f, vpc).await.ids()));
    let counted = seed(emu, f, vpc).await;
    let event = f.sample(sample(f), &counted.ids());
    out.calls = count_calls(emu, || {
        d.invoke(&event);
    });
    out.verdicts.push(counted.verdict(emu).await);
    for s in &seeded {
        let event = f.sample(sample(f), &s.ids());
        let before = std::time::Instant::now();
        let inv = d.invoke(&event);
        out.warm_ms.push(ms(inv.answered_at - before));
    }
    out.peak_rss_kib = out
        .peak_rss_kib
        .max(d.runtime_api().peak_rss_kib().unwrap_or(0));
    for s in &seeded {
        out.verdicts.push(s.verdict(emu).await);
    }
    let zip = release
        .join("../lambda")
        .join(f.name())
        .join("bootstrap.zip");
    out.package_bytes = std::fs::metadata(zip).ok().map(|m| m.len());
    out
}

/// `BURST` fresh findings delivered to `CONCURRENCY` instances of our binary
/// at once, each instance taking the next finding as soon as it is done.
pub(crate) async fn burst_ours(emu: &Emulator, f: Function, release: &Path, vpc: &str) -> Burst {
    let binary = release.join(f.name());
    let mut seeded = Vec::new();
    for _ in 0..BURST {
        seeded.push(seed(emu, f, vpc).await);
    }
    let events: Vec<String> = seeded
        .iter()
        .map(|s| f.sample(sample(f), &s.ids()))
        .collect();
    let mut instances: Vec<Deployment> = (0..CONCURRENCY)
        .map(|_| Deployment::start_binary(emu, f, &binary, &[]))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let errors = std::sync::atomic::AtomicUsize::new(0);
    let others = std::sync::Mutex::new(Vec::new());
    let start = std::time::Instant::now();
    std::thread::scope(|scope| {
        for d in instances.iter_mut() {
            let (events, next, errors, others) = (&events, &next, &errors, &others);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(event) = events.get(i) else { break };
                let inv = d.invoke(event);
                if !inv.succeeded() || inv.outcomes().iter().any(|o| o == "failed") {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if inv.outcomes() != ["remediated"] {
                    let what: Vec<String> = inv
                        .records
                        .iter()
                        .map(|r| format!("{}: {}", r["outcome"], r["reason"]))
                        .collect();
                    eprintln!("bench: finding {i}: {}", what.join("; "));
                    others.lock().unwrap().push(what.join("; "));
                }
            });
        }
    });
    let wall_s = start.elapsed().as_secs_f64();
    drop(instances);
    let mut verdicts = Vec::new();
    for s in &seeded {
        verdicts.push(s.verdict(emu).await);
    }
    Burst {
        wall_s,
        errors: errors.into_inner(),
        others: others.into_inner().unwrap(),
        verdicts,
    }
}

//! The markdown table of `docs/bench-results.md`: rows over repeated runs with
//! their ratios, and the verdict on the resources left. It formats figures
//! only; it measures nothing.

use std::fmt::Write as _;

use remediation_testing::Function;

use crate::figures::{median, percentile, Burst, Figures};
use crate::{BURST, COLD_RUNS, CONCURRENCY, WARM_EVENTS};

pub(crate) fn verdict_summary(v: &[String]) -> String {
    let fixed = v.iter().filter(|s| *s == "fixed").count();
    let mut wrong: Vec<&String> = v.iter().filter(|s| *s != "fixed").collect();
    wrong.dedup();
    if wrong.is_empty() {
        format!("{fixed}/{} fixed", v.len())
    } else {
        format!("{fixed}/{} fixed; {}", v.len(), wrong[0])
    }
}

pub(crate) fn row(table: &mut String, metric: &str, ours: f64, theirs: f64, unit: &str) {
    let ratio = if ours > 0.0 { theirs / ours } else { f64::NAN };
    writeln!(
        table,
        "| {metric} | {ours:.1} {unit} | {theirs:.1} {unit} | {ratio:.1}x |"
    )
    .unwrap();
}

/// A row over repeated runs: the median of each system's per-run figure, and
/// the ratio as the median of the per-run ratios with their range. The
/// machines are shared and noisy; a ratio from one run, where both systems saw
/// the same noise, means more than either absolute figure.
pub(crate) fn runs_row(
    table: &mut String,
    metric: &str,
    runs: &[(Figures, Figures)],
    figure: impl Fn(&Figures) -> f64,
    unit: &str,
) {
    let ours: Vec<f64> = runs.iter().map(|(a, _)| figure(a)).collect();
    let theirs: Vec<f64> = runs.iter().map(|(_, b)| figure(b)).collect();
    let ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| b / a).collect();
    let (lo, hi) = ratios
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(*r), hi.max(*r))
        });
    writeln!(
        table,
        "| {metric} | {:.1} {unit} | {:.1} {unit} | {:.1}x ({lo:.1} to {hi:.1}) |",
        median(&ours),
        median(&theirs),
        median(&ratios),
    )
    .unwrap();
}

/// What the table says first: how many runs, and how to read it.
pub(crate) fn preamble(table: &mut String, runs: usize) {
    writeln!(
        table,
        "{runs} runs; in each, {COLD_RUNS} cold starts per system and {WARM_EVENTS} warm events, each on a \
         freshly misconfigured resource. Times are medians within a run unless marked, then the median \
         over runs. Ratio: peer / ours, the median of the per-run ratios (range over runs in brackets). \
         The burst runs once.\n"
    )
    .unwrap();
}

/// The section of function `f`: the rows over its repeated runs `all`
/// (ours, the peer's), with the peer's package size if known.
pub(crate) fn runs_section(
    table: &mut String,
    f: Function,
    all: &[(Figures, Figures)],
    peer_package: Option<u64>,
) {
    writeln!(table, "### {}\n", f.name()).unwrap();
    writeln!(
        table,
        "| metric | ours | Cloud Custodian | ratio |\n|---|---|---|---|"
    )
    .unwrap();
    runs_row(
        table,
        "cold: exec to ready",
        all,
        |x| median(&x.ready_ms),
        "ms",
    );
    runs_row(
        table,
        "cold: exec to first remediation done",
        all,
        |x| median(&x.done_ms),
        "ms",
    );
    runs_row(
        table,
        "warm latency, median",
        all,
        |x| median(&x.warm_ms),
        "ms",
    );
    runs_row(
        table,
        "warm latency, p99",
        all,
        |x| percentile(&x.warm_ms, 99.0),
        "ms",
    );
    runs_row(
        table,
        "peak resident memory",
        all,
        |x| x.peak_rss_kib as f64 / 1024.0,
        "MiB",
    );
    let (a, b) = (&all[0].0, &all[0].1);
    match (a.package_bytes, peer_package) {
        (Some(x), Some(y)) => row(
            table,
            "package, zipped (ours: arm64 bootstrap)",
            x as f64 / 1e6,
            y as f64 / 1e6,
            "MB",
        ),
        _ => writeln!(table, "| package, zipped | run `make package` first | | |").unwrap(),
    }
    row(
        table,
        "AWS API calls per remediation (minimum: see below)",
        a.calls.len() as f64,
        b.calls.len() as f64,
        "",
    );
    writeln!(
        table,
        "| API calls made | {}{} | {}{} | |",
        a.calls.join(", "),
        if all.iter().all(|(x, _)| x.calls == a.calls) {
            ""
        } else {
            " (other runs differ)"
        },
        b.calls.join(", "),
        if all.iter().all(|(_, y)| y.calls == b.calls) {
            ""
        } else {
            " (other runs differ)"
        },
    )
    .unwrap();
    writeln!(
        table,
        "| resources right afterwards | {} | {} | |",
        verdict_summary(
            &all.iter()
                .flat_map(|(a, _)| a.verdicts.clone())
                .collect::<Vec<_>>()
        ),
        verdict_summary(
            &all.iter()
                .flat_map(|(_, b)| b.verdicts.clone())
                .collect::<Vec<_>>()
        )
    )
    .unwrap();
}

/// The burst rows of a section: ours (`x`) and the peer's (`y`), then ours
/// that did not end `remediated`.
pub(crate) fn burst_rows(table: &mut String, x: &Burst, y: &Burst) {
    row(
        table,
        &format!("burst: {BURST} findings, {CONCURRENCY} at once, wall time"),
        x.wall_s,
        y.wall_s,
        "s",
    );
    writeln!(
        table,
        "| burst: throughput | {:.0} findings/s | {:.0} findings/s | |",
        BURST as f64 / x.wall_s,
        BURST as f64 / y.wall_s
    )
    .unwrap();
    writeln!(
        table,
        "| burst: errors; resources right afterwards | {}; {} | {}; {} | |\n",
        x.errors,
        verdict_summary(&x.verdicts),
        y.errors,
        verdict_summary(&y.verdicts)
    )
    .unwrap();
    if !x.others.is_empty() {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for o in &x.others {
            *counts.entry(o.as_str()).or_default() += 1;
        }
        writeln!(table, "Ours, burst findings not ending `remediated`:\n").unwrap();
        for (what, n) in counts {
            writeln!(table, "- {n} x {what}").unwrap();
        }
        writeln!(table).unwrap();
    }
}

/// What the table says last: how calls are counted, and what the burst is.
pub(crate) fn footer(table: &mut String) {
    writeln!(
        table,
        "API calls are counted at the emulator (moto's request recorder) for one remediation: ours warm, \
         the peer cold. The minimum for a fix: S3 4 (read the settings, read the tags for the exemption, \
         write, read back to verify), security group 3 (read the rules, read the tags, revoke by rule id), \
         IAM role by name 3 (read the role: trust policy, path and tags; list attached policies; detach).\n\n\
         The burst: ours, {CONCURRENCY} instances of the binary, started cold, each taking the next finding \
         when done; the peer, {CONCURRENCY} processes of its warm runner, each given an equal share."
    )
    .unwrap();
}

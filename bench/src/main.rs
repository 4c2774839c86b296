//! `make bench`: our three functions side by side with the peer, Cloud
//! Custodian, against the same local emulator on loopback: cold start (exec
//! to ready, exec to the first remediation done), warm latency over fresh
//! misconfigured resources, peak resident memory, package size, and the state
//! each leaves. Prints one markdown table and writes it to `bench/results.md`.
//!
//! Ours: the release binary (`BENCH_RELEASE_DIR`) behind the loopback Runtime
//! API. The peer: `bench/peer_run.py` (cold, one fresh process per run) and
//! `bench/peer_warm.py` (warm, one process) under `BENCH_PEER_PYTHON`, with
//! Custodian's policies from `bench/peer/`. Both receive the same CloudTrail
//! sample, rewritten for a freshly seeded resource. It only talks to the
//! emulator that `scripts/with-emulator` started.

// A benchmark driver: a failed unwrap is a failed run, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use remediation_testing::emulator::{service_trust, unique, ADMIN_POLICY, PLACEHOLDER_KEY};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE, ROLE_ID};
use remediation_testing::{Deployment, Emulator, Function, GroupRule};

/// The functions measured.
const S3: Function = Function::named("s3-block-public-access");
const SG: Function = Function::named("sg-revoke-open-ssh");
const IAM: Function = Function::named("iam-detach-admin-policy");

/// Cold runs per system and function.
const COLD_RUNS: usize = 7;
/// Warm events per system and function (the issue asks for at least 200).
const WARM_EVENTS: usize = 200;
/// Findings in the burst, and how many are handled at once (Lambda's concurrency).
const BURST: usize = 1000;
const CONCURRENCY: usize = 8;

/// The outcome of a burst.
struct Burst {
    wall_s: f64,
    errors: usize,
    /// Ours: each invocation that did not end `remediated`, with its outcomes and reasons.
    others: Vec<String>,
    verdicts: Vec<String>,
}

/// The CloudTrail sample both systems receive, per function.
fn sample(f: Function) -> &'static str {
    match f {
        S3 => "cloudtrail-delete-public-access-block.json",
        SG => "cloudtrail-authorize-ingress.json",
        _ => "cloudtrail-attach-admin.json",
    }
}

/// A freshly misconfigured resource and how to read its state back.
enum Seeded {
    Bucket(String),
    Group(String),
    Role(String, String),
}

impl Seeded {
    fn ids(&self) -> Vec<(&'static str, &str)> {
        match self {
            Seeded::Bucket(b) => vec![(BUCKET, b)],
            Seeded::Group(g) => vec![(GROUP, g)],
            Seeded::Role(name, id) => vec![(ROLE, name), (ROLE_ID, id)],
        }
    }

    /// The state left, in words: "fixed", or what is still wrong.
    async fn verdict(&self, emu: &Emulator) -> String {
        match self {
            Seeded::Bucket(b) => match emu.flags(b).await {
                Some([true, true, true, true]) => "fixed".into(),
                other => format!("Block Public Access {other:?}"),
            },
            Seeded::Group(g) => {
                let open: Vec<String> = emu
                    .rules(g)
                    .await
                    .into_iter()
                    .filter(|r| !r.egress && r.from <= 22 && 22 <= r.to)
                    .filter_map(|r| match r.source {
                        remediation_testing::Source::Cidr(c) if c.ends_with("/0") => Some(c),
                        _ => None,
                    })
                    .collect();
                if open.is_empty() {
                    "fixed".into()
                } else {
                    format!("SSH still open to {}", open.join(", "))
                }
            }
            Seeded::Role(name, _) => {
                if emu.attached(name).await.contains(ADMIN_POLICY) {
                    "AdministratorAccess still attached".into()
                } else {
                    "fixed".into()
                }
            }
        }
    }
}

async fn seed(emu: &Emulator, f: Function, vpc: &str) -> Seeded {
    match f {
        S3 => {
            let b = unique("bench-bucket");
            emu.create_bucket(&b).await;
            Seeded::Bucket(b)
        }
        SG => {
            let g = emu.create_group(vpc, &unique("bench-sg")).await;
            emu.authorize(
                &g,
                &[
                    GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
                    GroupRule::cidr("tcp", 22, 22, "::/0"),
                    GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8"),
                ],
            )
            .await;
            Seeded::Group(g)
        }
        _ => {
            let r = emu
                .create_role(
                    &unique("bench-role"),
                    "/service-role/",
                    &service_trust(&["lambda.amazonaws.com"]),
                    &[ADMIN_POLICY],
                )
                .await;
            Seeded::Role(r.name, r.id)
        }
    }
}

/// One plain HTTP request to the emulator's own API (`/moto-api/...`); the body of the answer.
fn moto_api(emu: &Emulator, method: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let host = emu.url().trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    write!(
        conn,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The AWS operations the emulator received while `run` ran, by name, from
/// moto's request recorder. Nothing else may call the emulator meanwhile.
fn count_calls(emu: &Emulator, run: impl FnOnce()) -> Vec<String> {
    moto_api(emu, "POST", "/moto-api/recorder/reset-recording");
    moto_api(emu, "POST", "/moto-api/recorder/start-recording");
    run();
    moto_api(emu, "POST", "/moto-api/recorder/stop-recording");
    let log = moto_api(emu, "GET", "/moto-api/recorder/download-recording");
    moto_api(emu, "POST", "/moto-api/recorder/reset-recording");
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|entry| operation(&entry))
        .collect()
}

/// The operation a recorded request is: the JSON protocol's target header,
/// the query protocol's `Action`, or for S3's REST API the method and the
/// sub-resource (`GET ?publicAccessBlock`).
fn operation(entry: &serde_json::Value) -> String {
    let header = |name: &str| {
        entry["headers"]
            .as_object()
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    if let Some(target) = header("X-Amz-Target") {
        return target.rsplit('.').next().unwrap_or_default().to_owned();
    }
    let body = entry["body"].as_str().unwrap_or_default();
    let body = if entry["body_encoded"] == true {
        let bytes = aws_smithy_types::base64::decode(body).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        body.to_owned()
    };
    if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    let method = entry["method"].as_str().unwrap_or_default();
    let url = entry["url"].as_str().unwrap_or_default();
    let sub = url
        .split_once('?')
        .map(|(_, q)| q.split(['&', '=']).next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    format!("S3 {method} ?{sub}")
}

/// Figures of one system for one function.
#[derive(Default)]
struct Figures {
    ready_ms: Vec<f64>,
    done_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    peak_rss_kib: u64,
    package_bytes: Option<u64>,
    verdicts: Vec<String>,
    calls: Vec<String>,
}

fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (s.len() as f64 - 1.0)).round() as usize;
    s[rank.min(s.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn ours(emu: &Emulator, f: Function, release: &Path, vpc: &str) -> Figures {
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
async fn burst_ours(emu: &Emulator, f: Function, release: &Path, vpc: &str) -> Burst {
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

/// The same burst through `CONCURRENCY` processes of the peer's warm runner,
/// each given its share of the findings.
async fn burst_theirs(emu: &Emulator, f: Function, python: &Path, vpc: &str) -> Burst {
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

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
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

async fn theirs(emu: &Emulator, f: Function, python: &Path, vpc: &str) -> Figures {
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

fn verdict_summary(v: &[String]) -> String {
    let fixed = v.iter().filter(|s| *s == "fixed").count();
    let mut wrong: Vec<&String> = v.iter().filter(|s| *s != "fixed").collect();
    wrong.dedup();
    if wrong.is_empty() {
        format!("{fixed}/{} fixed", v.len())
    } else {
        format!("{fixed}/{} fixed; {}", v.len(), wrong[0])
    }
}

fn row(table: &mut String, metric: &str, ours: f64, theirs: f64, unit: &str) {
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
fn runs_row(
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let emu = Emulator::from_env();
    let release = PathBuf::from(std::env::var("BENCH_RELEASE_DIR").expect("BENCH_RELEASE_DIR"));
    let python = PathBuf::from(std::env::var("BENCH_PEER_PYTHON").expect("BENCH_PEER_PYTHON"));
    let peer_site = std::env::var("BENCH_PEER_SITE_PACKAGES").ok();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(3);
    let vpc = emu.create_vpc().await;
    let mut table = String::new();
    writeln!(
        table,
        "{runs} runs; in each, {COLD_RUNS} cold starts per system and {WARM_EVENTS} warm events, each on a \
         freshly misconfigured resource. Times are medians within a run unless marked, then the median \
         over runs. Ratio: peer / ours, the median of the per-run ratios (range over runs in brackets). \
         The burst runs once.\n"
    )
    .unwrap();
    let peer_package: Option<u64> = peer_site.and_then(|site| {
        let out = Command::new(&python)
            .arg(bench_dir().join("peer_package.py"))
            .arg(site)
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    });
    // BENCH_ONLY=<function name>: that function alone, printed, not written to the results file.
    let only = std::env::var("BENCH_ONLY").ok().filter(|o| !o.is_empty());
    for f in [S3, SG, IAM] {
        if only.as_deref().is_some_and(|o| o != f.name()) {
            continue;
        }
        let mut all = Vec::new();
        for run in 1..=runs {
            eprintln!("bench: {} run {run}/{runs} ...", f.name());
            let a = ours(&emu, f, &release, &vpc).await;
            let b = theirs(&emu, f, &python, &vpc).await;
            all.push((a, b));
        }
        writeln!(table, "### {}\n", f.name()).unwrap();
        writeln!(
            table,
            "| metric | ours | Cloud Custodian | ratio |\n|---|---|---|---|"
        )
        .unwrap();
        let t = &mut table;
        runs_row(
            t,
            "cold: exec to ready",
            &all,
            |x| median(&x.ready_ms),
            "ms",
        );
        runs_row(
            t,
            "cold: exec to first remediation done",
            &all,
            |x| median(&x.done_ms),
            "ms",
        );
        runs_row(
            t,
            "warm latency, median",
            &all,
            |x| median(&x.warm_ms),
            "ms",
        );
        runs_row(
            t,
            "warm latency, p99",
            &all,
            |x| percentile(&x.warm_ms, 99.0),
            "ms",
        );
        runs_row(
            t,
            "peak resident memory",
            &all,
            |x| x.peak_rss_kib as f64 / 1024.0,
            "MiB",
        );
        let (a, b) = (&all[0].0, &all[0].1);
        match (a.package_bytes, peer_package) {
            (Some(x), Some(y)) => row(
                &mut table,
                "package, zipped (ours: arm64 bootstrap)",
                x as f64 / 1e6,
                y as f64 / 1e6,
                "MB",
            ),
            _ => writeln!(table, "| package, zipped | run `make package` first | | |").unwrap(),
        }
        row(
            &mut table,
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
        let (x, y) = (
            burst_ours(&emu, f, &release, &vpc).await,
            burst_theirs(&emu, f, &python, &vpc).await,
        );
        row(
            &mut table,
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
    print!("{table}");
    if only.is_none() {
        std::fs::write(bench_dir().join("results.md"), &table).unwrap();
    }
}

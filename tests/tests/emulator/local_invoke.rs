//! Invoking by hand, as the README says, with the real tools, and Lambda's
//! default 3 s timeout: one sample per function fixes its resource.
//!
//! `cargo lambda watch` serves its own Runtime API: it sends a deadline of
//! `600000` (a duration, where Lambda sends an instant) and `function-arn` in
//! place of the invoked ARN. Here it runs with `--only-lambda-apis`, so that it
//! serves the binary that `cargo test --workspace` built instead of building
//! one with other features; `cargo lambda invoke` sends the sample.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use remediation_testing::emulator::{service_trust, unique, ADMIN_POLICY, PLACEHOLDER_KEY};
use remediation_testing::function::repo_root;
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE, ROLE_ID};
use remediation_testing::{Deployment, Emulator, Function, GroupRule};
use serde_json::Value;

const S3: Function = Function::named("s3-block-public-access");
const SG: Function = Function::named("sg-revoke-open-ssh");
const IAM: Function = Function::named("iam-detach-admin-policy");

/// The project's pinned cargo-lambda (`make venv` installs it).
fn cargo_lambda() -> PathBuf {
    let path = repo_root().join(".venv/bin/cargo-lambda");
    assert!(
        path.exists(),
        "{} is missing: run `make venv` (cargo-lambda is pinned in scripts/requirements.txt)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One seeded misconfiguration per function, and the sample that reports it.
struct Case {
    function: Function,
    event: String,
}

async fn cases(emu: &Emulator) -> (Vec<Case>, String, String, String) {
    let bucket = unique("watch-bucket");
    emu.create_bucket(&bucket).await;
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, &unique("watch-sg")).await;
    emu.authorize(&group, &[GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0")])
        .await;
    let role = emu
        .create_role(
            &unique("watch-role"),
            "/service-role/",
            &service_trust(&["lambda.amazonaws.com"]),
            &[ADMIN_POLICY],
        )
        .await;
    let cases = vec![
        Case {
            function: S3,
            event: S3.sample("config-bucket-noncompliant.json", &[(BUCKET, &bucket)]),
        },
        Case {
            function: SG,
            event: SG.sample(
                "config-restricted-ssh-noncompliant.json",
                &[(GROUP, &group)],
            ),
        },
        Case {
            function: IAM,
            event: IAM.sample(
                "config-blacklisted-role-id.json",
                &[(ROLE, &role.name), (ROLE_ID, &role.id)],
            ),
        },
    ];
    (cases, bucket, group, role.name)
}

async fn assert_fixed(emu: &Emulator, bucket: &str, group: &str, role: &str) {
    assert_eq!(emu.flags(bucket).await, Some([true; 4]), "bucket {bucket}");
    assert!(
        !emu.rules(group)
            .await
            .contains(&GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0")),
        "group {group}"
    );
    assert!(emu.attached(role).await.is_empty(), "role {role}");
}

#[tokio::test]
async fn cargo_lambda_watch_and_invoke_fix_one_sample_per_function() {
    let emu = Emulator::from_env();
    let (cases, bucket, group, role) = cases(&emu).await;
    let port = free_port().to_string();
    let _watch = Running(
        Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port])
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for case in &cases {
        let name = case.function.name();
        let data = std::env::temp_dir().join(format!("{}.json", unique("watch-event")));
        std::fs::write(&data, &case.event).unwrap();
        // The binary as cargo lambda would start it, on its Runtime API. The
        // emulator answers a poll with no event queued by `204 No Content`,
        // which ends a runtime: the binary is started again until the
        // invocation is answered. The watcher may still be starting: the
        // invocation is sent again until it is accepted.
        let function = || {
            Running(
                Command::new(case.function.binary())
                    .env_clear()
                    .env(
                        "AWS_LAMBDA_RUNTIME_API",
                        format!("http://127.0.0.1:{port}/.rt/{name}"),
                    )
                    .env("AWS_LAMBDA_FUNCTION_NAME", name)
                    .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                    .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                    .env("AWS_REGION", "us-east-1")
                    .env("AWS_ENDPOINT_URL", emu.url())
                    .env("AWS_ACCESS_KEY_ID", PLACEHOLDER_KEY)
                    .env("AWS_SECRET_ACCESS_KEY", PLACEHOLDER_KEY)
                    .env("DRY_RUN", "false")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        };
        let invoke = || {
            Running(
                Command::new(cargo_lambda())
                    .args(["lambda", "invoke", name, "--invoke-address", "127.0.0.1"])
                    .args(["--invoke-port", &port, "--data-file"])
                    .arg(&data)
                    .current_dir(repo_root())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            )
        };
        let started = Instant::now();
        let mut sent = invoke();
        let mut running = function();
        let answer = loop {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "{name}: no answer through cargo lambda"
            );
            if let Some(status) = sent.0.try_wait().unwrap() {
                let mut out = String::new();
                sent.0
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut out)
                    .unwrap();
                if status.success() {
                    break out;
                }
                std::thread::sleep(Duration::from_millis(300));
                sent = invoke();
            }
            if running.0.try_wait().unwrap().is_some() {
                running = function();
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = std::fs::remove_file(&data);
        let summary: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(summary["counts"]["remediated"], 1, "{name}: {answer}");
    }
    assert_fixed(&emu, &bucket, &group, &role).await;
}

#[tokio::test]
async fn with_lambdas_default_3_s_timeout_each_function_still_fixes_its_resource() {
    let emu = Emulator::from_env();
    let (cases, bucket, group, role) = cases(&emu).await;
    for case in &cases {
        let mut function = Deployment::start(&emu, case.function, &[("DRY_RUN", "false")]);
        let inv = function.invoke_with_timeout(&case.event, Duration::from_secs(3));
        assert_eq!(
            inv.outcomes(),
            ["remediated"],
            "{}: {:#?}",
            case.function.name(),
            inv.records
        );
    }
    assert_fixed(&emu, &bucket, &group, &role).await;
}

//! `remediation` against the emulator, through the real binaries; its plan
//! and apply, and the functions' propose mode, in [`propose`]. Undo's round
//! trips: seed a misconfiguration, let the function's binary fix it, undo
//! it from the records the binary printed, and compare the state with the
//! seeded one; then the same finding again is `skipped` (exempt). Also: an
//! undo refused because the resource changed since (and `--force`), an undo
//! from the function's raw log stream (other lines skipped and counted), and bad
//! input (a clear error per line, nothing changed, a non-zero exit).
//! Each test seeds its own resources; the account test works in an account
//! of its own.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;

use remediation_testing::emulator::{service_trust, unique, Flags, GroupRule};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE};
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::Value;

const EXEMPT: &str = "auto-remediation:exempt";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

#[path = "emulator/propose.rs"]
mod propose;

/// What one run of the `remediation` binary answered.
struct Undo {
    code: i32,
    records: Vec<Value>,
    said: String,
    /// Standard output whole (`plan`'s table).
    out: String,
}

/// Runs `remediation undo ARGS` with `input` on standard input.
fn undo(emu: &Emulator, args: &[&str], input: &str) -> Undo {
    remediation(emu, "undo", args, input)
}

/// Runs `remediation COMMAND ARGS` with `input` on standard input, with the
/// credentials of `emu` and AWS pointed at the emulator only.
fn remediation(emu: &Emulator, command: &str, args: &[&str], input: &str) -> Undo {
    let mut cmd = emu.command(std::path::Path::new(env!("CARGO_BIN_EXE_remediation")));
    cmd.arg(command)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Undo {
        code: out.status.code().unwrap_or(-1),
        records: match command {
            "plan" => Vec::new(),
            _ => stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        },
        said: String::from_utf8_lossy(&out.stderr).into_owned(),
        out: stdout,
    }
}

/// The records a function printed, one JSON line each, as the undo reads them.
fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Fixes `event` with the function's binary (enforcing) and returns its records.
fn remediate(emu: &Emulator, function: Function, event: &str, env: &[(&str, &str)]) -> Vec<Value> {
    let mut d = Deployment::start(emu, function, env);
    let inv = d.invoke(event);
    assert!(
        inv.records.iter().any(|r| r["outcome"] == "remediated"),
        "{:#?}",
        inv.records
    );
    inv.records
}

fn again(emu: &Emulator, function: Function, event: &str, env: &[(&str, &str)]) -> Value {
    let mut d = Deployment::start(emu, function, env);
    d.invoke(event).records.remove(0)
}

#[tokio::test]
async fn a_bucket_is_put_back_exactly_including_no_configuration_and_stays_so() {
    let emu = Emulator::from_env();
    let f = Function::named("s3-block-public-access");
    let partial = unique("undo-partial");
    let bare = unique("undo-bare");
    emu.create_bucket(&partial).await;
    emu.create_bucket(&bare).await;
    let seeded: Flags = [true, false, true, false];
    emu.put_flags(&partial, seeded).await;
    emu.tag_bucket(&partial, "team", "web").await;

    let mut records = Vec::new();
    for b in [&partial, &bare] {
        let event = f.sample("config-bucket-noncompliant.json", &[(BUCKET, b)]);
        records.extend(remediate(&emu, f, &event, &[]));
    }
    assert_eq!(emu.flags(&bare).await, Some([true; 4]));

    // Without --apply: says what it would restore, changes nothing (the
    // records from a file, as the README runs it).
    let file = std::env::temp_dir().join(format!("{}.jsonl", unique("undo-records")));
    std::fs::write(&file, lines(&records)).unwrap();
    let dry = undo(&emu, &[file.to_str().unwrap()], "");
    std::fs::remove_file(&file).unwrap();
    assert_eq!(dry.code, 0, "{}", dry.said);
    assert!(
        dry.records.iter().all(|r| r["outcome"] == "dry_run"),
        "{:#?}",
        dry.records
    );
    assert_eq!(
        emu.flags(&partial).await,
        Some([true; 4]),
        "a dry run changed a bucket"
    );

    let done = undo(&emu, &["--apply"], &lines(&records));
    assert_eq!(done.code, 0, "{}", done.said);
    assert_eq!(done.records.len(), 2);
    for r in &done.records {
        assert_eq!(r["outcome"], "remediated", "{r}");
        assert_eq!(r["action"], "undo_enable_bucket_public_access_block");
        assert_eq!(r["function"], "remediation-undo");
    }
    assert_eq!(emu.flags(&partial).await, Some(seeded));
    assert_eq!(emu.flags(&bare).await, None, "no configuration, as before");
    let tags: BTreeSet<(String, String)> = emu.bucket_tags(&partial).await.into_iter().collect();
    assert!(tags.contains(&("team".into(), "web".into())), "{tags:?}");
    assert!(tags.contains(&(EXEMPT.into(), "true".into())), "{tags:?}");
    assert!(tags
        .iter()
        .any(|(k, v)| k == "auto-remediation:exempt-reason" && v.contains("undone by")));

    // The same finding again leaves it alone.
    let event = f.sample("config-bucket-noncompliant.json", &[(BUCKET, &partial)]);
    let r = again(&emu, f, &event, &[]);
    assert_eq!(r["outcome"], "skipped", "{r}");
    assert_eq!(emu.flags(&partial).await, Some(seeded));
}

#[tokio::test]
async fn a_group_gets_its_revoked_rules_back_with_their_descriptions() {
    let emu = Emulator::from_env();
    let f = Function::named("sg-revoke-open-ssh");
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, &unique("undo-sg")).await;
    emu.authorize(
        &group,
        &[
            GroupRule::cidr("tcp", 0, 65535, "::/0"),
            GroupRule::cidr("tcp", 443, 443, "0.0.0.0/0"),
            GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8"),
        ],
    )
    .await;
    // The world-open rule with a description, to be put back with it.
    emu.ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("office bastion")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let seeded = emu.rules(&group).await;

    let event = f.sample(
        "config-restricted-ssh-noncompliant.json",
        &[(GROUP, &group)],
    );
    let records = remediate(&emu, f, &event, &[]);
    assert_ne!(emu.rules(&group).await, seeded);

    let done = undo(&emu, &["--apply"], &lines(&records));
    assert_eq!(done.code, 0, "{}\n{:#?}", done.said, done.records);
    assert_eq!(
        done.records[0]["outcome"], "remediated",
        "{:#?}",
        done.records
    );
    assert_eq!(
        emu.rules(&group).await,
        seeded,
        "the same rules, by content"
    );
    let described = emu
        .ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        described.security_group_rules().iter().any(
            |r| r.cidr_ipv4() == Some("0.0.0.0/0") && r.description() == Some("office bastion")
        ),
        "the description came back"
    );

    let r = again(&emu, f, &event, &[]);
    assert_eq!(r["outcome"], "skipped", "{r}");
    assert_eq!(emu.rules(&group).await, seeded);
}

#[tokio::test]
async fn a_group_gets_its_revoked_rdp_rules_back_over_tcp_and_udp() {
    let emu = Emulator::from_env();
    let f = Function::named("sg-revoke-open-ssh");
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, &unique("undo-rdp")).await;
    // GIVEN RDP open to the IPv4 world over TCP and UDP, beside SSH from a private range
    emu.authorize(
        &group,
        &[
            GroupRule::cidr("tcp", 3389, 3389, "0.0.0.0/0"),
            GroupRule::cidr("udp", 3389, 3389, "0.0.0.0/0"),
            GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8"),
        ],
    )
    .await;
    let seeded = emu.rules(&group).await;
    // WHEN EC2.53's finding closes RDP, and the undo is applied to its record
    let event = f.sample("securityhub-ec2-53-rdp-only.json", &[(GROUP, &group)]);
    let records = remediate(&emu, f, &event, &[]);
    assert_eq!(
        records[0]["changes"].as_array().unwrap().len(),
        2,
        "{records:#?}"
    );
    assert_ne!(emu.rules(&group).await, seeded);
    let done = undo(&emu, &["--apply"], &lines(&records));
    // THEN both RDP rules are back, exactly, and nothing else changed
    assert_eq!(done.code, 0, "{}\n{:#?}", done.said, done.records);
    assert_eq!(
        done.records[0]["outcome"], "remediated",
        "{:#?}",
        done.records
    );
    assert_eq!(
        emu.rules(&group).await,
        seeded,
        "the same rules, by content"
    );
}

#[tokio::test]
async fn a_role_gets_its_policy_back_and_is_left_alone_after() {
    let emu = Emulator::from_env();
    let f = Function::named("iam-detach-admin-policy");
    let role = emu
        .create_role(
            &unique("undo-role"),
            "/service-role/",
            &service_trust(&["lambda.amazonaws.com"]),
            &[ADMIN, READ_ONLY],
        )
        .await;
    let event = f.sample("cloudtrail-attach-admin.json", &[(ROLE, &role.name)]);
    let records = remediate(&emu, f, &event, &[]);
    assert_eq!(
        emu.attached(&role.name).await,
        BTreeSet::from([READ_ONLY.to_owned()])
    );

    let done = undo(&emu, &["--apply"], &lines(&records));
    assert_eq!(done.code, 0, "{}", done.said);
    assert_eq!(
        emu.attached(&role.name).await,
        BTreeSet::from([ADMIN.to_owned(), READ_ONLY.to_owned()])
    );
    let r = again(&emu, f, &event, &[]);
    assert_eq!(r["outcome"], "skipped", "{r}");
    assert!(emu.attached(&role.name).await.contains(ADMIN));
}

#[tokio::test]
async fn the_account_setting_is_put_back_and_the_exemption_is_explained() {
    let emu = Emulator::from_env().in_account("510000000004").await;
    let f = Function::named("s3-account-public-access-block");
    let seeded: Flags = [false, true, false, false];
    emu.put_account_flags(Some(seeded)).await;
    let event = f.sample(
        "config-account-noncompliant.json",
        &[("123456789012", "510000000004")],
    );
    let records = remediate(&emu, f, &event, &[("DRY_RUN", "false")]);
    assert_eq!(emu.account_flags().await, Some([true; 4]));

    let done = undo(&emu, &["--apply"], &lines(&records));
    assert_eq!(done.code, 0, "{}", done.said);
    assert_eq!(emu.account_flags().await, Some(seeded));
    assert!(done.said.contains("ExemptAccounts"), "{}", done.said);
}

#[tokio::test]
async fn an_undo_over_a_later_change_is_refused_unless_forced() {
    let emu = Emulator::from_env();
    let f = Function::named("s3-block-public-access");
    let b = unique("undo-diverged");
    emu.create_bucket(&b).await;
    emu.put_flags(&b, [false; 4]).await;
    let event = f.sample("config-bucket-noncompliant.json", &[(BUCKET, &b)]);
    let records = remediate(&emu, f, &event, &[]);
    // Someone changes the bucket again after the fix.
    let later: Flags = [true, true, false, true];
    emu.put_flags(&b, later).await;

    let refused = undo(&emu, &["--apply"], &lines(&records));
    assert_eq!(refused.code, 1, "{}", refused.said);
    assert_eq!(
        emu.flags(&b).await,
        Some(later),
        "a refused undo changed the bucket"
    );
    let r = &refused.records[0];
    assert_eq!(r["outcome"], "skipped", "{r}");
    assert_eq!(r["error_code"], "Undo.Diverged");
    assert!(
        refused.said.contains("changed since the remediation"),
        "{}",
        refused.said
    );
    assert!(
        refused.said.contains("BlockPublicPolicy=false"),
        "{}",
        refused.said
    );

    let forced = undo(
        &emu,
        &["--apply", "--force", "--no-exempt"],
        &lines(&records),
    );
    assert_eq!(forced.code, 0, "{}", forced.said);
    assert_eq!(emu.flags(&b).await, Some([false; 4]));
    assert!(
        emu.bucket_tags(&b).await.is_empty(),
        "--no-exempt tagged it"
    );
}

#[tokio::test]
async fn bad_lines_are_named_one_by_one_and_nothing_changes() {
    let emu = Emulator::from_env();
    let f = Function::named("s3-block-public-access");
    let b = unique("undo-bad-input");
    emu.create_bucket(&b).await;
    let event = f.sample("config-bucket-noncompliant.json", &[(BUCKET, &b)]);
    let records = remediate(&emu, f, &event, &[]);
    let good = records[0].to_string();
    let mut other_version = records[0].clone();
    other_version["schema_version"] = 2.into();
    let mut no_before = records[0].clone();
    no_before["before"] = Value::Null;
    let mut other_function = records[0].clone();
    other_function["function"] = "no-such-function".into();
    let input = [
        good[..good.len() / 2].to_owned(),
        other_version.to_string(),
        no_before.to_string(),
        other_function.to_string(),
    ]
    .join("\n");

    let out = undo(&emu, &["--apply"], &input);
    assert_eq!(out.code, 1, "{}", out.said);
    assert!(out.records.is_empty(), "{:#?}", out.records);
    for (line, words) in [
        (1, "not JSON"),
        (2, "schema_version 2"),
        (3, "before"),
        (4, "\"no-such-function\" is not a function this tool undoes"),
    ] {
        assert!(
            out.said
                .lines()
                .any(|l| l.starts_with(&format!("line {line}:")) && l.contains(words)),
            "line {line} should say {words:?}: {}",
            out.said
        );
    }
    assert_eq!(
        emu.flags(&b).await,
        Some([true; 4]),
        "bad input changed the bucket"
    );
}

#[tokio::test]
async fn a_record_of_another_account_is_undone_only_through_its_member_role() {
    let hub = Emulator::from_env();
    let member = hub.in_account("510000000006").await;
    let f = Function::named("s3-block-public-access");
    let b = unique("undo-member");
    member.create_bucket(&b).await;
    let event = f.sample(
        "config-bucket-noncompliant.json",
        &[(BUCKET, &b), ("123456789012", "510000000006")],
    );
    let records = remediate(&member, f, &event, &[]);
    assert_eq!(records[0]["account"], "510000000006");

    // With the hub's credentials and no member role: said, not done.
    let refused = undo(&hub, &["--apply"], &lines(&records));
    assert_eq!(refused.code, 1, "{}", refused.said);
    assert!(refused.said.contains("--member-role"), "{}", refused.said);
    assert_eq!(member.flags(&b).await, Some([true; 4]));

    let done = undo(
        &hub,
        &["--apply", "--member-role", "remediation-member"],
        &lines(&records),
    );
    assert_eq!(done.code, 0, "{}", done.said);
    assert_eq!(
        member.flags(&b).await,
        None,
        "restored in the member account"
    );
    assert!(member
        .bucket_tags(&b)
        .await
        .iter()
        .any(|(k, v)| k == EXEMPT && v == "true"));
}

#[tokio::test]
async fn an_undo_reads_the_functions_raw_log_stream_and_counts_what_is_not_a_record() {
    // GIVEN a bucket fixed by the function, and its log stream as Lambda keeps
    // it: START and REPORT lines, log lines, records and metric documents
    let emu = Emulator::from_env();
    let f = Function::named("s3-block-public-access");
    let bucket = unique("undo-stream");
    emu.create_bucket(&bucket).await;
    let mut d = Deployment::start(&emu, f, &[]);
    let fixed = d.invoke(&f.sample("config-bucket-noncompliant.json", &[(BUCKET, &bucket)]));
    assert_eq!(fixed.record()["outcome"], "remediated");
    let stream = format!(
        "START RequestId: {id} Version: $LATEST\n{}{}REPORT RequestId: {id}\tDuration: 9.1 ms\n",
        d.logs(),
        d.output(),
        id = fixed.request_id
    );
    // WHEN it is undone from that stream
    let done = undo(&emu, &["--apply"], &stream);
    // THEN the bucket is put back, the other lines skipped and counted, and the exit code is 0
    assert_eq!(done.code, 0, "{}", done.said);
    assert_eq!(done.records.len(), 1, "{:#?}", done.records);
    assert_eq!(emu.flags(&bucket).await, None);
    for counted in [
        "undo: 1 remediated",
        "line(s) skipped (",
        "a metric document",
        "a line that is not JSON",
    ] {
        assert!(
            done.said.contains(counted),
            "no {counted:?} in\n{}",
            done.said
        );
    }
}

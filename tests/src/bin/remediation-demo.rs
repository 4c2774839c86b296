//! `make demo`: the three misconfigurations created in the local emulator, each
//! function run on its sample event the way Lambda runs it, and, per resource,
//! the state before and after with the audit records.
//!
//! Seeds a bucket without Block Public Access (its Security Hub finding is
//! then resolved, a person is told through an SNS topic, and the metrics
//! line is shown); a security group in a
//! non-default VPC with SSH open to 0.0.0.0/0 and ::/0 next to rules that must
//! stay; a Lambda service role with AdministratorAccess next to a human role
//! with it. Then a person's plan, apply and undo of one more bucket, with
//! the `remediation` command. Exits non-zero if any resource does not end as it should, so the
//! demo cannot show a success that did not happen. It only talks to the
//! emulator that `scripts/with-emulator` started on loopback.

// A demo: a failed unwrap is a failed demo, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::process::ExitCode;

use remediation_testing::emulator::{
    service_trust, trust_with, unique, Flags, ADMIN_POLICY, READ_ONLY_POLICY,
};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE, ROLE_ID};
use remediation_testing::recorder::Recorder;
use remediation_testing::{Deployment, Emulator, Function, GroupRule, Invocation, Source};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let emu = Emulator::from_env();
    println!("Local AWS emulator: {}\n", emu.url());
    let mut ok = true;
    ok &= bucket(&emu).await;
    ok &= security_group(&emu).await;
    ok &= roles(&emu).await;
    ok &= plan_apply_undo(&emu).await;
    if ok {
        println!("All three misconfigurations fixed; everything else left as it was; a person's plan applied and undone.");
        ExitCode::SUCCESS
    } else {
        println!("FAILED: a resource did not end as expected (see above).");
        ExitCode::FAILURE
    }
}

fn heading(title: &str) {
    println!("{title}\n{}", "=".repeat(title.len()));
}

fn show_invocation(function: Function, file: &str, inv: &Invocation) {
    println!(
        "invoked {} with events/{}/{file}: {}",
        function.name(),
        function.name(),
        if inv.succeeded() { "success" } else { "error" }
    );
    println!("audit records:");
    for r in &inv.records {
        println!("{}", serde_json::to_string_pretty(r).unwrap());
    }
}

fn check(ok: bool, what: &str) -> bool {
    println!("{} {what}", if ok { "ok:" } else { "WRONG:" });
    ok
}

fn flags(f: Option<Flags>) -> String {
    match f {
        None => "no configuration (all four off)".into(),
        Some(f) => format!(
            "BlockPublicAcls={} IgnorePublicAcls={} BlockPublicPolicy={} RestrictPublicBuckets={}",
            f[0], f[1], f[2], f[3]
        ),
    }
}

async fn bucket(emu: &Emulator) -> bool {
    heading("1. S3 bucket without Block Public Access");
    let name = unique("demo-public-bucket");
    emu.create_bucket(&name).await;
    println!("bucket {name}");
    println!("before: {}", flags(emu.flags(&name).await));
    // A person is told through an SNS topic (read here through an SQS queue),
    // and the finding is resolved in Security Hub (a recording endpoint here:
    // the emulator lacks BatchUpdateFindings).
    let (topic, queue) = emu.topic_with_queue().await;
    let hub = Recorder::start(
        200,
        r#"{"ProcessedFindings": [], "UnprocessedFindings": []}"#,
    );
    let f = Function::named(remediation_catalog::BUCKET_PUBLIC_ACCESS.name);
    let file = "securityhub-s3-8-failed.json";
    let env = [
        ("NOTIFICATION_TOPIC_ARN", topic.as_str()),
        ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
    ];
    let inv = Deployment::start(emu, f, &env).invoke(&f.sample(file, &[(BUCKET, &name)]));
    let after = emu.flags(&name).await;
    println!("after:  {}", flags(after));
    show_invocation(f, file, &inv);
    println!("metric document (CloudWatch Embedded Metric Format):");
    for m in &inv.metrics {
        println!("{}", serde_json::to_string(m).unwrap());
    }
    println!("(TimeToRemediate runs from the finding's own UpdatedAt: the sample's is days old.)");
    let updates = hub.requests();
    println!("Security Hub finding update (BatchUpdateFindings):");
    for u in &updates {
        println!("{}", serde_json::to_string_pretty(&u.body).unwrap());
    }
    let delivered = emu.delivered(&queue).await;
    println!("notification sent to {topic}:");
    for n in &delivered {
        println!("subject: {}", n["Subject"].as_str().unwrap_or_default());
        println!("attributes: {}", n["MessageAttributes"]);
        let body = n["Message"].as_str().unwrap_or_default();
        let person: Vec<&str> = body
            .lines()
            .take_while(|l| !l.starts_with("The audit record"))
            .collect();
        println!("{}", person.join("\n"));
    }
    let ok = check(
        after == Some([true; 4]) && inv.outcomes() == ["remediated"],
        "all four settings on, outcome remediated",
    ) & check(
        updates.len() == 1 && updates[0].body["Workflow"]["Status"] == "RESOLVED",
        "the finding set RESOLVED, with a note naming the record",
    ) & check(
        delivered.len() == 1 && inv.record()["notification"]["status"] == "sent",
        "one notification sent",
    );
    println!();
    ok
}

fn show_rules(label: &str, rules: &BTreeSet<GroupRule>) {
    println!("{label}:");
    for r in rules {
        let source = match &r.source {
            Source::Cidr(c) => c.clone(),
            Source::Group(g) => format!("group {g}"),
            Source::PrefixList(p) => format!("prefix list {p}"),
        };
        let ports = if r.from == -1 {
            "all".into()
        } else {
            format!("{}-{}", r.from, r.to)
        };
        println!(
            "  {:7} {:4} port {:6} {}",
            if r.egress { "egress" } else { "ingress" },
            r.protocol,
            ports,
            source
        );
    }
}

async fn security_group(emu: &Emulator) -> bool {
    heading("2. Security group with SSH open to the internet (non-default VPC)");
    let vpc = emu.create_vpc().await;
    let peer = emu.create_group(&vpc, &unique("demo-bastion")).await;
    let group = emu.create_group(&vpc, &unique("demo-web")).await;
    let open = [
        GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 22, 22, "::/0"),
    ];
    let keep = [
        GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8"),
        GroupRule::cidr("tcp", 443, 443, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 443, 443, "::/0"),
        GroupRule::ingress("tcp", 22, 22, Source::Group(peer)),
    ];
    emu.authorize(&group, &[&open[..], &keep[..]].concat())
        .await;
    println!("security group {group} in {vpc}");
    let before = emu.rules(&group).await;
    show_rules("before", &before);
    let f = Function::named(remediation_catalog::WORLD_OPEN_ADMIN.name);
    let file = "config-restricted-ssh-noncompliant.json";
    let inv = Deployment::start(emu, f, &[]).invoke(&f.sample(file, &[(GROUP, &group)]));
    let after = emu.rules(&group).await;
    show_rules("after", &after);
    show_invocation(f, file, &inv);
    let expected: BTreeSet<GroupRule> = before.into_iter().filter(|r| !open.contains(r)).collect();
    let ok = check(
        after == expected && inv.outcomes() == ["remediated"],
        "only the two world-open SSH rules revoked, outcome remediated",
    );
    println!();
    ok
}

async fn roles(emu: &Emulator) -> bool {
    heading("3. AdministratorAccess on a Lambda service role, and on a human role");
    let policies = [ADMIN_POLICY, READ_ONLY_POLICY];
    let service = emu
        .create_role(
            &unique("demo-lambda-role"),
            "/service-role/",
            &service_trust(&["lambda.amazonaws.com"]),
            &policies,
        )
        .await;
    let human = emu
        .create_role(
            &unique("demo-admin-people"),
            "/",
            &trust_with(serde_json::json!({"AWS": "arn:aws:iam::123456789012:root"})),
            &policies,
        )
        .await;
    let f = Function::named(remediation_catalog::SERVICE_ROLE_ADMIN.name);
    let mut deployment = Deployment::start(emu, f, &[]);
    let mut ok = true;
    for (role, file, expected, outcome) in [
        (
            &service,
            "config-blacklisted-role-id.json",
            vec![READ_ONLY_POLICY],
            "remediated",
        ),
        (
            &human,
            "cloudtrail-attach-admin.json",
            policies.to_vec(),
            "skipped",
        ),
    ] {
        println!("role {} (role id {})", role.arn, role.id);
        println!("before: {:?}", emu.attached(&role.name).await);
        let inv = deployment.invoke(&f.sample(file, &[(ROLE, &role.name), (ROLE_ID, &role.id)]));
        let after = emu.attached(&role.name).await;
        println!("after:  {after:?}");
        show_invocation(f, file, &inv);
        let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        ok &= check(
            after == expected && inv.outcomes() == [outcome],
            &format!("policies as expected, outcome {outcome}"),
        );
        println!();
    }
    ok
}

/// Runs `remediation ARGS` against the emulator as `emu`'s account, with
/// `input` on standard input; shows what it said and returns its standard
/// output and whether it succeeded.
fn remediation(emu: &Emulator, args: &[&str], input: &str) -> (String, bool) {
    use std::io::Write;
    let exe = std::env::current_exe().unwrap();
    let command = exe.parent().unwrap().join("remediation");
    println!("$ remediation {}", args.join(" "));
    let mut cmd = emu.command(&command);
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{}", String::from_utf8_lossy(&out.stderr));
    (stdout, out.status.success())
}

/// A person's plan, apply and undo of one public bucket, in an account of
/// its own: the plan lists it and changes nothing, the apply fixes it, the
/// undo puts it back and tags it exempt.
async fn plan_apply_undo(emu: &Emulator) -> bool {
    heading("A person's plan, apply and undo: remediation plan / apply / undo");
    let emu = emu.in_account("240000000001").await;
    let name = unique("demo-planned-bucket");
    emu.create_bucket(&name).await;
    println!("bucket {name} in account {}", emu.account());
    println!("before: {}", flags(emu.flags(&name).await));
    let file = std::env::temp_dir().join(format!("{}.jsonl", unique("demo-plan")));
    let path = file.to_str().unwrap();
    let (table, planned) = remediation(
        &emu,
        &[
            "plan",
            "--function",
            "s3-block-public-access",
            "--output",
            path,
        ],
        "",
    );
    print!("{table}");
    let mut ok = check(
        planned && table.contains(&name),
        "the plan lists the bucket",
    );
    ok &= check(emu.flags(&name).await.is_none(), "the plan changed nothing");
    let (applied, done) = remediation(&emu, &["apply", "--apply", path], "");
    let _ = std::fs::remove_file(&file);
    println!("after apply: {}", flags(emu.flags(&name).await));
    ok &= check(
        done && emu.flags(&name).await == Some([true; 4]),
        "apply fixed it",
    );
    let (_, undone) = remediation(&emu, &["undo", "--apply", "-"], &applied);
    println!("after undo: {}", flags(emu.flags(&name).await));
    let tagged = emu
        .bucket_tags(&name)
        .await
        .iter()
        .any(|(k, v)| k == "auto-remediation:exempt" && v == "true");
    ok &= check(
        undone && emu.flags(&name).await.is_none() && tagged,
        "undo put it back as it was, tagged exempt",
    );
    println!();
    ok
}

//! Plan, approve, apply, through the real binaries: a function in propose
//! mode changes nothing on automatic triggers (a Config event, the sweep)
//! and records `proposed`, notes it on its Security Hub finding and sends a
//! person the line that applies it (which the test runs); a person's custom action applies; dry-run mode
//! applies nothing even then. `remediation apply` applies the proposed
//! records (from a raw log stream too), refuses one whose resource changed
//! since unless forced; `remediation plan` lists what is wrong in a seeded
//! account and nothing else, and applying its output leaves the account
//! compliant with the exempt and protected resources untouched.

use std::collections::BTreeSet;

use remediation_testing::emulator::{service_trust, unique, GroupRule};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE};
use remediation_testing::recorder::Recorder;
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::Value;

use super::{lines, remediation};

const BUCKETS: Function = Function::named("s3-block-public-access");
const GROUPS: Function = Function::named("sg-revoke-open-ssh");
const ROLES: Function = Function::named("iam-detach-admin-policy");
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// The records of `records` about `resource` (an ARN ending in it).
fn about<'a>(records: &'a [Value], resource: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| {
            r["resource"]
                .as_str()
                .is_some_and(|a| a.ends_with(resource))
        })
        .collect()
}

#[tokio::test]
async fn in_propose_mode_automatic_triggers_propose_and_a_person_applies() {
    let emu = Emulator::from_env();
    // GIVEN a public bucket, a group open on SSH and a service role with
    // AdministratorAccess, and their functions in propose mode
    let bucket = unique("propose-bucket");
    emu.create_bucket(&bucket).await;
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, &unique("propose-sg")).await;
    let open = GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0");
    emu.authorize(&group, std::slice::from_ref(&open)).await;
    let role = unique("propose-role");
    emu.create_role(
        &role,
        "/",
        &service_trust(&["lambda.amazonaws.com"]),
        &[ADMIN],
    )
    .await;
    let propose = [("REMEDIATION_MODE", "propose")];
    let cases = [
        (
            BUCKETS,
            "config-bucket-noncompliant.json",
            "securityhub-custom-action-fix-public-bucket.json",
            BUCKET,
            bucket.as_str(),
        ),
        (
            GROUPS,
            "config-restricted-ssh-noncompliant.json",
            "securityhub-custom-action-revoke-world-ssh.json",
            GROUP,
            group.as_str(),
        ),
        (
            ROLES,
            "cloudtrail-attach-admin.json",
            "securityhub-custom-action-detach-admin.json",
            ROLE,
            role.as_str(),
        ),
    ];
    for (f, automatic, person, id, seeded) in cases {
        let mut d = Deployment::start(&emu, f, &propose);
        // WHEN an automatic trigger and the sweep report it
        let inv = d.invoke(&f.sample(automatic, &[(id, seeded)]));
        // THEN each proposes the exact change, with what called for it, and changes nothing
        let r = inv.record();
        assert_eq!(r["outcome"], "proposed", "{}: {r}", f.name());
        assert!(!r["changes"].as_array().unwrap().is_empty(), "{r}");
        assert!(r["basis"].is_object(), "{r}");
        assert_eq!(r["dry_run"], false, "{r}");
        let swept = d.invoke(&f.sample("scheduled-sweep.json", &[]));
        let mine = about(&swept.records, seeded);
        assert_eq!(mine.len(), 1, "{}: {:#?}", f.name(), swept.records);
        assert_eq!(mine[0]["outcome"], "proposed");
        assert_eq!(mine[0]["basis"], "sweep");
        assert!(
            swept.records.iter().all(|r| r["outcome"] != "remediated"),
            "{:#?}",
            swept.records
        );
        // AND a person's custom action applies it
        let applied = d.invoke(&f.sample(person, &[(id, seeded)]));
        let r = applied.record();
        assert_eq!(r["outcome"], "remediated", "{}: {r}", f.name());
        assert!(
            r["trigger"]["source"]
                .as_str()
                .unwrap()
                .starts_with("person:"),
            "{r}"
        );
    }
    assert_eq!(emu.flags(&bucket).await, Some([true; 4]));
    assert!(!emu.rules(&group).await.contains(&open));
    assert!(!emu.attached(&role).await.contains(ADMIN));
}

#[tokio::test]
async fn in_dry_run_mode_nothing_applies_even_for_a_person() {
    let emu = Emulator::from_env();
    let bucket = unique("dry-mode-bucket");
    emu.create_bucket(&bucket).await;
    // REMEDIATION_MODE wins over DRY_RUN=false
    let mut d = Deployment::start(
        &emu,
        BUCKETS,
        &[("REMEDIATION_MODE", "dry-run"), ("DRY_RUN", "false")],
    );
    let event = BUCKETS.sample(
        "securityhub-custom-action-fix-public-bucket.json",
        &[(BUCKET, &bucket)],
    );
    let r = d.invoke(&event).record().clone();
    assert_eq!(r["outcome"], "dry_run", "{r}");
    assert_eq!(r["dry_run"], true, "{r}");
    assert_eq!(
        emu.flags(&bucket).await,
        None,
        "dry-run mode changed the bucket"
    );
}

#[tokio::test]
async fn remediation_apply_applies_proposals_and_refuses_one_whose_resource_changed_unless_forced()
{
    let emu = Emulator::from_env();
    // GIVEN proposals of a bucket fix and a group fix
    let bucket = unique("apply-bucket");
    emu.create_bucket(&bucket).await;
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, &unique("apply-sg")).await;
    let ssh = GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0");
    emu.authorize(&group, std::slice::from_ref(&ssh)).await;
    let propose = [("REMEDIATION_MODE", "propose")];
    let mut buckets = Deployment::start(&emu, BUCKETS, &propose);
    buckets.invoke(&BUCKETS.sample("config-bucket-noncompliant.json", &[(BUCKET, &bucket)]));
    let mut groups = Deployment::start(&emu, GROUPS, &propose);
    let proposed = groups
        .invoke(&GROUPS.sample(
            "config-restricted-ssh-noncompliant.json",
            &[(GROUP, &group)],
        ))
        .record()
        .clone();

    // WHEN the bucket function's raw log stream is applied, without --apply
    // (what Lambda's log stream holds: its START line, the function's log
    // lines, the records and their metric documents)
    let stream = format!(
        "START RequestId: 8f5a Version: $LATEST\n{}{}",
        buckets.logs(),
        buckets.output()
    );
    let dry = remediation(&emu, "apply", &[], &stream);
    // THEN it says what it would do, skips and counts the lines that are not records, changes nothing
    assert_eq!(dry.code, 0, "{}", dry.said);
    assert_eq!(dry.records.len(), 1, "{:#?}\n{}", dry.records, dry.said);
    assert_eq!(dry.records[0]["outcome"], "dry_run");
    assert!(
        dry.said.contains("line(s) skipped (") && dry.said.contains("a metric document"),
        "{}",
        dry.said
    );
    assert_eq!(emu.flags(&bucket).await, None);
    // AND with --apply it fixes the bucket, the person named as the trigger
    let done = remediation(&emu, "apply", &["--apply", "-"], &stream);
    assert_eq!(done.code, 0, "{}", done.said);
    let r = &done.records[0];
    assert_eq!(
        (r["outcome"].as_str(), r["function"].as_str()),
        (Some("remediated"), Some(BUCKETS.name())),
        "{r}"
    );
    assert!(
        r["trigger"]["source"]
            .as_str()
            .unwrap()
            .starts_with("person:arn:aws:"),
        "{r}"
    );
    assert_eq!(r["trigger"]["detail_type"], "Apply");
    assert_eq!(emu.flags(&bucket).await, Some([true; 4]));

    // WHEN the group changed between proposal and apply (SSH opened to IPv6 too)
    let ssh_v6 = GroupRule::cidr("tcp", 22, 22, "::/0");
    emu.authorize(&group, std::slice::from_ref(&ssh_v6)).await;
    let refused = remediation(
        &emu,
        "apply",
        &["--apply"],
        &lines(std::slice::from_ref(&proposed)),
    );
    // THEN it is refused with what differs, and nothing changes
    assert_eq!(refused.code, 1, "{}", refused.said);
    let r = &refused.records[0];
    assert_eq!(
        (r["outcome"].as_str(), r["error_code"].as_str()),
        (Some("skipped"), Some("Apply.Diverged")),
        "{r}"
    );
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("when proposed and is"),
        "{r}"
    );
    assert!(emu.rules(&group).await.contains(&ssh));
    // AND --force applies the change the live state calls for now
    let forced = remediation(&emu, "apply", &["--apply", "--force"], &lines(&[proposed]));
    assert_eq!(forced.code, 0, "{}", forced.said);
    assert_eq!(
        forced.records[0]["outcome"], "remediated",
        "{:#?}",
        forced.records
    );
    let left = emu.rules(&group).await;
    assert!(!left.contains(&ssh) && !left.contains(&ssh_v6), "{left:?}");
}

#[tokio::test]
async fn plan_lists_every_misconfigured_resource_and_applying_its_output_leaves_the_account_compliant(
) {
    // GIVEN an account of its own with buckets, groups and roles, some
    // misconfigured, some of those exempt or protected, the rest compliant
    let emu = Emulator::from_env().in_account("230000000001").await;
    const EXEMPT: &str = "auto-remediation:exempt";
    let mut wrong = BTreeSet::new();
    let mut exempt = BTreeSet::new();
    for i in 0..3 {
        let b = unique(&format!("plan-open-{i}"));
        emu.create_bucket(&b).await;
        wrong.insert(b);
    }
    let admin_bucket = wrong.iter().next().unwrap().clone();
    let kept = unique("plan-kept");
    emu.create_bucket(&kept).await;
    emu.tag_bucket(&kept, EXEMPT, "true").await;
    exempt.insert(kept.clone());
    let closed = unique("plan-closed");
    emu.create_bucket(&closed).await;
    emu.put_flags(&closed, [true; 4]).await;
    let vpc = emu.create_vpc().await;
    let open = GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0");
    let open_group = emu.create_group(&vpc, &unique("plan-open-sg")).await;
    emu.authorize(&open_group, std::slice::from_ref(&open))
        .await;
    wrong.insert(open_group.clone());
    let kept_group = emu.create_group(&vpc, &unique("plan-kept-sg")).await;
    emu.authorize(&kept_group, std::slice::from_ref(&open))
        .await;
    emu.tag_group(&kept_group, EXEMPT, "true").await;
    exempt.insert(kept_group.clone());
    let trust = service_trust(&["lambda.amazonaws.com"]);
    let admin_role = unique("plan-admin-role");
    emu.create_role(&admin_role, "/", &trust, &[ADMIN]).await;
    wrong.insert(admin_role.clone());
    let kept_role = unique("plan-kept-role");
    emu.create_role(&kept_role, "/", &trust, &[ADMIN]).await;
    emu.tag_role(&kept_role, EXEMPT, "true").await;
    exempt.insert(kept_role.clone());
    // A CDK deployment role, protected by default: never proposed.
    let cdk_role = unique("cdk-plan-cfn-exec-role");
    emu.create_role(
        &cdk_role,
        "/",
        &service_trust(&["cloudformation.amazonaws.com"]),
        &[ADMIN],
    )
    .await;
    exempt.insert(cdk_role.clone());
    // The account's own Block Public Access is off: the account function proposes it.
    wrong.insert(emu.account().to_owned());

    // WHEN a person plans, writing the proposals to a file
    let file = std::env::temp_dir().join(format!("{}.jsonl", unique("plan")));
    let path = file.to_str().unwrap();
    let plan = remediation(&emu, "plan", &["--output", path], "");
    assert_eq!(plan.code, 0, "{}\n{}", plan.out, plan.said);
    let proposals: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // THEN it proposes exactly the misconfigured resources, and changed nothing
    let named = |r: &Value| {
        let arn = r["resource"].as_str().unwrap();
        arn.rsplit([':', '/']).next().unwrap().to_owned()
    };
    let proposed: BTreeSet<String> = proposals.iter().map(named).collect();
    assert_eq!(proposed, wrong, "{}", plan.out);
    assert!(proposals.iter().all(|p| p["outcome"] == "proposed"));
    for e in &exempt {
        assert!(
            plan.out
                .lines()
                .any(|l| l.contains(e.as_str()) && l.contains("skipped")),
            "{e} not in\n{}",
            plan.out
        );
    }
    assert!(!plan.out.contains(&closed), "{}", plan.out);
    assert_eq!(emu.flags(&admin_bucket).await, None);
    assert!(plan.said.contains("place(s) surveyed"), "{}", plan.said);

    // WHEN the person applies the file
    let applied = remediation(&emu, "apply", &["--apply", path], "");
    std::fs::remove_file(&file).unwrap();
    // THEN each is fixed, and the exempt ones are as they were
    assert_eq!(applied.code, 0, "{}", applied.said);
    assert_eq!(applied.records.len(), wrong.len());
    assert!(
        applied.records.iter().all(|r| r["outcome"] == "remediated"),
        "{:#?}",
        applied.records
    );
    let again = remediation(&emu, "plan", &[], "");
    assert_eq!(again.code, 0, "{}", again.said);
    assert!(
        !again.out.lines().any(|l| l.contains(" proposed ")),
        "still wrong:\n{}",
        again.out
    );
    assert_eq!(emu.flags(&kept).await, None);
    assert!(emu.rules(&kept_group).await.contains(&open));
    assert!(emu.attached(&kept_role).await.contains(ADMIN));
    assert!(emu.attached(&cdk_role).await.contains(ADMIN));
}

#[tokio::test]
async fn a_proposal_is_noted_on_its_finding_and_sent_with_a_line_that_applies_it() {
    // GIVEN a public bucket's S3.8 finding, and the bucket function in propose
    // mode with a topic, Security Hub (a recording endpoint) and its stack's name
    let emu = Emulator::from_env();
    let (topic, queue) = emu.topic_with_queue().await;
    let hub = Recorder::start(
        200,
        r#"{"ProcessedFindings": [], "UnprocessedFindings": []}"#,
    );
    let bucket = unique("noted-bucket");
    emu.create_bucket(&bucket).await;
    let mut d = Deployment::start(
        &emu,
        BUCKETS,
        &[
            ("REMEDIATION_MODE", "propose"),
            ("NOTIFICATION_TOPIC_ARN", &topic),
            ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
            ("STACK_NAME", "remediation"),
        ],
    );
    // WHEN the finding arrives
    let event = BUCKETS.sample("securityhub-s3-8-failed.json", &[(BUCKET, &bucket)]);
    let r = d.invoke(&event).record().clone();
    assert_eq!(r["outcome"], "proposed", "{r}");
    assert_eq!(
        (&r["finding_update"]["status"], &r["notification"]["status"]),
        (&Value::from("sent"), &Value::from("sent")),
        "{r}"
    );
    // THEN the finding is left for a person, with what would change and how to approve it
    let sent = hub.requests();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].body["Workflow"]["Status"], "NOTIFIED");
    let note = sent[0].body["Note"]["Text"].as_str().unwrap();
    assert!(
        note.contains("proposes to fix") && note.contains("custom action"),
        "{note}"
    );
    // AND the person is sent the custom action, the saved query and a line to paste
    let delivered = emu.delivered(&queue).await;
    assert_eq!(delivered.len(), 1, "{delivered:#?}");
    assert!(
        delivered[0]["Subject"]
            .as_str()
            .unwrap()
            .starts_with("Approve? "),
        "{}",
        delivered[0]
    );
    let body = delivered[0]["Message"].as_str().unwrap();
    for part in [
        "custom action (Actions menu)",
        "saved query \"remediation/proposals awaiting approval\"",
        "AWS_REGION=us-east-1 remediation apply --apply - <<'PROPOSAL'\n",
    ] {
        assert!(body.contains(part), "no {part:?} in\n{body}");
    }
    // WHEN the person runs the pasted line (its here-document is the input)
    let pasted = body.split("<<'PROPOSAL'\n").nth(1).unwrap();
    let input = pasted.split("\nPROPOSAL\n").next().unwrap();
    assert_eq!(
        emu.flags(&bucket).await,
        None,
        "proposing changed the bucket"
    );
    let applied = remediation(&emu, "apply", &["--apply", "-"], input);
    // THEN the bucket is fixed
    assert_eq!(applied.code, 0, "{}", applied.said);
    assert_eq!(
        applied.records[0]["outcome"], "remediated",
        "{:#?}",
        applied.records
    );
    assert_eq!(emu.flags(&bucket).await, Some([true; 4]));
}

//! The IAM function under injected faults: the real adapter, over SDK clients
//! answered by aws-smithy-mocks, driven by the real `handle()` with the
//! CloudTrail `AttachRolePolicy` sample, for a Lambda service role with
//! AdministratorAccess and ReadOnlyAccess attached (ReadOnlyAccess must stay).
//!
//! Each of the three calls of the main path (`GetRole`,
//! `ListAttachedRolePolicies`, `DetachRolePolicy`; the sample names the role by
//! name, so AWS Config is never asked) gets each fault of [`ROWS`] while every
//! other call answers normally: throttling (`Throttling`), HTTP 500, HTTP 503
//! and a timeout, each transient (the retry succeeds: the run must end exactly
//! as without a fault) and persistent (every attempt fails: one `failed` record
//! with the fault's code, and no later call); `AccessDenied` (not retried); and
//! `NoSuchEntity`, the "not found" code the adapter normalises, on every call.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aws_sdk_iam::config::retry::RetryPartition;
use aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyOutput;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::types::{AttachedPolicy, Role, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use iam_detach_admin_policy::aws::IamAdapter;
use iam_detach_admin_policy::DetachAdminPolicy;
use remediation_testing::faults::{
    check_failed, check_gone, check_row, every_case_passes, retry_config, script, timeout_config,
    unique_retry_partition, Fault, HangingHttpClient, Protocol, Run, Service, Variant,
};
use remediation_testing::handler::enforcing;
use serde_json::{json, Value};

/// IAM's codes on the wire.
const IAM: Service = Service {
    protocol: Protocol::AwsQuery,
    throttling: ("Throttling", 400),
    access_denied: ("AccessDenied", 403),
    not_found_status: 404,
};

/// The role the CloudTrail sample names.
const ROLE: &str = "example-lambda-role";
/// Its real ARN, with its path.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/service-role/example-lambda-role";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The calls of the main path, in the order the function makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    /// Path, trust policy and tags.
    GetRole,
    /// The attached managed policies.
    ListAttachedRolePolicies,
    /// The write: AdministratorAccess only.
    DetachRolePolicy,
}

const CALLS: [Call; 3] = [
    Call::GetRole,
    Call::ListAttachedRolePolicies,
    Call::DetachRolePolicy,
];

/// Every fault each call gets: the retryable ones, access denied, and the
/// "not found" code the adapter normalises (it does so on every call).
const FAULTS: [Fault; 10] = [
    Fault::Throttling(Variant::Transient),
    Fault::Throttling(Variant::Persistent),
    Fault::InternalError(Variant::Transient),
    Fault::InternalError(Variant::Persistent),
    Fault::ServiceUnavailable(Variant::Transient),
    Fault::ServiceUnavailable(Variant::Persistent),
    Fault::Timeout(Variant::Transient),
    Fault::Timeout(Variant::Persistent),
    Fault::AccessDenied,
    Fault::NotFound("NoSuchEntity"),
];

/// How a case must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Exactly as without a fault: remediated, one detach of AdministratorAccess.
    Baseline,
    /// `failed` with the fault's own code; no call after the faulted one.
    Failed,
    /// `skipped`, the role no longer exists; no call after the faulted one.
    Skipped,
    /// The detach says AdministratorAccess is not attached: `already_compliant`.
    AlreadyDetached,
}

/// One case of the matrix.
#[derive(Debug, Clone, Copy)]
struct Row {
    call: Call,
    fault: Fault,
    expect: Expect,
}

const fn row(call: Call, fault: Fault, expect: Expect) -> Row {
    Row {
        call,
        fault,
        expect,
    }
}

// Short names for the table below.
use Call::{DetachRolePolicy, GetRole, ListAttachedRolePolicies};
use Expect::{AlreadyDetached, Baseline, Failed, Skipped};
use Fault::{AccessDenied, InternalError, NotFound, ServiceUnavailable, Throttling, Timeout};
use Variant::{Persistent, Transient};

/// The matrix: every call of [`CALLS`] with every fault of [`FAULTS`].
const ROWS: &[Row] = &[
    row(GetRole, Throttling(Transient), Baseline),
    row(GetRole, Throttling(Persistent), Failed),
    row(GetRole, InternalError(Transient), Baseline),
    row(GetRole, InternalError(Persistent), Failed),
    row(GetRole, ServiceUnavailable(Transient), Baseline),
    row(GetRole, ServiceUnavailable(Persistent), Failed),
    row(GetRole, Timeout(Transient), Baseline),
    row(GetRole, Timeout(Persistent), Failed),
    row(GetRole, AccessDenied, Failed),
    row(GetRole, NotFound("NoSuchEntity"), Skipped),
    row(ListAttachedRolePolicies, Throttling(Transient), Baseline),
    row(ListAttachedRolePolicies, Throttling(Persistent), Failed),
    row(ListAttachedRolePolicies, InternalError(Transient), Baseline),
    row(ListAttachedRolePolicies, InternalError(Persistent), Failed),
    row(
        ListAttachedRolePolicies,
        ServiceUnavailable(Transient),
        Baseline,
    ),
    row(
        ListAttachedRolePolicies,
        ServiceUnavailable(Persistent),
        Failed,
    ),
    row(ListAttachedRolePolicies, Timeout(Transient), Baseline),
    row(ListAttachedRolePolicies, Timeout(Persistent), Failed),
    row(ListAttachedRolePolicies, AccessDenied, Failed),
    row(ListAttachedRolePolicies, NotFound("NoSuchEntity"), Skipped),
    row(DetachRolePolicy, Throttling(Transient), Baseline),
    row(DetachRolePolicy, Throttling(Persistent), Failed),
    row(DetachRolePolicy, InternalError(Transient), Baseline),
    row(DetachRolePolicy, InternalError(Persistent), Failed),
    row(DetachRolePolicy, ServiceUnavailable(Transient), Baseline),
    row(DetachRolePolicy, ServiceUnavailable(Persistent), Failed),
    row(DetachRolePolicy, Timeout(Transient), Baseline),
    row(DetachRolePolicy, Timeout(Persistent), Failed),
    row(DetachRolePolicy, AccessDenied, Failed),
    row(DetachRolePolicy, NotFound("NoSuchEntity"), AlreadyDetached),
];

fn attached(arn: &str) -> AttachedPolicy {
    AttachedPolicy::builder()
        .policy_arn(arn)
        .policy_name(arn.rsplit('/').next().unwrap())
        .build()
}

/// The rule for `call`: its normal answer, or `fault` when it is the faulted call.
fn rule(call: Call, fault: Option<Fault>) -> Rule {
    match call {
        Call::GetRole => script(
            mock!(aws_sdk_iam::Client::get_role).match_requests(|r| r.role_name() == Some(ROLE)),
            fault,
            &IAM,
            || {
                let role = Role::builder()
                    .path("/service-role/")
                    .role_name(ROLE)
                    .role_id("AROAEXAMPLEROLEID0001")
                    .arn(ROLE_ARN)
                    .create_date(DateTime::from_secs(0))
                    // IAM returns trust policies URL-encoded.
                    .assume_role_policy_document(
                        percent_encoding::utf8_percent_encode(
                            LAMBDA_TRUST,
                            percent_encoding::NON_ALPHANUMERIC,
                        )
                        .to_string(),
                    )
                    .tags(Tag::builder().key("team").value("web").build().unwrap())
                    .build()
                    .unwrap();
                GetRoleOutput::builder().role(role).build()
            },
        ),
        Call::ListAttachedRolePolicies => script(
            mock!(aws_sdk_iam::Client::list_attached_role_policies)
                .match_requests(|r| r.role_name() == Some(ROLE)),
            fault,
            &IAM,
            || {
                ListAttachedRolePoliciesOutput::builder()
                    .attached_policies(attached(READ_ONLY))
                    .attached_policies(attached(ADMIN))
                    .is_truncated(false)
                    .build()
            },
        ),
        Call::DetachRolePolicy => script(
            // The one write: AdministratorAccess, never ReadOnlyAccess. Any other
            // request panics in the mock, which the driver records as `Handler.Panic`.
            mock!(aws_sdk_iam::Client::detach_role_policy)
                .match_requests(|r| r.role_name() == Some(ROLE) && r.policy_arn() == Some(ADMIN)),
            fault,
            &IAM,
            || DetachRolePolicyOutput::builder().build(),
        ),
    }
}

/// What one run did.
/// Runs the CloudTrail sample through `handle()` with `fault` injected on one call.
async fn run(fault: Option<(Call, Fault)>) -> Run {
    let rules: Vec<Rule> = CALLS
        .iter()
        .map(|&call| rule(call, fault.filter(|(c, _)| *c == call).map(|(_, f)| f)))
        .collect();
    let partition = unique_retry_partition();
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::Sequential,
        &rules.iter().collect::<Vec<_>>(),
        |c| c
            .http_client(HangingHttpClient::default())
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .retry_partition(RetryPartition::new(partition.clone()))
    );
    // The sample names the role by name: a call to AWS Config would find no
    // rule and panic, which the driver records as `Handler.Panic`.
    let no_rules: &[&Rule] = &[];
    let config_client = mock_client!(aws_sdk_config, RuleMode::Sequential, no_rules);
    let (result, records) = remediation_testing::handler::run(
        &DetachAdminPolicy::new(IamAdapter::new(iam, config_client)),
        &enforcing(),
        sample(),
    )
    .await
    .into_parts();
    Run {
        result,
        records,
        calls: rules.iter().map(Rule::num_calls).collect(),
    }
}

fn sample() -> Value {
    remediation_testing::samples::load("iam-detach-admin-policy", "cloudtrail-attach-admin.json")
}

/// Runs one row and checks it ends as the row says.
async fn check(row: &Row, baseline: &Run) {
    let case = format!("{:?} × {:?}", row.call, row.fault);
    let run = run(Some((row.call, row.fault))).await;
    let at = row.call as usize;
    let Some(r) = check_row(
        &case,
        &run,
        baseline,
        at,
        row.fault,
        row.expect == Expect::Baseline,
    ) else {
        return;
    };
    let r = &r;
    let base = &baseline.records[0];
    assert!(
        run.calls[at + 1..].iter().all(|&n| n == 0),
        "{case}: no call after the faulted one: {:?}",
        run.calls
    );
    assert_eq!(r["changes"], json!([]), "{case}: nothing was detached: {r}");
    // The role's real ARN is known once it was read; before that, the event's.
    let resource = if row.call > Call::GetRole {
        ROLE_ARN.to_owned()
    } else {
        format!("arn:aws:iam::123456789012:role/{ROLE}")
    };
    assert_eq!(r["resource"], resource, "{case}: resource");
    // The state before is known once the policies were listed.
    let before = if row.call > Call::ListAttachedRolePolicies {
        base["before"].clone()
    } else {
        Value::Null
    };
    assert_eq!(r["before"], before, "{case}: before");
    match row.expect {
        Expect::Baseline => unreachable!(),
        Expect::Failed => {
            let code = row.fault.code(&IAM);
            check_failed(&case, &run, r, row.fault, code);
            assert_eq!(r["after"], Value::Null, "{case}: after: {r}");
        }
        Expect::Skipped => {
            check_gone(&case, &run, r);
        }
        Expect::AlreadyDetached => {
            assert!(run.result.is_ok(), "{case}: {:?}", run.result.err());
            assert_eq!(r["outcome"], "already_compliant", "{case}: {r}");
            assert_eq!(r["error_code"], Value::Null, "{case}: {r}");
            assert_eq!(
                r["after"], base["after"],
                "{case}: ReadOnlyAccess stays: {r}"
            );
            assert!(
                r["reason"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("{ADMIN} was already detached")),
                "{case}: {r}"
            );
        }
    }
}

/// The run without a fault, checked exactly: what every `Baseline` row must match.
async fn baseline() -> Run {
    let run = run(None).await;
    assert!(
        run.result.is_ok(),
        "baseline: {:?}",
        run.result.as_ref().err()
    );
    assert_eq!(run.calls, [1, 1, 1], "baseline: each call once");
    assert_eq!(run.records.len(), 1, "baseline: {:?}", run.records);
    let r = &run.records[0];
    assert_eq!(r["outcome"], "remediated", "baseline: {r}");
    assert_eq!(r["resource"], ROLE_ARN, "baseline: {r}");
    assert_eq!(r["error_code"], Value::Null);
    assert_eq!(
        r["before"],
        json!({"type": "role_policies", "path": "/service-role/", "attached_policy_arns": [READ_ONLY, ADMIN]}),
        "baseline: before"
    );
    assert_eq!(
        r["after"],
        json!({"type": "role_policies", "path": "/service-role/", "attached_policy_arns": [READ_ONLY]}),
        "baseline: after"
    );
    assert_eq!(
        r["changes"],
        json!([{"type": "detach_role_policy", "policy_arn": ADMIN}]),
        "baseline: changes"
    );
    run
}

/// Checks every row of `call`.
async fn check_call(call: Call) {
    let baseline = Arc::new(baseline().await);
    let cases = ROWS
        .iter()
        .filter(|r| r.call == call)
        .map(|row| {
            let baseline = baseline.clone();
            let name = format!("{:?} × {:?}", row.call, row.fault);
            (name, async move { check(row, &baseline).await })
        })
        .collect();
    every_case_passes(cases).await;
}

#[tokio::test]
async fn without_a_fault_only_administrator_access_is_detached_once() {
    baseline().await;
}

#[tokio::test]
async fn faults_on_get_role() {
    check_call(Call::GetRole).await;
}

#[tokio::test]
async fn faults_on_list_attached_role_policies() {
    check_call(Call::ListAttachedRolePolicies).await;
}

#[tokio::test]
async fn faults_on_detach_role_policy() {
    check_call(Call::DetachRolePolicy).await;
}

#[test]
fn the_matrix_covers_every_call_and_fault() {
    assert_eq!(ROWS.len(), CALLS.len() * FAULTS.len(), "rows: {ROWS:?}");
    for call in CALLS {
        for fault in FAULTS {
            let n = ROWS
                .iter()
                .filter(|r| r.call == call && r.fault == fault)
                .count();
            assert_eq!(n, 1, "{call:?} × {fault:?}: rows in the matrix");
        }
    }
}

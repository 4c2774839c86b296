//! The security-group function under injected faults: the real adapter, over an
//! SDK client answered by aws-smithy-mocks, driven by the real `handle()` with
//! the CloudTrail `AuthorizeSecurityGroupIngress` sample, for a group with TCP 22
//! open to 0.0.0.0/0 next to TCP 22 from 10.0.0.0/8, which must stay.
//!
//! Each of the three calls of the main path (`DescribeSecurityGroups` for the
//! tags, `DescribeSecurityGroupRules`, `RevokeSecurityGroupIngress`) gets each
//! fault of [`ROWS`] while every other call answers normally: throttling
//! (`RequestLimitExceeded`), HTTP 500, HTTP 503 and a timeout, each transient
//! (the retry succeeds: the run must end exactly as without a fault) and
//! persistent (every attempt fails: one `failed` record with the fault's code,
//! and no later call); `UnauthorizedOperation` (not retried); and each "not
//! found" code the adapter normalises, on every call. Last, a revoke that
//! removes only one of two world-open rules is reported as exactly that.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aws_sdk_ec2::config::retry::RetryPartition;
use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
use aws_sdk_ec2::types::{RevokedSecurityGroupRule, SecurityGroup, SecurityGroupRule, Tag};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use remediation_shared::HandlerError;
use remediation_testing::faults::{
    check_failed, check_gone, check_row, every_case_passes, retry_config, script, timeout_config,
    unique_retry_partition, Fault, HangingHttpClient, Protocol, Run, Service, Variant,
};
use remediation_testing::handler::enforcing;
use serde_json::{json, Value};
use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::RevokeOpenSsh;

/// EC2's codes on the wire.
const EC2: Service = Service {
    protocol: Protocol::Ec2Query,
    throttling: ("RequestLimitExceeded", 503),
    access_denied: ("UnauthorizedOperation", 403),
    not_found_status: 400,
};

/// The group the CloudTrail sample names.
const GROUP: &str = "sg-0123456789abcdef0";
/// The world-open SSH rule, which the function revokes.
const OPEN: &str = "sgr-0123456789abcdef0";
/// SSH from 10.0.0.0/8, which must stay.
const KEPT: &str = "sgr-0aaaaaaaaaaaaaaa1";

/// The calls of the main path, in the order the function makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    /// The group's tags, and that it exists.
    DescribeSecurityGroups,
    /// The group's rules.
    DescribeSecurityGroupRules,
    /// The write, by rule id.
    RevokeSecurityGroupIngress,
}

const CALLS: [Call; 3] = [
    Call::DescribeSecurityGroups,
    Call::DescribeSecurityGroupRules,
    Call::RevokeSecurityGroupIngress,
];

/// Every fault each call gets: the retryable ones, access denied, and every
/// "not found" code the adapter normalises (it does so on every call).
const FAULTS: [Fault; 13] = [
    Fault::Throttling(Variant::Transient),
    Fault::Throttling(Variant::Persistent),
    Fault::InternalError(Variant::Transient),
    Fault::InternalError(Variant::Persistent),
    Fault::ServiceUnavailable(Variant::Transient),
    Fault::ServiceUnavailable(Variant::Persistent),
    Fault::Timeout(Variant::Transient),
    Fault::Timeout(Variant::Persistent),
    Fault::AccessDenied,
    Fault::NotFound("InvalidGroup.NotFound"),
    Fault::NotFound("InvalidSecurityGroupRuleId.NotFound"),
    Fault::NotFound("InvalidSecurityGroupId.NotFound"),
    Fault::NotFound("InvalidPermission.NotFound"),
];

/// How a case must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Exactly as without a fault: remediated, one revoke of the open rule only.
    Baseline,
    /// `failed` with the fault's own code; no call after the faulted one.
    Failed,
    /// `skipped`, the group no longer exists; no call after the faulted one.
    Skipped,
    /// The revoke found the rule (or the group) gone: the rules are read again,
    /// nothing is left to revoke, and the group is `already_compliant`.
    AlreadyGone,
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
use Call::{DescribeSecurityGroupRules, DescribeSecurityGroups, RevokeSecurityGroupIngress};
use Expect::{AlreadyGone, Baseline, Failed, Skipped};
use Fault::{AccessDenied, InternalError, NotFound, ServiceUnavailable, Throttling, Timeout};
use Variant::{Persistent, Transient};

/// The matrix: every call of [`CALLS`] with every fault of [`FAULTS`].
const ROWS: &[Row] = &[
    row(DescribeSecurityGroups, Throttling(Transient), Baseline),
    row(DescribeSecurityGroups, Throttling(Persistent), Failed),
    row(DescribeSecurityGroups, InternalError(Transient), Baseline),
    row(DescribeSecurityGroups, InternalError(Persistent), Failed),
    row(
        DescribeSecurityGroups,
        ServiceUnavailable(Transient),
        Baseline,
    ),
    row(
        DescribeSecurityGroups,
        ServiceUnavailable(Persistent),
        Failed,
    ),
    row(DescribeSecurityGroups, Timeout(Transient), Baseline),
    row(DescribeSecurityGroups, Timeout(Persistent), Failed),
    row(DescribeSecurityGroups, AccessDenied, Failed),
    row(
        DescribeSecurityGroups,
        NotFound("InvalidGroup.NotFound"),
        Skipped,
    ),
    row(
        DescribeSecurityGroups,
        NotFound("InvalidSecurityGroupRuleId.NotFound"),
        Skipped,
    ),
    row(
        DescribeSecurityGroups,
        NotFound("InvalidSecurityGroupId.NotFound"),
        Skipped,
    ),
    row(
        DescribeSecurityGroups,
        NotFound("InvalidPermission.NotFound"),
        Skipped,
    ),
    row(DescribeSecurityGroupRules, Throttling(Transient), Baseline),
    row(DescribeSecurityGroupRules, Throttling(Persistent), Failed),
    row(
        DescribeSecurityGroupRules,
        InternalError(Transient),
        Baseline,
    ),
    row(
        DescribeSecurityGroupRules,
        InternalError(Persistent),
        Failed,
    ),
    row(
        DescribeSecurityGroupRules,
        ServiceUnavailable(Transient),
        Baseline,
    ),
    row(
        DescribeSecurityGroupRules,
        ServiceUnavailable(Persistent),
        Failed,
    ),
    row(DescribeSecurityGroupRules, Timeout(Transient), Baseline),
    row(DescribeSecurityGroupRules, Timeout(Persistent), Failed),
    row(DescribeSecurityGroupRules, AccessDenied, Failed),
    row(
        DescribeSecurityGroupRules,
        NotFound("InvalidGroup.NotFound"),
        Skipped,
    ),
    row(
        DescribeSecurityGroupRules,
        NotFound("InvalidSecurityGroupRuleId.NotFound"),
        Skipped,
    ),
    row(
        DescribeSecurityGroupRules,
        NotFound("InvalidSecurityGroupId.NotFound"),
        Skipped,
    ),
    row(
        DescribeSecurityGroupRules,
        NotFound("InvalidPermission.NotFound"),
        Skipped,
    ),
    row(RevokeSecurityGroupIngress, Throttling(Transient), Baseline),
    row(RevokeSecurityGroupIngress, Throttling(Persistent), Failed),
    row(
        RevokeSecurityGroupIngress,
        InternalError(Transient),
        Baseline,
    ),
    row(
        RevokeSecurityGroupIngress,
        InternalError(Persistent),
        Failed,
    ),
    row(
        RevokeSecurityGroupIngress,
        ServiceUnavailable(Transient),
        Baseline,
    ),
    row(
        RevokeSecurityGroupIngress,
        ServiceUnavailable(Persistent),
        Failed,
    ),
    row(RevokeSecurityGroupIngress, Timeout(Transient), Baseline),
    row(RevokeSecurityGroupIngress, Timeout(Persistent), Failed),
    row(RevokeSecurityGroupIngress, AccessDenied, Failed),
    row(
        RevokeSecurityGroupIngress,
        NotFound("InvalidGroup.NotFound"),
        AlreadyGone,
    ),
    row(
        RevokeSecurityGroupIngress,
        NotFound("InvalidSecurityGroupRuleId.NotFound"),
        AlreadyGone,
    ),
    row(
        RevokeSecurityGroupIngress,
        NotFound("InvalidSecurityGroupId.NotFound"),
        AlreadyGone,
    ),
    row(
        RevokeSecurityGroupIngress,
        NotFound("InvalidPermission.NotFound"),
        AlreadyGone,
    ),
];

fn ingress(id: &str, cidr: &str) -> SecurityGroupRule {
    let rule = SecurityGroupRule::builder()
        .security_group_rule_id(id)
        .group_id(GROUP)
        .is_egress(false)
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22);
    if cidr.contains(':') {
        rule.cidr_ipv6(cidr).build()
    } else {
        rule.cidr_ipv4(cidr).build()
    }
}

fn rules_output(rules: Vec<SecurityGroupRule>) -> DescribeSecurityGroupRulesOutput {
    DescribeSecurityGroupRulesOutput::builder()
        .set_security_group_rules(Some(rules))
        .build()
}

fn describe_rules() -> aws_smithy_mocks::RuleBuilder<
    aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesInput,
    DescribeSecurityGroupRulesOutput,
    aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesError,
> {
    mock!(Client::describe_security_group_rules).match_requests(|r| {
        r.filters().len() == 1
            && r.filters()[0].name() == Some("group-id")
            && r.filters()[0].values() == [GROUP]
    })
}

/// A revoke of exactly `ids`, by rule id, answering that `listed` were revoked.
fn revoke(ids: &'static [&'static str], listed: &'static [&'static str]) -> Rule {
    mock!(Client::revoke_security_group_ingress)
        .match_requests(move |r| {
            r.group_id() == Some(GROUP)
                && r.security_group_rule_ids() == ids
                && r.ip_permissions().is_empty()
        })
        .then_output(move || {
            RevokeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .set_revoked_security_group_rules(Some(
                    listed
                        .iter()
                        .map(|id| {
                            RevokedSecurityGroupRule::builder()
                                .security_group_rule_id(*id)
                                .group_id(GROUP)
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
}

/// The rule for `call`: its normal answer, or `fault` when it is the faulted call.
fn rule(call: Call, fault: Option<Fault>) -> Rule {
    match call {
        Call::DescribeSecurityGroups => script(
            mock!(Client::describe_security_groups).match_requests(|r| r.group_ids() == [GROUP]),
            fault,
            &EC2,
            || {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(
                        SecurityGroup::builder()
                            .group_id(GROUP)
                            .tags(Tag::builder().key("team").value("web").build())
                            .build(),
                    )
                    .build()
            },
        ),
        Call::DescribeSecurityGroupRules => script(describe_rules(), fault, &EC2, || {
            rules_output(vec![
                ingress(OPEN, "0.0.0.0/0"),
                ingress(KEPT, "10.0.0.0/8"),
            ])
        }),
        Call::RevokeSecurityGroupIngress => {
            // The one write: the open rule by id, never the kept one. Any other
            // request panics in the mock, which the driver records as `Handler.Panic`.
            let ok = || {
                RevokeSecurityGroupIngressOutput::builder()
                    .r#return(true)
                    .revoked_security_group_rules(
                        RevokedSecurityGroupRule::builder()
                            .security_group_rule_id(OPEN)
                            .group_id(GROUP)
                            .build(),
                    )
                    .build()
            };
            script(
                mock!(Client::revoke_security_group_ingress).match_requests(|r| {
                    r.group_id() == Some(GROUP)
                        && r.security_group_rule_ids() == [OPEN]
                        && r.ip_permissions().is_empty()
                }),
                fault,
                &EC2,
                ok,
            )
        }
    }
}

/// The calls the function makes only after a revoke answered "not found": the
/// rules read again, as someone else left them (the open rule gone; no rule at
/// all when the group is gone), and a second revoke of what is still open.
fn recovery_rules(fault: Option<Fault>) -> [Rule; 2] {
    let group_gone = matches!(
        fault,
        Some(Fault::NotFound(
            "InvalidGroup.NotFound" | "InvalidSecurityGroupId.NotFound"
        ))
    );
    let reread = describe_rules().then_output(move || {
        if group_gone {
            rules_output(vec![])
        } else {
            rules_output(vec![ingress(KEPT, "10.0.0.0/8")])
        }
    });
    [reread, revoke(&[OPEN], &[OPEN])]
}

// `Run::calls` holds the attempts per call in the order of [`CALLS`], then
// the re-read of the rules and the second revoke.

/// Runs the CloudTrail sample through `handle()` over a client answering `rules` in order.
async fn run_rules(rules: &[Rule]) -> Run {
    let partition = unique_retry_partition();
    let client = mock_client!(
        aws_sdk_ec2,
        RuleMode::Sequential,
        &rules.iter().collect::<Vec<_>>(),
        |c| c
            .http_client(HangingHttpClient::default())
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .retry_partition(RetryPartition::new(partition.clone()))
    );
    let (result, records) = remediation_testing::handler::run(
        &RevokeOpenSsh::new(Ec2Adapter::new(client)),
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

/// Runs the sample with `fault` injected on one call of the main path.
async fn run(fault: Option<(Call, Fault)>) -> Run {
    let mut rules: Vec<Rule> = CALLS
        .iter()
        .map(|&call| rule(call, fault.filter(|(c, _)| *c == call).map(|(_, f)| f)))
        .collect();
    rules.extend(recovery_rules(fault.map(|(_, f)| f)));
    run_rules(&rules).await
}

fn sample() -> Value {
    remediation_testing::samples::load("sg-revoke-open-ssh", "cloudtrail-authorize-ingress.json")
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
    assert_eq!(r["changes"], json!([]), "{case}: nothing was revoked: {r}");
    // The state before is known once the rules were read.
    let before = if row.call > Call::DescribeSecurityGroupRules {
        base["before"].clone()
    } else {
        Value::Null
    };
    assert_eq!(r["before"], before, "{case}: before");
    let later = &run.calls[at + 1..];
    match row.expect {
        Expect::Baseline => unreachable!(),
        Expect::Failed => {
            let code = row.fault.code(&EC2);
            assert!(
                later.iter().all(|&n| n == 0),
                "{case}: no call after the faulted one: {:?}",
                run.calls
            );
            check_failed(&case, &run, r, row.fault, code);
            // A failed revoke leaves the open rule open, and says so.
            assert_eq!(r["after"], before, "{case}: after: {r}");
        }
        Expect::Skipped => {
            assert!(
                later.iter().all(|&n| n == 0),
                "{case}: no call after the faulted one: {:?}",
                run.calls
            );
            check_gone(&case, &run, r);
        }
        Expect::AlreadyGone => {
            assert_eq!(
                later,
                [1, 0],
                "{case}: the rules read again once, and no second revoke"
            );
            assert!(run.result.is_ok(), "{case}: {:?}", run.result.err());
            assert_eq!(r["outcome"], "already_compliant", "{case}: {r}");
            assert_eq!(r["error_code"], Value::Null, "{case}: {r}");
            assert_eq!(
                r["after"],
                json!({"type": "security_group_ingress", "world_open_ssh_rules": []}),
                "{case}: {r}"
            );
            assert!(
                r["reason"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("{OPEN} were already gone")),
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
    assert_eq!(
        run.calls,
        [1, 1, 1, 0, 0],
        "baseline: each call once, no recovery"
    );
    assert_eq!(run.records.len(), 1, "baseline: {:?}", run.records);
    let r = &run.records[0];
    assert_eq!(r["outcome"], "remediated", "baseline: {r}");
    assert_eq!(
        r["resource"],
        format!("arn:aws:ec2:us-east-1:123456789012:security-group/{GROUP}")
    );
    assert_eq!(r["error_code"], Value::Null);
    let open = json!({"rule_id": OPEN, "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0", "also_closes": []});
    assert_eq!(
        r["before"],
        json!({"type": "security_group_ingress", "world_open_ssh_rules": [open]}),
        "baseline: before lists the open rule, not the kept one"
    );
    assert_eq!(
        r["after"],
        json!({"type": "security_group_ingress", "world_open_ssh_rules": []}),
        "baseline: after"
    );
    let mut revoked = open.clone();
    revoked["type"] = json!("revoke_ingress_rule");
    assert_eq!(r["changes"], json!([revoked]), "baseline: changes");
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
async fn without_a_fault_only_the_open_rule_is_revoked_once() {
    baseline().await;
}

#[tokio::test]
async fn faults_on_describe_security_groups() {
    check_call(Call::DescribeSecurityGroups).await;
}

#[tokio::test]
async fn faults_on_describe_security_group_rules() {
    check_call(Call::DescribeSecurityGroupRules).await;
}

#[tokio::test]
async fn faults_on_revoke_security_group_ingress() {
    check_call(Call::RevokeSecurityGroupIngress).await;
}

#[tokio::test]
async fn a_partial_revoke_is_reported_as_exactly_that() {
    const OPEN6: &str = "sgr-0bbbbbbbbbbbbbbb2";
    // GIVEN SSH open to 0.0.0.0/0 and ::/0, next to 10.0.0.0/8,
    // WHEN the revoke of both answers that it revoked only the IPv4 rule,
    let rules = [
        rule(Call::DescribeSecurityGroups, None),
        describe_rules().then_output(|| {
            rules_output(vec![
                ingress(OPEN, "0.0.0.0/0"),
                ingress(OPEN6, "::/0"),
                ingress(KEPT, "10.0.0.0/8"),
            ])
        }),
        revoke(&[OPEN, OPEN6], &[OPEN]),
        // Not to be called: nothing is retried after a partial answer.
        revoke(&[OPEN6], &[OPEN6]),
    ];
    let run = run_rules(&rules).await;

    // THEN the record says exactly which rule went and which is still open.
    assert_eq!(run.calls, [1, 1, 1, 0], "one revoke, no second");
    assert_eq!(run.records.len(), 1, "{:?}", run.records);
    let r = &run.records[0];
    assert_eq!(r["outcome"], "failed", "{r}");
    assert_eq!(r["error_code"], "PartialRevoke", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("revoked 1 of 2 rule(s); still open: {OPEN6}")),
        "{r}"
    );
    assert_eq!(
        r["after"],
        json!({"type": "security_group_ingress", "world_open_ssh_rules": [
            {"rule_id": OPEN6, "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "::/0", "also_closes": []}
        ]})
    );
    assert_eq!(
        r["changes"],
        json!([{"type": "revoke_ingress_rule", "rule_id": OPEN, "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0", "also_closes": []}])
    );
    assert_eq!(
        r["before"]["world_open_ssh_rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    match &run.result {
        Err(HandlerError::Remediation {
            error_type,
            first_code,
            ..
        }) => assert_eq!(
            (*error_type, first_code.as_str()),
            ("Remediation.Partial", "PartialRevoke")
        ),
        other => panic!("expected a failed invocation, got {other:?}"),
    }
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

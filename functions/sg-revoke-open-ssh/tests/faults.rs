//! The security-group function under injected faults: the real adapter, over an
//! SDK client answered by aws-smithy-mocks, driven by the real `handle()` with
//! the CloudTrail `AuthorizeSecurityGroupIngress` sample, for a group with TCP 22
//! open to 0.0.0.0/0 next to TCP 22 from 10.0.0.0/8, which must stay.
//!
//! Each of the three calls of the main path (`DescribeSecurityGroups` for the
//! tags, `DescribeSecurityGroupRules`, `RevokeSecurityGroupIngress`) gets each
//! fault while every other call answers normally: throttling
//! (`RequestLimitExceeded`), HTTP 500, HTTP 503 and a timeout, each transient
//! (the retry succeeds: the run must end exactly as without a fault) and
//! persistent (every attempt fails: one `failed` record with the fault's code,
//! and no later call); `UnauthorizedOperation` (not retried); and each "not
//! found" code the adapter normalises (the `NOT_FOUND` table), on every call.
//! Last, a revoke that removes only one of two world-open rules is reported as
//! exactly that. The rows, their run and the checks every function makes are
//! `remediation_testing::matrix`'s; what this function's records say is here.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_ec2::operation::describe_security_group_rules::{
    DescribeSecurityGroupRulesError, DescribeSecurityGroupRulesInput,
    DescribeSecurityGroupRulesOutput,
};
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
use aws_sdk_ec2::types::{RevokedSecurityGroupRule, SecurityGroup, SecurityGroupRule, Tag};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule, RuleBuilder};
use remediation_shared::HandlerError;
use remediation_testing::faults::{Fault, Service};
use remediation_testing::matrix::{self, Case, Expect, Matrix, Run};
use serde_json::{json, Value};
use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::RevokeOpenAdmin;

// Short names for the table below.
use Call::{DescribeSecurityGroupRules, DescribeSecurityGroups, RevokeSecurityGroupIngress};
use Ending::AlreadyGone;
use Expect::{Baseline, Failed, Own, Skipped};

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

/// How each call ends when the group or the rule is gone: skipped when it is
/// read, already compliant when it is revoked (in the order of the calls).
const GONE: &[Expect<Ending>] = &[Skipped, Skipped, Own(AlreadyGone)];

/// The security-group function's matrix. `Run::calls` holds the attempts
/// per call in the order of `CALLS`, then the re-read of the rules and the
/// second revoke (see `later_rules`).
impl Matrix for Call {
    const CALLS: &'static [Call] = &[
        DescribeSecurityGroups,
        DescribeSecurityGroupRules,
        RevokeSecurityGroupIngress,
    ];

    const SAMPLE: &'static str = "cloudtrail-authorize-ingress.json";

    type Own = Ending;

    // Every "not found" code ends the same way: the group or the rule is gone.
    const NOT_FOUND: &'static [(&'static str, &'static [Expect<Ending>])] = &[
        ("InvalidGroup.NotFound", GONE),
        ("InvalidSecurityGroupRuleId.NotFound", GONE),
        ("InvalidSecurityGroupId.NotFound", GONE),
        ("InvalidPermission.NotFound", GONE),
    ];

    const SERVICE: Service = Service::EC2;

    fn rule(self, fault: Option<Fault>) -> Rule {
        match self {
            DescribeSecurityGroups => Self::script(
                mock!(Client::describe_security_groups)
                    .match_requests(|r| r.group_ids() == [GROUP]),
                fault,
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
            DescribeSecurityGroupRules => Self::script(describe_rules(), fault, || {
                rules_output(vec![
                    ingress(OPEN, "0.0.0.0/0"),
                    ingress(KEPT, "10.0.0.0/8"),
                ])
            }),
            RevokeSecurityGroupIngress => {
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
                Self::script(
                    mock!(Client::revoke_security_group_ingress).match_requests(|r| {
                        r.group_id() == Some(GROUP)
                            && r.security_group_rule_ids() == [OPEN]
                            && r.ip_permissions().is_empty()
                    }),
                    fault,
                    ok,
                )
            }
        }
    }

    /// The calls the function makes only after a revoke answered "not found":
    /// the rules read again, as someone else left them (the open rule gone; no
    /// rule at all when the group is gone), and a second revoke of what is
    /// still open.
    fn later_rules(fault: Option<Fault>) -> Vec<Rule> {
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
        vec![reread, revoke(&[OPEN], &[OPEN])]
    }

    type Remediator = RevokeOpenAdmin<Ec2Adapter>;

    fn remediator(rules: &[Rule]) -> Self::Remediator {
        let client = remediation_testing::fault_client!(aws_sdk_ec2, rules);
        RevokeOpenAdmin::new(Ec2Adapter::new(client))
    }

    fn check_baseline(run: &Run, r: &Value) {
        assert_eq!(
            run.calls,
            [1, 1, 1, 1, 0],
            "baseline: each call once, no recovery, then the rules read again to verify the control"
        );
        assert_eq!(
            r["resource"],
            format!("arn:aws:ec2:us-east-1:123456789012:security-group/{GROUP}")
        );
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
    }

    fn check(case: &Case<'_, Self>) {
        let r = &case.record;
        assert_eq!(r["changes"], json!([]), "{case}: nothing was revoked: {r}");
        // The state before is known once the rules were read.
        let before = case.known_after(DescribeSecurityGroupRules, "before");
        assert_eq!(r["before"], before, "{case}: before");
        match case.row.expect {
            // A failed revoke leaves the open rule open, and says so.
            Failed => assert_eq!(r["after"], before, "{case}: after: {r}"),
            Own(AlreadyGone) => {
                assert_eq!(
                    case.later(),
                    [1, 0],
                    "{case}: the rules read again once, and no second revoke"
                );
                case.assert_already_compliant(&format!("{OPEN} were already gone"));
                assert_eq!(
                    r["after"],
                    json!({"type": "security_group_ingress", "world_open_ssh_rules": []}),
                    "{case}: {r}"
                );
            }
            Baseline | Expect::Fixed | Skipped => {}
        }
    }
}

/// How a row ends that no other function's matrix has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The revoke found the rule (or the group) gone: the rules are read again,
    /// nothing is left to revoke, and the group is `already_compliant`.
    AlreadyGone,
}

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

fn describe_rules() -> RuleBuilder<
    DescribeSecurityGroupRulesInput,
    DescribeSecurityGroupRulesOutput,
    DescribeSecurityGroupRulesError,
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

remediation_testing::matrix_tests!(
    Call,
    without_a_fault_only_the_open_rule_is_revoked_once,
    DescribeSecurityGroups => faults_on_describe_security_groups,
    DescribeSecurityGroupRules => faults_on_describe_security_group_rules,
    RevokeSecurityGroupIngress => faults_on_revoke_security_group_ingress,
);

#[tokio::test]
async fn a_partial_revoke_is_reported_as_exactly_that() {
    const OPEN6: &str = "sgr-0bbbbbbbbbbbbbbb2";
    // GIVEN SSH open to 0.0.0.0/0 and ::/0, next to 10.0.0.0/8,
    // WHEN the revoke of both answers that it revoked only the IPv4 rule,
    let rules = [
        DescribeSecurityGroups.rule(None),
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
    let run = matrix::run_rules::<Call>(rules.into()).await;

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

//! The IAM function under injected faults: the real adapter, over SDK clients
//! answered by aws-smithy-mocks, driven by the real `handle()` with the
//! CloudTrail `AttachRolePolicy` sample, for a Lambda service role with
//! AdministratorAccess and ReadOnlyAccess attached (ReadOnlyAccess must stay).
//!
//! Each of the three calls of the main path (`GetRole`,
//! `ListAttachedRolePolicies`, `DetachRolePolicy`; the sample names the role by
//! name, so AWS Config is never asked) gets each fault while every other call
//! answers normally: throttling (`Throttling`), HTTP 500, HTTP 503 and a
//! timeout, each transient (the retry succeeds: the run must end exactly as
//! without a fault) and persistent (every attempt fails: one `failed` record
//! with the fault's code, and no later call); `AccessDenied` (not retried); and
//! `NoSuchEntity`, the "not found" code the adapter normalises (the
//! `NOT_FOUND` table), on every call. The rows, their run and the checks every
//! function makes are `remediation_testing::matrix`'s; what this function's
//! records say is here.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyOutput;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::types::{AttachedPolicy, Role, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use iam_detach_admin_policy::aws::IamAdapter;
use iam_detach_admin_policy::DetachAdminPolicy;
use remediation_testing::faults::{Fault, Service};
use remediation_testing::matrix::{Case, Expect, Matrix, Run};
use serde_json::{json, Value};

// Short names for the table below.
use Call::{DetachRolePolicy, GetRole, ListAttachedRolePolicies};
use Ending::AlreadyDetached;
use Expect::{Baseline, Failed, Own, Skipped};

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

impl Matrix for Call {
    const CALLS: &'static [Call] = &[GetRole, ListAttachedRolePolicies, DetachRolePolicy];

    const SAMPLE: &'static str = "cloudtrail-attach-admin.json";

    type Own = Ending;

    // Columns: GetRole, ListAttachedRolePolicies, DetachRolePolicy.
    const NOT_FOUND: &'static [(&'static str, &'static [Expect<Ending>])] =
        &[("NoSuchEntity", &[Skipped, Skipped, Own(AlreadyDetached)])];

    const SERVICE: Service = Service::IAM;

    fn rule(self, fault: Option<Fault>) -> Rule {
        match self {
            GetRole => Self::script(
                mock!(aws_sdk_iam::Client::get_role)
                    .match_requests(|r| r.role_name() == Some(ROLE)),
                fault,
                || GetRoleOutput::builder().role(role()).build(),
            ),
            ListAttachedRolePolicies => Self::script(
                mock!(aws_sdk_iam::Client::list_attached_role_policies)
                    .match_requests(|r| r.role_name() == Some(ROLE)),
                fault,
                || {
                    ListAttachedRolePoliciesOutput::builder()
                        .attached_policies(attached(READ_ONLY))
                        .attached_policies(attached(ADMIN))
                        .is_truncated(false)
                        .build()
                },
            ),
            DetachRolePolicy => Self::script(
                // The one write: AdministratorAccess, never ReadOnlyAccess. Any other
                // request panics in the mock, which the driver records as `Handler.Panic`.
                mock!(aws_sdk_iam::Client::detach_role_policy).match_requests(|r| {
                    r.role_name() == Some(ROLE) && r.policy_arn() == Some(ADMIN)
                }),
                fault,
                || DetachRolePolicyOutput::builder().build(),
            ),
        }
    }

    type Remediator = DetachAdminPolicy<IamAdapter>;

    fn remediator(rules: &[Rule]) -> Self::Remediator {
        let iam = remediation_testing::fault_client!(aws_sdk_iam, rules);
        // The sample names the role by name: a call to AWS Config would find no
        // rule and panic, which the driver records as `Handler.Panic`.
        let no_rules: &[&Rule] = &[];
        let config_client = mock_client!(aws_sdk_config, RuleMode::Sequential, no_rules);
        DetachAdminPolicy::new(IamAdapter::new(iam, config_client))
    }

    fn check_baseline(run: &Run, r: &Value) {
        assert_eq!(run.calls, [1, 1, 1], "baseline: each call once");
        assert_eq!(r["resource"], ROLE_ARN, "baseline: {r}");
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
    }

    fn check(case: &Case<'_, Self>) {
        let r = &case.record;
        case.assert_no_call_after();
        assert_eq!(r["changes"], json!([]), "{case}: nothing was detached: {r}");
        // The role's real ARN is known once it was read; before that, the event's.
        let resource = if case.row.call > GetRole {
            ROLE_ARN.to_owned()
        } else {
            format!("arn:aws:iam::123456789012:role/{ROLE}")
        };
        assert_eq!(r["resource"], resource, "{case}: resource");
        // The state before is known once the policies were listed.
        let before = case.known_after(ListAttachedRolePolicies, "before");
        assert_eq!(r["before"], before, "{case}: before");
        match case.row.expect {
            Failed => assert_eq!(r["after"], Value::Null, "{case}: after: {r}"),
            Own(AlreadyDetached) => {
                case.assert_already_compliant(&format!("{ADMIN} was already detached"));
                let after = &case.base()["after"];
                assert_eq!(r["after"], *after, "{case}: ReadOnlyAccess stays: {r}");
            }
            Baseline | Expect::Fixed | Skipped => {}
        }
    }
}

/// How a row ends that no other function's matrix has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The detach says AdministratorAccess is not attached: `already_compliant`.
    AlreadyDetached,
}

/// The role the sample names: a Lambda service role.
fn role() -> Role {
    Role::builder()
        .path("/service-role/")
        .role_name(ROLE)
        .role_id("AROAEXAMPLEROLEID0001")
        .arn(ROLE_ARN)
        .create_date(DateTime::from_secs(0))
        // IAM returns trust policies URL-encoded.
        .assume_role_policy_document(
            percent_encoding::utf8_percent_encode(LAMBDA_TRUST, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        )
        .tags(Tag::builder().key("team").value("web").build().unwrap())
        .build()
        .unwrap()
}

fn attached(arn: &str) -> AttachedPolicy {
    AttachedPolicy::builder()
        .policy_arn(arn)
        .policy_name(arn.rsplit('/').next().unwrap())
        .build()
}

remediation_testing::matrix_tests!(
    Call,
    without_a_fault_only_administrator_access_is_detached_once,
    GetRole => faults_on_get_role,
    ListAttachedRolePolicies => faults_on_list_attached_role_policies,
    DetachRolePolicy => faults_on_detach_role_policy,
);

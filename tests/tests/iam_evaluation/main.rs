//! Least privilege proven by evaluation: the IAM policies of `template.yaml`
//! and `member.yaml` as deployed (parameters resolved for a single account
//! and for a hub with its member accounts) are evaluated by an offline IAM
//! policy evaluator, `@cloud-copilot/iam-simulate` (AWS's evaluation logic
//! for identity, resource and trust policies with their conditions), through
//! the driver `tests/iam/evaluate.mjs`, which `make` installs with `npm ci`.
//!
//! Allowed: every call each function makes (its adapter's declared
//! permissions from the catalog, and the runtime's own calls: logs, the
//! failed-invocation queue, Security Hub updates, notifications, the member
//! role, the sweep queue, the organisation's accounts), on a representative
//! resource with the request context the call carries. Denied: what the
//! functions must never do, row by row. And a person's policy, as
//! `remediation permissions` prints it: every call of plan, apply and undo
//! allowed, nothing the functions must never do.
//!
//! Owns building the requests and their expected decisions; it must not
//! evaluate a policy itself (the evaluator does) or read the code's calls
//! (the catalog does). Needs `node` and `tests/iam/node_modules`
//! (`make iam-evaluator`); no AWS, no emulator.
//!
//! Layout: `requests.rs` builds the requests from the templates as deployed
//! (`../stack/`), `denied.rs` holds the rows of what must never be allowed,
//! `evaluator.rs` runs the driver and asserts each decision; the tests below
//! put them together.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};

#[path = "../stack/mod.rs"]
mod stack;

mod denied;
mod evaluator;
mod requests;

use evaluator::{assert_decisions, Case, ALLOWED, EXPLICITLY_DENIED, IMPLICITLY_DENIED};
use requests::*;
use stack::{Deployed, Place};

// The hub's account, a member account, and an account outside the
// organisation; the hub's region and another; the names the hub is deployed with.
const HUB: &str = "111111111111";
const MEMBER: &str = "222222222222";
const STRANGER: &str = "333333333333";
const REGION: &str = "us-east-1";
const OTHER_REGION: &str = "eu-west-1";
const ORGANIZATION: &str = "o-abcdefghij";
const MEMBER_ROLE: &str = "remediation-member";
const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:remediation-notices";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const BUCKET: &str = "arn:aws:s3:::example-bucket";
const HOME: Place<'static> = Place {
    account: HUB,
    region: REGION,
    stack: "remediation",
};

#[test]
fn every_call_each_function_makes_is_allowed_in_each_configuration() {
    let t = stack::read("template.yaml");
    let mut cases = Vec::new();
    let mut covered: BTreeMap<(&str, String), BTreeSet<String>> = BTreeMap::new();
    for c in configurations(&t) {
        let fs = functions(&c.stack);
        assert_eq!(fs.len(), remediation_catalog::ALL.len());
        for f in &fs {
            // A hub acts in its own account in every region with the
            // function's own role (no member role there).
            let regions: &[&str] = if c.stack.holds("HubMode") {
                &[REGION, OTHER_REGION]
            } else {
                &[REGION]
            };
            let declared = regions.iter().flat_map(|r| declared_calls(f, c.name, r));
            for case in declared.chain(runtime_calls(&c.stack, f, c.name)) {
                covered
                    .entry((c.name, f.binary.clone()))
                    .or_default()
                    .insert(case.action.clone());
                cases.push(case);
            }
            if c.stack.holds("HubMode") {
                let member = stack::read("member.yaml");
                let roles = hub_role_arns(&c.stack);
                let trust = member_trust(&member_stack(&member, &roles));
                let mut case = assume(
                    &f.session,
                    &f.policies,
                    &member_role_arn(),
                    &trust,
                    ORGANIZATION,
                );
                case.name = format!(
                    "{}: {} may assume the member role of an account of the organisation",
                    c.name, f.binary
                );
                cases.push(case);
            }
        }
    }
    // The test fails if an action an adapter declares has no allowed case,
    // in any configuration.
    for ((configuration, binary), actions) in &covered {
        let declared: BTreeSet<String> = remediation_catalog::named(binary)
            .unwrap()
            .permissions
            .iter()
            .map(|p| p.action.to_owned())
            .collect();
        let missing: Vec<_> = declared.difference(actions).collect();
        assert!(
            missing.is_empty(),
            "{configuration}: {binary}: no allowed case for {missing:?}"
        );
    }
    assert_eq!(covered.len(), 2 * remediation_catalog::ALL.len());
    assert_decisions(&cases);
}

#[test]
fn every_call_each_function_makes_in_a_member_account_is_allowed_through_the_member_role_in_any_region(
) {
    let member = stack::read("member.yaml");
    let roles = hub_roles();
    let m = member_stack(&member, &roles);
    assert!(m.exists("MemberRole", &MEMBER_PLACE));
    let policies = inline_policies(&m, "MemberRole", &MEMBER_PLACE);
    let session =
        format!("arn:aws:sts::{MEMBER}:assumed-role/{MEMBER_ROLE}/s3-block-public-access-0123");
    let mut cases = Vec::new();
    for f in remediation_catalog::ALL {
        for region in [REGION, OTHER_REGION] {
            for p in f.permissions {
                let resource = representative(p, MEMBER, region);
                let mut case = Case {
                    name: format!(
                        "member account: {} may call {} in {region} through the member role",
                        f.name, p.action
                    ),
                    principal: session.clone(),
                    action: p.action.to_owned(),
                    resource_account: account_of(&resource).unwrap_or(MEMBER).to_owned(),
                    resource,
                    context: BTreeMap::from([("aws:RequestedRegion".to_owned(), json!(region))]),
                    identity: policies.clone(),
                    resource_policy: None,
                    expect: ALLOWED,
                };
                if let Some(key) = p.condition_key {
                    case = case.with(key, carried(key, MEMBER, region));
                }
                cases.push(case);
            }
        }
    }
    assert_decisions(&cases);
}

#[test]
fn what_the_functions_must_never_do_is_denied_in_each_configuration() {
    let t = stack::read("template.yaml");
    let cases: Vec<Case> = configurations(&t)
        .iter()
        .flat_map(denied::denied_in)
        .collect();
    assert_decisions(&cases);
}

#[test]
fn the_member_role_trusts_only_the_hubs_function_roles_from_inside_the_organisation() {
    let t = stack::read("template.yaml");
    let member = stack::read("member.yaml");
    let configurations = configurations(&t);
    let hub = &configurations[1].stack;
    let roles = hub_role_arns(hub);
    let trust = member_trust(&member_stack(&member, &roles));
    let fs = functions(hub);
    let bucket = function(&fs, "s3-block-public-access");
    let admin = json!([{"name": "admin", "policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]);
    let other = format!("arn:aws:sts::{HUB}:assumed-role/remediation-Other-1A2B3C4D5E6F/session");
    let stranger = format!("arn:aws:sts::{STRANGER}:assumed-role/remediation-S3BlockPublicAccessRole-1A2B3C4D5E6F/session");
    let mut cases = vec![
        row("the bucket function may not assume the member role from outside the organisation",
            Case { expect: IMPLICITLY_DENIED, ..assume(&bucket.session, &bucket.policies, &member_role_arn(), &trust, "o-zyxwvutsrq") }),
        row("another role of the hub account, even an administrator, may not assume the member role",
            Case { expect: IMPLICITLY_DENIED, ..assume(&other, &admin, &member_role_arn(), &trust, ORGANIZATION) }),
        row("a role of the same name in another account of the organisation may not assume the member role",
            Case { expect: IMPLICITLY_DENIED, ..assume(&stranger, &admin, &member_role_arn(), &trust, ORGANIZATION) }),
    ];
    // Each function's role, from inside the organisation, is let in.
    for f in &fs {
        cases.push(row(
            &format!(
                "{} may assume the member role from inside the organisation",
                f.binary
            ),
            assume(
                &f.session,
                &f.policies,
                &member_role_arn(),
                &trust,
                ORGANIZATION,
            ),
        ));
        assert!(roles.split(',').any(|r| r == f.role_arn));
    }
    assert_decisions(&cases);
}

#[test]
fn what_the_functions_must_never_do_is_denied_through_the_member_role_too() {
    let member = stack::read("member.yaml");
    let roles = hub_roles();
    let m = member_stack(&member, &roles);
    let session =
        format!("arn:aws:sts::{MEMBER}:assumed-role/{MEMBER_ROLE}/iam-detach-admin-policy-0123");
    let through = |action: &str, resource: &str, expect| Case {
        name: String::new(),
        principal: session.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: account_of(resource).unwrap_or(MEMBER).to_owned(),
        context: BTreeMap::from([("aws:RequestedRegion".to_owned(), json!(OTHER_REGION))]),
        identity: inline_policies(&m, "MemberRole", &MEMBER_PLACE),
        resource_policy: None,
        expect,
    };
    let role = format!("arn:aws:iam::{MEMBER}:role/app-service-role");
    let sg = format!("arn:aws:ec2:{OTHER_REGION}:{MEMBER}:security-group/sg-0123456789abcdef0");
    let mut cases = vec![
        row("the member role may not detach PowerUserAccess",
            through("iam:DetachRolePolicy", &role, IMPLICITLY_DENIED)
                .with("iam:PolicyARN", "arn:aws:iam::aws:policy/PowerUserAccess")),
        row("the member role may not detach AdministratorAccess from a service-linked role",
            through("iam:DetachRolePolicy", &format!("arn:aws:iam::{MEMBER}:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk"), EXPLICITLY_DENIED)
                .with("iam:PolicyARN", ADMIN)),
        row("the member role may not attach a policy",
            through("iam:AttachRolePolicy", &role, IMPLICITLY_DENIED).with("iam:PolicyARN", ADMIN)),
        row("the member role may not revoke egress",
            through("ec2:RevokeSecurityGroupEgress", &sg, IMPLICITLY_DENIED)),
        row("the member role may not authorise ingress",
            through("ec2:AuthorizeSecurityGroupIngress", &sg, IMPLICITLY_DENIED)),
        row("the member role may not turn on Block Public Access of a bucket of another account",
            through("s3:PutBucketPublicAccessBlock", BUCKET, IMPLICITLY_DENIED)
                .with("s3:ResourceAccount", STRANGER)),
        row("the member role may not update Security Hub findings",
            through("securityhub:BatchUpdateFindings", &format!("arn:aws:securityhub:{OTHER_REGION}:{MEMBER}:hub/default"), IMPLICITLY_DENIED)),
        row("the member role may not assume another role",
            through("sts:AssumeRole", &format!("arn:aws:iam::{STRANGER}:role/{MEMBER_ROLE}"), IMPLICITLY_DENIED)),
    ];
    for (action, resource) in [
        ("s3:PutBucketPolicy", BUCKET),
        ("s3:PutBucketAcl", BUCKET),
        ("s3:DeleteBucket", BUCKET),
        ("s3:PutObject", "arn:aws:s3:::example-bucket/key"),
    ] {
        cases.push(row(
            &format!("the member role may not make the S3 write {action}"),
            through(action, resource, IMPLICITLY_DENIED).with("s3:ResourceAccount", MEMBER),
        ));
    }
    assert_decisions(&cases);
}

#[test]
fn each_functions_role_may_be_assumed_by_lambda_alone() {
    let t = stack::read("template.yaml");
    let mut cases = Vec::new();
    for c in configurations(&t) {
        for f in functions(&c.stack) {
            for (service, expect) in [
                ("lambda.amazonaws.com", ALLOWED),
                ("ec2.amazonaws.com", IMPLICITLY_DENIED),
            ] {
                let verb = if expect == ALLOWED { "may" } else { "may not" };
                cases.push(Case {
                    name: format!("{}: {service} {verb} assume {}'s role", c.name, f.binary),
                    principal: service.to_owned(),
                    action: "sts:AssumeRole".to_owned(),
                    resource: f.role_arn.clone(),
                    resource_account: HUB.to_owned(),
                    context: BTreeMap::new(),
                    identity: json!([]),
                    resource_policy: Some(f.trust.clone()),
                    expect,
                });
            }
        }
    }
    assert_decisions(&cases);
}

#[test]
fn member_accounts_forward_their_events_to_the_hubs_bus_and_nobody_outside_the_organisation_may() {
    let t = stack::read("template.yaml");
    let configurations = configurations(&t);
    let hub = &configurations[1].stack;
    assert!(hub.exists("HubEventBus", &HOME));
    let bus = hub.attribute("HubEventBus", "Arn", &HOME);
    let bus_statement = hub.resolve(
        &t["Resources"]["HubEventBusPolicy"]["Properties"]["Statement"],
        &HOME,
    );
    let bus_policy = json!({"Version": "2012-10-17", "Statement": [bus_statement]});
    let member = stack::read("member.yaml");
    let roles = hub_roles();
    let m = Deployed {
        t: &member,
        given: BTreeMap::from([
            ("HubRoleArns", roles.as_str()),
            ("OrganizationId", ORGANIZATION),
            ("MemberRoleName", MEMBER_ROLE),
            ("HubEventBusArn", bus.as_str()),
        ]),
    };
    assert!(m.exists("ForwardingRole", &MEMBER_PLACE));
    let forwarding = inline_policies(&m, "ForwardingRole", &MEMBER_PLACE);
    let forwarding_arn = m.attribute("ForwardingRole", "Arn", &MEMBER_PLACE);
    let forwarding_trust = m.resolve(
        &member["Resources"]["ForwardingRole"]["Properties"]["AssumeRolePolicyDocument"],
        &MEMBER_PLACE,
    );
    let session = format!("arn:aws:sts::{MEMBER}:assumed-role/{MEMBER_ROLE}-forwarding/rule");
    let put = |principal: &str, identity: &Json, org: &str, expect| Case {
        name: String::new(),
        principal: principal.to_owned(),
        action: "events:PutEvents".to_owned(),
        resource: bus.clone(),
        resource_account: HUB.to_owned(),
        context: BTreeMap::from([
            ("aws:RequestedRegion".to_owned(), json!(REGION)),
            ("aws:PrincipalOrgID".to_owned(), json!(org)),
        ]),
        identity: identity.clone(),
        resource_policy: Some(bus_policy.clone()),
        expect,
    };
    let admin = json!([{"name": "admin", "policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]);
    let outsider = format!("arn:aws:sts::{STRANGER}:assumed-role/forwarder/rule");
    let assume_forwarding = |source: &str, expect| Case {
        name: String::new(),
        principal: "events.amazonaws.com".to_owned(),
        action: "sts:AssumeRole".to_owned(),
        resource: forwarding_arn.clone(),
        resource_account: MEMBER.to_owned(),
        context: BTreeMap::from([("aws:SourceAccount".to_owned(), json!(source))]),
        identity: json!([]),
        resource_policy: Some(forwarding_trust.clone()),
        expect,
    };
    let cases = vec![
        row(
            "a member's forwarding role may put events on the hub's bus",
            put(&session, &forwarding, ORGANIZATION, ALLOWED),
        ),
        row(
            "a member's forwarding role may not put events on another bus",
            put(&session, &forwarding, ORGANIZATION, IMPLICITLY_DENIED)
                .with_resource(&format!("arn:aws:events:{REGION}:{HUB}:event-bus/default")),
        ),
        row(
            "an administrator outside the organisation may not put events on the hub's bus",
            put(&outsider, &admin, "o-zyxwvutsrq", IMPLICITLY_DENIED),
        ),
        row(
            "EventBridge may assume the forwarding role for the member's own rules",
            assume_forwarding(MEMBER, ALLOWED),
        ),
        row(
            "EventBridge may not assume the forwarding role for another account's rules",
            assume_forwarding(STRANGER, IMPLICITLY_DENIED),
        ),
    ];
    assert_decisions(&cases);
}

/// A person's policy as `remediation permissions --member-role NAME` prints it.
fn persons_policy() -> Json {
    json!([{
        "name": "remediation-person",
        "policy": remediation_cli::permissions::policy("aws", Some(MEMBER_ROLE)),
    }])
}

#[test]
fn a_persons_policy_from_remediation_permissions_allows_every_call_of_plan_apply_and_undo() {
    let person = format!("arn:aws:iam::{HUB}:role/security-engineer");
    let identity = persons_policy();
    let request = |name: String, action: &str, resource: String, expect| Case {
        name,
        principal: person.clone(),
        action: action.to_owned(),
        resource_account: account_of(&resource).unwrap_or(HUB).to_owned(),
        resource,
        // What AWS sets on every request: its region, the caller's account.
        context: BTreeMap::from([
            ("aws:RequestedRegion".to_owned(), json!(OTHER_REGION)),
            ("aws:PrincipalAccount".to_owned(), json!(HUB)),
        ]),
        identity: identity.clone(),
        resource_policy: None,
        expect,
    };
    let mut cases = Vec::new();
    for f in remediation_catalog::ALL {
        for (run, declared) in [
            ("plan and apply", f.permissions),
            ("undo", f.undo_permissions),
        ] {
            for p in declared {
                let mut case = request(
                    format!(
                        "a person may call {} to {run} with {} in any region",
                        p.action, f.name
                    ),
                    p.action,
                    representative(p, HUB, OTHER_REGION),
                    ALLOWED,
                );
                if let Some(key) = p.condition_key {
                    case = case.with(key, carried(key, HUB, OTHER_REGION));
                }
                cases.push(case);
            }
        }
    }
    let role = |name: &str| format!("arn:aws:iam::{HUB}:role/{name}");
    cases.extend([
        // A member's role that trusts the hub account (member.yaml's trusts
        // only the functions, so a person names another with --member-role).
        Case {
            resource_policy: Some(json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"AWS": format!("arn:aws:iam::{HUB}:root")}}],
            })),
            ..request(
                "a person may assume the role named by --member-role in a member account that trusts them".into(),
                "sts:AssumeRole",
                format!("arn:aws:iam::{MEMBER}:role/{MEMBER_ROLE}"),
                ALLOWED,
            )
        },
        request(
            "a person may not assume a role of another name".into(),
            "sts:AssumeRole",
            format!("arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"),
            IMPLICITLY_DENIED,
        ),
        request(
            "a person may not detach PowerUserAccess".into(),
            "iam:DetachRolePolicy",
            role("app-service-role"),
            IMPLICITLY_DENIED,
        )
        .with("iam:PolicyARN", "arn:aws:iam::aws:policy/PowerUserAccess"),
        request(
            "a person may not delete a bucket".into(),
            "s3:DeleteBucket",
            BUCKET.into(),
            IMPLICITLY_DENIED,
        ),
        request(
            "a person may not revoke egress".into(),
            "ec2:RevokeSecurityGroupEgress",
            format!("arn:aws:ec2:{REGION}:{HUB}:security-group/sg-0123456789abcdef0"),
            IMPLICITLY_DENIED,
        ),
        request(
            "a person may not read another account's bucket settings".into(),
            "s3:GetBucketPublicAccessBlock",
            BUCKET.into(),
            IMPLICITLY_DENIED,
        )
        .with("s3:ResourceAccount", STRANGER),
    ]);
    assert_decisions(&cases);
}

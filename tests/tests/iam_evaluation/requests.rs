//! The requests of the IAM evaluation test, built from the templates as
//! deployed: the configurations, each function's role and calls (declared by
//! its adapter, or the runtime's own), the member role and its trust.
//!
//! It must not run the evaluator (`evaluator.rs` does) or decide what a
//! denied row expects (`denied.rs` and the tests do).

use std::collections::BTreeMap;

use remediation_shared::Permission;
use serde_json::{json, Value as Json};
use serde_norway::Value;

use super::evaluator::{Case, ALLOWED};
use super::stack::{self, Deployed, Place};
use super::*;

/// A configuration of the hub template deployed, by name.
pub struct Configuration<'a> {
    pub name: &'static str,
    pub stack: Deployed<'a>,
}

/// One function of a deployed stack: its binary, its role's session and its policies.
pub struct Function {
    pub binary: String,
    pub logical_id: String,
    pub role_arn: String,
    pub session: String,
    pub policies: Json,
    /// Its role's trust policy.
    pub trust: Json,
}

pub fn functions(d: &Deployed<'_>) -> Vec<Function> {
    d.t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| {
            let role_arn = d.resolve(&r["Properties"]["Role"], &HOME);
            let role_arn = role_arn.as_str().unwrap().to_owned();
            let role_name = role_arn.rsplit('/').next().unwrap();
            let role_id = role_name.split('-').nth(1).unwrap();
            Function {
                binary: r["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                logical_id: id.as_str().unwrap().to_owned(),
                session: format!("arn:aws:sts::{HUB}:assumed-role/{role_name}/session"),
                policies: inline_policies(d, role_id, &HOME),
                trust: d.resolve(
                    &d.t["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"],
                    &HOME,
                ),
                role_arn,
            }
        })
        .collect()
}

/// A role's inline policies as the identity policies of a request.
pub fn inline_policies(d: &Deployed<'_>, role_id: &str, at: &Place<'_>) -> Json {
    let role = &d.t["Resources"][role_id];
    assert_eq!(role["Type"], "AWS::IAM::Role", "{role_id}");
    assert!(role["Properties"].get("ManagedPolicyArns").is_none());
    let policies = d.resolve(&role["Properties"]["Policies"], at);
    Json::Array(
        policies
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"name": p["PolicyName"], "policy": p["PolicyDocument"]}))
            .collect(),
    )
}

/// A request of `function` in the hub's account.
pub fn by(function: &Function, action: &str, resource: &str, expect: &'static str) -> Case {
    Case {
        name: String::new(),
        principal: function.session.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: account_of(resource).unwrap_or(HUB).to_owned(),
        context: BTreeMap::from([("aws:RequestedRegion".to_owned(), json!(REGION))]),
        identity: function.policies.clone(),
        resource_policy: None,
        expect,
    }
}

/// The account in an ARN, if it names one.
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| a.len() == 12)
}

/// A resource the declared permission's pattern covers, in `account` and `region`.
pub fn representative(p: &Permission, account: &str, region: &str) -> String {
    let arn = p
        .resource
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::Region}", region)
        .replace("${AWS::AccountId}", account);
    if arn == "*" {
        return arn;
    }
    let (pattern, example) = [
        ("arn:aws:s3:::*", BUCKET.to_owned()),
        (
            "security-group/*",
            format!("arn:aws:ec2:{region}:{account}:security-group/sg-0123456789abcdef0"),
        ),
        (
            "role/*",
            format!("arn:aws:iam::{account}:role/app-service-role"),
        ),
    ]
    .into_iter()
    .find(|(pattern, _)| arn.ends_with(pattern))
    .unwrap_or_else(|| panic!("no representative resource for {arn}: add one"));
    assert!(arn.ends_with(pattern));
    example
}

/// The value a call carries for the condition key its grant relies on.
pub fn carried(key: &str, account: &str, region: &str) -> Json {
    match key {
        "s3:ResourceAccount" => json!(account),
        "iam:PolicyARN" => json!(ADMIN),
        "aws:RequestedRegion" => json!(region),
        other => panic!("no representative value for the condition key {other}: add one"),
    }
}

/// The adapter's declared calls of `function`, each allowed in the hub's
/// account, in `region`.
pub fn declared_calls(function: &Function, configuration: &str, region: &str) -> Vec<Case> {
    let declared = remediation_catalog::named(&function.binary)
        .unwrap_or_else(|| panic!("{} is not in the catalog", function.binary))
        .permissions;
    declared
        .iter()
        .map(|p| {
            let mut case = by(function, p.action, &representative(p, HUB, region), ALLOWED)
                .with("aws:RequestedRegion", region);
            if let Some(key) = p.condition_key {
                case = case.with(key, carried(key, HUB, region));
            }
            case.name = if region == REGION {
                format!(
                    "{configuration}: {} may call {} as its adapter does",
                    function.binary, p.action
                )
            } else {
                format!(
                    "{configuration}: {} may call {} in another region of its own account, with its own role",
                    function.binary, p.action
                )
            };
            case
        })
        .collect()
}

/// The runtime's own calls of `function` in the stack, each allowed.
pub fn runtime_calls(d: &Deployed<'_>, function: &Function, configuration: &str) -> Vec<Case> {
    let f = function;
    let log_group = f.logical_id.replace("Function", "LogGroup");
    let log_group = d.name(&log_group, &HOME);
    let stream = format!(
        "arn:aws:logs:{REGION}:{HUB}:log-group:{log_group}:log-stream:2026/12/07/[$LATEST]0123"
    );
    let failed = d.attribute("FailedInvocationQueue", "Arn", &HOME);
    let hub = format!("arn:aws:securityhub:{REGION}:{HUB}:hub/default");
    let hubv2 = format!("arn:aws:securityhub:{REGION}:{HUB}:hubv2/0123");
    let mut calls = vec![
        (
            "write its log stream",
            by(f, "logs:CreateLogStream", &stream, ALLOWED),
        ),
        (
            "write its logs",
            by(f, "logs:PutLogEvents", &stream, ALLOWED),
        ),
        (
            "report a failed invocation to the failed-invocation queue",
            by(f, "sqs:SendMessage", &failed, ALLOWED),
        ),
    ];
    if d.holds("UseSecurityHub") {
        // ASFF: the workflow status and a note; OCSF: StatusId (4 Resolved,
        // 2 In Progress) and a comment.
        for (what, resource, status, note) in [
            (
                "resolve a finding with a note",
                &hub,
                ("ASFFSyntaxPath/Workflow.Status", "RESOLVED"),
                "ASFFSyntaxPath/Note.Text",
            ),
            (
                "flag a finding NOTIFIED with a note",
                &hub,
                ("ASFFSyntaxPath/Workflow.Status", "NOTIFIED"),
                "ASFFSyntaxPath/Note.Text",
            ),
            (
                "resolve an OCSF finding with a comment",
                &hubv2,
                ("OCSFSyntaxPath/StatusId", "4"),
                "OCSFSyntaxPath/Comment",
            ),
            (
                "mark an OCSF finding in progress with a comment",
                &hubv2,
                ("OCSFSyntaxPath/StatusId", "2"),
                "OCSFSyntaxPath/Comment",
            ),
        ] {
            calls.push((
                what,
                by(f, "securityhub:BatchUpdateFindings", resource, ALLOWED)
                    .with(&format!("securityhub:{}", status.0), status.1)
                    .with(&format!("securityhub:{note}"), "fixed"),
            ));
        }
    }
    if d.holds("HasNotificationTopic") {
        calls.push(("notify the topic", by(f, "sns:Publish", TOPIC, ALLOWED)));
    }
    if d.holds("FansOut") {
        let queue = d.attribute(
            &f.logical_id.replace("Function", "SweepQueue"),
            "Arn",
            &HOME,
        );
        for action in [
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ] {
            calls.push(("use its own sweep queue", by(f, action, &queue, ALLOWED)));
        }
    }
    if d.holds("ReadsOrganization") {
        let p = remediation_runtime::fanout::LIST_ACCOUNTS;
        calls.push((
            "list the organisation's accounts",
            by(f, p.action, p.resource, ALLOWED),
        ));
    }
    calls
        .into_iter()
        .map(|(what, mut case)| {
            case.name = format!("{configuration}: {} may {what} ({})", f.binary, case.action);
            case
        })
        .collect()
}

/// The member stack, deployed in a member account with the hub's role ARNs.
pub fn member_stack<'a>(member: &'a Value, hub_roles: &'a str) -> Deployed<'a> {
    Deployed {
        t: member,
        given: BTreeMap::from([
            ("HubRoleArns", hub_roles),
            ("OrganizationId", ORGANIZATION),
            ("MemberRoleName", MEMBER_ROLE),
        ]),
    }
}

pub const MEMBER_PLACE: Place<'static> = Place {
    account: MEMBER,
    region: REGION,
    stack: "StackSet-remediation-member-0123",
};

pub fn member_role_arn() -> String {
    format!("arn:aws:iam::{MEMBER}:role/{MEMBER_ROLE}")
}

/// The hub configuration's role ARNs, as its `HubRoleArns` output gives
/// them: what `member.yaml` is deployed with.
pub fn hub_roles() -> String {
    let t = stack::read("template.yaml");
    hub_role_arns(&configurations(&t)[1].stack)
}

/// The member role's trust policy, as deployed.
pub fn member_trust(m: &Deployed<'_>) -> Json {
    m.resolve(
        &m.t["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"],
        &MEMBER_PLACE,
    )
}

/// `sts:AssumeRole` of `role` in the member account by `principal` with its
/// identity policies, against the member role's trust.
pub fn assume(principal: &str, identity: &Json, role: &str, trust: &Json, org: &str) -> Case {
    Case {
        name: String::new(),
        principal: principal.to_owned(),
        action: "sts:AssumeRole".to_owned(),
        resource: role.to_owned(),
        resource_account: account_of(role).unwrap().to_owned(),
        context: BTreeMap::from([
            ("aws:RequestedRegion".to_owned(), json!(REGION)),
            ("aws:PrincipalOrgID".to_owned(), json!(org)),
            (
                "aws:PrincipalAccount".to_owned(),
                json!(account_of(principal).unwrap()),
            ),
        ]),
        identity: identity.clone(),
        resource_policy: Some(trust.clone()),
        expect: ALLOWED,
    }
}

/// The hub template's representative configurations: a single account at
/// the defaults, and a hub with its member role, organisation, Security Hub
/// trigger, notifications, the sweep with its queue and the organisation's accounts.
pub fn configurations(t: &Value) -> Vec<Configuration<'_>> {
    vec![
        Configuration {
            name: "single account",
            stack: Deployed {
                t,
                given: BTreeMap::new(),
            },
        },
        Configuration {
            name: "hub",
            stack: Deployed {
                t,
                given: BTreeMap::from([
                    ("MemberRoleName", MEMBER_ROLE),
                    ("OrganizationId", ORGANIZATION),
                    ("EnableSecurityHubTrigger", "true"),
                    ("NotificationTopicArn", TOPIC),
                    ("SweepSchedule", "rate(1 day)"),
                    ("SweepOrganizationAccounts", "true"),
                    ("TargetRegions", OTHER_REGION),
                ]),
            },
        },
    ]
}

/// The hub configuration's role ARNs, as its `HubRoleArns` output gives them.
pub fn hub_role_arns(hub: &Deployed<'_>) -> String {
    let arns = hub.resolve(&hub.t["Outputs"]["HubRoleArns"]["Value"], &HOME);
    arns.as_str().unwrap().to_owned()
}

/// The function named `binary` of a deployed stack.
pub fn function<'a>(fs: &'a [Function], binary: &str) -> &'a Function {
    fs.iter().find(|f| f.binary == binary).unwrap()
}

/// A row of the denied table: a sentence and its request.
pub fn row(name: &str, case: Case) -> Case {
    Case {
        name: name.to_owned(),
        ..case
    }
}

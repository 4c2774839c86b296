//! `template.yaml` grants each function exactly the permissions its adapter
//! declares (`PERMISSIONS` in `functions/<name>/src/aws.rs`), on the resources
//! it declares and with the conditions it declares, plus writing its own log
//! group and sending to the failed-invocation queue; never a wildcard action.
//!
//! Each function's `REMEDIATION_MODE` resolves, for every value of the mode
//! parameters, to the mode its parameters give it, and the saved Logs
//! Insights queries read every function's log group.
//!
//! # Layout
//! - this file: reading the template, its roles' statements, the functions
//!   it declares and what each is declared to need, its saved queries;
//! - `roles`: each role's grants against its adapter's declarations;
//! - `settings`: timeouts, concurrency, protections, notifications, finding
//!   updates, the dashboard;
//! - `modes`: the remediation modes, the environment, the saved queries;
//! - `wiring`: the organisation's sweep and the stack's shared parts;
//! - `member`: `member.yaml`.
//!
//! The template is read as YAML with CloudFormation's short-form tags kept as
//! tags (`!Sub`, `!GetAtt`, `!Ref`, `!If`). No AWS, no emulator.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use remediation_shared::audit::{AuditRecord, Outcome, Trigger, RECORD_TYPE};
use remediation_shared::Permission;
use serde_norway::Value;

#[path = "../stack/mod.rs"]
mod stack;
use stack::{intrinsic, Deployed};

mod member;
mod modes;
mod roles;
mod settings;
mod wiring;

fn template() -> Value {
    stack::read("template.yaml")
}

/// A scalar as the template writes it: a plain string, `!Sub "..."` as its
/// string, `!GetAtt X.Arn` as `GetAtt:X.Arn`, `!Ref X` as `Ref:X`.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            match (tag.trim_start_matches('!'), &t.value) {
                ("Sub", Value::String(s)) => s.clone(),
                ("GetAtt", Value::String(s)) => format!("GetAtt:{s}"),
                ("Ref", Value::String(s)) => format!("Ref:{s}"),
                (other, value) => panic!("unexpected !{other} {value:?}"),
            }
        }
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A string or a list of them.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(items) => items.iter().map(text).collect(),
        one => vec![text(one)],
    }
}

/// One statement of a role's inline policies.
#[derive(Debug)]
struct Statement {
    effect: String,
    actions: Vec<String>,
    resources: Vec<String>,
    condition_keys: BTreeSet<String>,
}

/// A conditional item (`!If [condition, item, !Ref AWS::NoValue]`) as what
/// it grants when its condition holds; any other item as itself.
fn granted_when_on(item: &Value) -> &Value {
    match item {
        Value::Tagged(t) if t.tag.to_string().trim_start_matches('!') == "If" => {
            let branches = t.value.as_sequence().unwrap();
            assert_eq!(text(&branches[2]), "Ref:AWS::NoValue", "{item:?}");
            &branches[1]
        }
        other => other,
    }
}

fn statements(role: &Value) -> Vec<Statement> {
    let mut out = Vec::new();
    for policy in role["Properties"]["Policies"].as_sequence().unwrap() {
        let policy = granted_when_on(policy);
        for st in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
            for forbidden in ["NotAction", "NotResource", "NotPrincipal"] {
                assert!(st.get(forbidden).is_none(), "{forbidden} in {st:?}");
            }
            let condition_keys = st
                .get("Condition")
                .and_then(Value::as_mapping)
                .map(|ops| {
                    ops.values()
                        .flat_map(|keys| keys.as_mapping().unwrap().keys().map(text))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Statement {
                effect: text(&st["Effect"]),
                actions: texts(&st["Action"]),
                resources: texts(&st["Resource"]),
                condition_keys,
            });
        }
    }
    out
}

/// (logical id of the function, its role's logical id, the binary name).
fn functions(t: &Value) -> Vec<(String, String, String)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| {
            let role = text(&r["Properties"]["Role"]);
            let role = role
                .strip_prefix("GetAtt:")
                .and_then(|r| r.strip_suffix(".Arn"))
                .unwrap_or_else(|| panic!("the role of {id:?} is not !GetAtt <Role>.Arn"))
                .to_owned();
            let binary = text(&r["Metadata"]["BuildProperties"]["Binary"]);
            (text(id), role, binary)
        })
        .collect()
}

fn declared(binary: &str) -> &'static [Permission] {
    remediation_catalog::named(binary)
        .unwrap_or_else(|| panic!("{binary} is not in the catalog"))
        .permissions
}

/// What every function may do besides remediating: write its own log group,
/// report a failed invocation to the shared queue, update the Security Hub
/// findings it acts on, when a notification topic is given publish to it,
/// and in hub mode assume the member accounts' role, send to and read its own
/// sweep queue, and, when asked, list the organisation's accounts.
fn operating(function_logical_id: &str) -> BTreeSet<(String, String)> {
    let log_group = function_logical_id.replace("Function", "LogGroup");
    let queue = format!(
        "GetAtt:{}.Arn",
        function_logical_id.replace("Function", "SweepQueue")
    );
    let sweep_queue = [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ]
    .map(|action| (action, queue.clone()));
    sweep_queue
        .into_iter()
        .chain([
            ("logs:CreateLogStream", format!("GetAtt:{log_group}.Arn")),
            ("logs:PutLogEvents", format!("GetAtt:{log_group}.Arn")),
            (
                "sqs:SendMessage",
                "GetAtt:FailedInvocationQueue.Arn".to_owned(),
            ),
            ("sns:Publish", "Ref:NotificationTopicArn".to_owned()),
            // Hub mode: the member accounts' role, which trusts only these roles.
            (
                "sts:AssumeRole",
                "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}".to_owned(),
            ),
            (
                "securityhub:BatchUpdateFindings",
                "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default"
                    .to_owned(),
            ),
            // Security Hub's OCSF findings: the same action on the V2 hub.
            (
                "securityhub:BatchUpdateFindings",
                "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hubv2/*"
                    .to_owned(),
            ),
            // Hub mode's sweep of the whole organisation: the action has no resource.
            ("organizations:ListAccounts", "*".to_owned()),
        ])
        .map(|(a, r)| (a.to_owned(), r))
        .collect()
}

fn declared_with_conditions(binary: &str) -> impl Iterator<Item = &'static Permission> {
    declared(binary)
        .iter()
        .filter(|p| p.condition_key.is_some())
}

/// One saved Logs Insights query of the stack.
#[derive(Debug)]
struct SavedQuery {
    id: String,
    name: String,
    log_groups: BTreeSet<String>,
    query: String,
}

fn saved_queries(t: &Value) -> Vec<SavedQuery> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Logs::QueryDefinition")
        .map(|(id, r)| SavedQuery {
            id: text(id),
            name: text(&r["Properties"]["Name"]),
            log_groups: texts(&r["Properties"]["LogGroupNames"])
                .into_iter()
                .collect(),
            query: text(&r["Properties"]["QueryString"]),
        })
        .collect()
}

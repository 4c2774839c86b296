//! `template.yaml` grants each function exactly the permissions its adapter
//! declares (`PERMISSIONS` in `functions/<name>/src/aws.rs`), on the resources
//! it declares and with the conditions it declares, plus writing its own log
//! group and sending to the failed-invocation queue; never a wildcard action.
//!
//! Each function's `REMEDIATION_MODE` resolves, for every value of the mode
//! parameters, to the mode its parameters give it, and the saved Logs
//! Insights queries read every function's log group.
//!
//! The template is read as YAML with CloudFormation's short-form tags kept as
//! tags (`!Sub`, `!GetAtt`, `!Ref`, `!If`). No AWS, no emulator.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use remediation_shared::audit::{AuditRecord, Outcome, Trigger, RECORD_TYPE};
use remediation_shared::Permission;
use serde_norway::Value;

mod stack;
use stack::{intrinsic, Deployed};

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

#[test]
fn the_template_declares_the_catalogs_functions_each_with_its_own_role() {
    let t = template();
    let fns = functions(&t);
    let binaries: BTreeSet<&str> = fns.iter().map(|(_, _, b)| b.as_str()).collect();
    let catalog: BTreeSet<&str> = remediation_catalog::ALL.iter().map(|f| f.name).collect();
    assert_eq!(binaries, catalog);
    let roles: BTreeSet<&str> = fns.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(
        roles.len(),
        catalog.len(),
        "a role shared between functions: {fns:?}"
    );
    for (_, role, _) in &fns {
        let r = &t["Resources"][role.as_str()];
        assert_eq!(r["Type"], "AWS::IAM::Role", "{role}");
        assert!(
            r["Properties"].get("ManagedPolicyArns").is_none(),
            "{role}: managed policies grant more than declared"
        );
        let trust = &r["Properties"]["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_sequence().unwrap().len(), 1, "{role}");
        assert_eq!(
            trust[0]["Principal"]["Service"], "lambda.amazonaws.com",
            "{role}"
        );
    }
}

#[test]
fn each_role_grants_exactly_the_declared_permissions_and_no_wildcard_action() {
    let t = template();
    for (function, role, binary) in functions(&t) {
        let statements = statements(&t["Resources"][role.as_str()]);
        let mut granted = BTreeSet::new();
        for st in statements.iter().filter(|s| s.effect == "Allow") {
            for action in &st.actions {
                assert!(!action.contains('*'), "{binary}: wildcard action {action}");
                for resource in &st.resources {
                    granted.insert((action.clone(), resource.clone()));
                }
            }
        }
        for st in statements.iter().filter(|s| s.effect != "Allow") {
            assert_eq!(st.effect, "Deny", "{binary}: {st:?}");
        }
        let declared: BTreeSet<(String, String)> = declared(&binary)
            .iter()
            .map(|p| (p.action.to_owned(), p.resource.to_owned()))
            .collect();
        // Hub mode: a grant pinned to the stack's region is granted in any
        // region too (own-account-any-region), for the hub's own account in
        // the other regions it acts in with this role itself.
        let any_region: BTreeSet<(String, String)> = declared
            .iter()
            .filter(|(_, r)| r.contains("${AWS::Region}"))
            .map(|(a, r)| (a.clone(), r.replace("${AWS::Region}", "*")))
            .collect();
        let expected: BTreeSet<_> = declared
            .union(&operating(&function))
            .chain(&any_region)
            .cloned()
            .collect();
        assert_eq!(
            granted, expected,
            "{binary}: granted (left) differs from declared (right)"
        );

        for p in declared_with_conditions(&binary) {
            let st = statements
                .iter()
                .find(|s| s.effect == "Allow" && s.actions.iter().any(|a| a == p.action))
                .unwrap();
            assert!(
                st.condition_keys.contains(p.condition_key.unwrap()),
                "{binary}: {} must be narrowed by {:?}, statement has {:?}",
                p.action,
                p.condition_key,
                st.condition_keys
            );
        }
    }
}

fn declared_with_conditions(binary: &str) -> impl Iterator<Item = &'static Permission> {
    declared(binary)
        .iter()
        .filter(|p| p.condition_key.is_some())
}

#[test]
fn a_grant_on_every_resource_is_declared_as_such() {
    // "*" is allowed only where the adapter says the action has no resource-level permissions.
    let t = template();
    for (_, role, binary) in functions(&t) {
        for st in statements(&t["Resources"][role.as_str()]) {
            if st.effect != "Allow" || !st.resources.iter().any(|r| r == "*") {
                continue;
            }
            for action in &st.actions {
                assert!(
                    declared(&binary)
                        .iter()
                        .chain([&remediation_runtime::fanout::LIST_ACCOUNTS])
                        .any(|p| p.action == action && p.resource == "*"),
                    "{binary}: {action} on * is not declared"
                );
            }
        }
    }
}

#[test]
fn detach_is_limited_to_administrator_access_and_denied_on_service_linked_and_sso_roles() {
    let t = template();
    let role = &t["Resources"]["IamDetachAdminPolicyRole"];
    let statements = statements(role);
    let detach: Vec<&Statement> = statements
        .iter()
        .filter(|s| s.actions.iter().any(|a| a == "iam:DetachRolePolicy"))
        .collect();
    let allow = detach.iter().find(|s| s.effect == "Allow").unwrap();
    assert_eq!(
        allow.actions,
        ["iam:DetachRolePolicy"],
        "detach shares its statement"
    );
    // The condition's value is the AdministratorAccess ARN of the stack's partition.
    let policy = role["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_sequence().unwrap())
        .find(|s| s["Effect"] == "Allow" && texts(&s["Action"]) == ["iam:DetachRolePolicy"])
        .unwrap();
    assert_eq!(
        text(&policy["Condition"]["ArnEquals"]["iam:PolicyARN"]),
        "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"
    );
    let denied: BTreeSet<&str> = detach
        .iter()
        .filter(|s| s.effect == "Deny")
        .flat_map(|s| s.resources.iter().map(String::as_str))
        .collect();
    assert!(denied.contains("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*"));
    assert!(denied.contains("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-reserved/*"));
}

#[test]
fn a_hung_aws_call_ends_in_a_failed_record_well_before_lambda_stops_the_function() {
    let t = template();
    let timeout = t["Globals"]["Function"]["Timeout"]
        .as_u64()
        .expect("Globals.Function.Timeout in seconds");
    let per_call = remediation_runtime::sdk::OPERATION_TIMEOUT;
    // One call that hangs to its limit, then the record: with time to spare
    // for the calls before it and for writing the record and the answer.
    assert!(
        per_call.as_secs() * 2 <= timeout,
        "an AWS call may take {per_call:?}, the function only {timeout} s"
    );
    assert!(remediation_runtime::sdk::ATTEMPT_TIMEOUT < per_call);
    // Every call is also cut at the deadline less the time kept to write the
    // record: a small part of what the function has.
    let reserve = remediation_shared::deadline::RECORD_RESERVE;
    assert!(reserve.as_millis() * 10 <= u128::from(timeout) * 1000);
}

#[test]
fn no_concurrency_is_reserved_by_default_so_new_accounts_can_deploy() {
    // A reservation fails `sam deploy` where the account's concurrency quota
    // is low (10 in many new accounts); the parameter still sets one.
    let t = template();
    assert_eq!(t["Parameters"]["ReservedConcurrency"]["Default"], -1);
}

#[test]
fn the_protected_roles_reach_the_role_function() {
    let t = template();
    assert_eq!(t["Parameters"]["ProtectedRoles"]["Default"], "default");
    let env =
        &t["Resources"]["IamDetachAdminPolicyFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(text(&env["PROTECTED_ROLES"]), "Ref:ProtectedRoles");
}

#[test]
fn notifications_reach_every_function_and_publishing_is_granted_only_with_a_topic() {
    let t = template();
    assert_eq!(
        text(&t["Globals"]["Function"]["Environment"]["Variables"]["NOTIFICATION_TOPIC_ARN"]),
        "Ref:NotificationTopicArn"
    );
    assert_eq!(t["Parameters"]["NotificationTopicArn"]["Default"], "");
    for (_, role, binary) in functions(&t) {
        let policies = t["Resources"][role.as_str()]["Properties"]["Policies"]
            .as_sequence()
            .unwrap();
        let notify = policies
            .iter()
            .find(|p| granted_when_on(p)["PolicyName"] == "notify")
            .unwrap_or_else(|| panic!("{binary}: no notify policy"));
        let Value::Tagged(t) = notify else {
            panic!("{binary}: the notify policy is granted whether or not a topic is given")
        };
        assert_eq!(
            text(&t.value.as_sequence().unwrap()[0]),
            "HasNotificationTopic"
        );
    }
}

#[test]
fn a_finding_update_may_set_only_its_workflow_status_and_note() {
    let t = template();
    for (_, role, binary) in functions(&t) {
        let statements = statements(&t["Resources"][role.as_str()]);
        let updates: Vec<&Statement> = statements
            .iter()
            .filter(|s| {
                s.actions
                    .iter()
                    .any(|a| a == "securityhub:BatchUpdateFindings")
            })
            .collect();
        let allow: Vec<_> = updates.iter().filter(|s| s.effect == "Allow").collect();
        assert_eq!(allow.len(), 2, "{binary}: one grant for ASFF, one for OCSF");
        for key in [
            "securityhub:ASFFSyntaxPath/Workflow.Status",
            "securityhub:OCSFSyntaxPath/StatusId",
        ] {
            assert!(
                allow.iter().any(|s| s.condition_keys.contains(key)),
                "{binary}: {key} is not restricted, so any status may be set"
            );
        }
        let denied: BTreeSet<String> = updates
            .iter()
            .filter(|s| s.effect == "Deny")
            .flat_map(|s| s.condition_keys.iter().cloned())
            .collect();
        for field in [
            "Severity.Label",
            "Confidence",
            "Criticality",
            "Types",
            "VerificationState",
        ] {
            assert!(
                denied.contains(&format!("securityhub:ASFFSyntaxPath/{field}")),
                "{binary}: {field} may be updated"
            );
        }
        assert!(
            denied.contains("securityhub:OCSFSyntaxPath/SeverityId"),
            "{binary}: an OCSF finding's severity may be updated"
        );
    }
}

#[test]
fn the_dashboard_shows_remediations_time_to_remediate_failures_throttles_and_queues() {
    let t = template();
    let body = text(&t["Resources"]["Dashboard"]["Properties"]["DashboardBody"]);
    // Every `${...}` names a pseudo parameter or a resource of the stack.
    let mut json = String::new();
    let mut rest = body.as_str();
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 2..end];
        let resource = name.split('.').next().unwrap();
        assert!(
            name.starts_with("AWS::") || t["Resources"].get(resource).is_some(),
            "the dashboard names {name}, which the stack does not have"
        );
        json.push_str(&rest[..start]);
        json.push_str("placeholder");
        rest = &rest[end + 1..];
    }
    json.push_str(rest);
    let dashboard: serde_json::Value = serde_json::from_str(&json).unwrap();
    let widgets = dashboard["widgets"].as_array().unwrap();
    let all = serde_json::to_string(widgets).unwrap();
    for needed in [
        r#"SEARCH('{AutoRemediation,Function,Outcome} MetricName=\"Remediations\"', 'Sum', 300)"#,
        r#"MetricName=\"TimeToRemediate\"', 'p50'"#,
        r#"MetricName=\"TimeToRemediate\"', 'p90'"#,
        r#"MetricName=\"TimeToRemediate\"', 'Maximum'"#,
        r#"Outcome=\"failed\""#,
        r#""AWS/Lambda","Errors""#,
        r#""AWS/Lambda","Throttles""#,
        r#""AWS/SQS","ApproximateNumberOfMessagesVisible""#,
    ] {
        assert!(all.contains(needed), "the dashboard lacks {needed}");
    }
    for function in [
        "S3BlockPublicAccessFunction",
        "SgRevokeOpenSshFunction",
        "IamDetachAdminPolicyFunction",
    ] {
        assert_eq!(
            body.matches(&format!("${{{function}}}")).count(),
            2,
            "{function}: errors and throttles"
        );
    }
}

/// The values every mode parameter allows: empty (follow the default, or the
/// older dry-run switch), and the three modes.
const MODES: [&str; 4] = ["", "auto", "propose", "dry-run"];

/// The parameters a value refers to (`!Ref`), through `!If`'s branches.
fn refs(v: &Value) -> BTreeSet<String> {
    match intrinsic(v) {
        Some((function, arg)) if function == "Ref" => {
            BTreeSet::from([arg.as_str().unwrap().to_owned()])
        }
        Some((function, arg)) if function == "If" => arg.as_sequence().unwrap()[1..]
            .iter()
            .flat_map(refs)
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// (binary, the mode parameter of its own, its `REMEDIATION_MODE` as written)
/// of every function: its own is the parameter its mode names besides the
/// stack's `RemediationMode`.
fn remediation_modes(t: &Value) -> Vec<(String, String, &Value)> {
    functions(t)
        .into_iter()
        .map(|(function, _, binary)| {
            let mode = t["Resources"][function.as_str()]["Properties"]["Environment"]["Variables"]
                .get("REMEDIATION_MODE")
                .unwrap_or_else(|| panic!("{binary}: no REMEDIATION_MODE"));
            let mut own = refs(mode);
            own.remove("RemediationMode");
            assert_eq!(own.len(), 1, "{binary}: REMEDIATION_MODE names {own:?}");
            let own = own.pop_first().unwrap();
            (binary, own, mode)
        })
        .collect()
}

#[test]
fn each_functions_mode_is_its_own_parameter_else_remediation_mode_but_the_accounts_never_follows_it(
) {
    let t = template();
    let account = remediation_catalog::ACCOUNT_PUBLIC_ACCESS.name;
    let modes = remediation_modes(&t);
    assert_eq!(modes.len(), remediation_catalog::ALL.len());
    let own: BTreeSet<&str> = modes.iter().map(|(_, own, _)| own.as_str()).collect();
    assert_eq!(own.len(), modes.len(), "a mode parameter shared: {own:?}");
    for (binary, own, mode) in &modes {
        if binary == account {
            assert_eq!(own, "AccountRemediationMode");
        }
        for default in MODES {
            for mine in MODES {
                let stack = Deployed {
                    t: &t,
                    given: BTreeMap::from([("RemediationMode", default), (own.as_str(), mine)]),
                };
                // Empty leaves DRY_RUN (AccountDryRun for the account) to decide.
                let expected = match (mine, binary == account) {
                    ("", true) => "",
                    ("", false) => default,
                    (mine, _) => mine,
                };
                assert_eq!(
                    stack.value(mode),
                    expected,
                    "{binary} with RemediationMode={default:?} and {own}={mine:?}"
                );
            }
        }
    }
    // DryRun and AccountDryRun as before: the older switch the functions read
    // when REMEDIATION_MODE is empty.
    assert_eq!(
        text(&t["Globals"]["Function"]["Environment"]["Variables"]["DRY_RUN"]),
        "Ref:DryRun"
    );
    for (function, _, binary) in functions(&t) {
        let dry_run = t["Resources"][function.as_str()]["Properties"]["Environment"]["Variables"]
            .get("DRY_RUN");
        if binary == account {
            assert_eq!(dry_run.map(text).as_deref(), Some("Ref:AccountDryRun"));
        } else {
            assert!(dry_run.is_none(), "{binary}: a DRY_RUN of its own");
        }
    }
}

#[test]
fn every_mode_parameter_allows_exactly_auto_propose_dry_run_or_empty_and_is_empty_by_default() {
    let t = template();
    let mut expected: BTreeSet<String> = remediation_modes(&t)
        .into_iter()
        .map(|(_, own, _)| own)
        .collect();
    expected.insert("RemediationMode".to_owned());
    let named: BTreeSet<String> = t["Parameters"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(text)
        .filter(|name| name.ends_with("RemediationMode"))
        .collect();
    assert_eq!(named, expected, "a mode parameter no function reads");
    for name in &expected {
        let parameter = &t["Parameters"][name.as_str()];
        assert_eq!(parameter["Type"], "String", "{name}");
        assert_eq!(parameter["Default"], "", "{name}");
        let allowed: Vec<&str> = parameter["AllowedValues"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{name}: no AllowedValues"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(allowed, MODES, "{name}");
    }
    // Each says which switch it wins over.
    let description = |name: &str| text(&t["Parameters"][name]["Description"]);
    assert!(description("RemediationMode").contains("wins over DryRun"));
    assert!(description("AccountRemediationMode").contains("wins over AccountDryRun"));
}

#[test]
fn the_checkov_note_on_the_environment_names_every_variable_the_functions_hold() {
    // CKV_AWS_173 is skipped because the environment holds no secret: the
    // note says what it holds, so a new variable is seen there too.
    let t = template();
    let variables = |env: &Value| -> Vec<String> {
        env.as_mapping()
            .map(|m| m.keys().map(text).collect())
            .unwrap_or_default()
    };
    let globals = variables(&t["Globals"]["Function"]["Environment"]["Variables"]);
    assert!(globals.iter().any(|v| v == "STACK_NAME"), "{globals:?}");
    for (function, _, binary) in functions(&t) {
        let resource = &t["Resources"][function.as_str()];
        let note = resource["Metadata"]["checkov"]["skip"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|skip| skip["id"] == "CKV_AWS_173")
            .map(|skip| text(&skip["comment"]))
            .unwrap_or_else(|| panic!("{binary}: no note on CKV_AWS_173"));
        let own = variables(&resource["Properties"]["Environment"]["Variables"]);
        for variable in globals.iter().chain(&own) {
            assert!(
                note.contains(variable.as_str()),
                "{binary}: the note lacks {variable}"
            );
        }
    }
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

/// The columns a query shows (its `fields` commands) and sorts by.
fn columns(query: &str) -> Vec<&str> {
    query
        .lines()
        .map(|line| line.trim().trim_start_matches('|').trim())
        .flat_map(|command| {
            if let Some(fields) = command.strip_prefix("fields ") {
                fields.split(',').map(str::trim).collect()
            } else if let Some(sort) = command.strip_prefix("sort ") {
                sort.split_whitespace().take(1).collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// The outcomes a query keeps (`outcome = "..."`).
fn outcomes(query: &str) -> Vec<&str> {
    query
        .split(r#"outcome = ""#)
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

#[test]
fn three_saved_queries_read_every_functions_audit_records_of_one_outcome() {
    let t = template();
    // Where each function logs, as its logging configuration says.
    let log_groups: BTreeSet<String> = functions(&t)
        .iter()
        .map(|(function, _, binary)| {
            let group =
                text(&t["Resources"][function.as_str()]["Properties"]["LoggingConfig"]["LogGroup"]);
            let id = group
                .strip_prefix("Ref:")
                .unwrap_or_else(|| panic!("{binary}: its log group is not !Ref <LogGroup>"));
            assert_eq!(
                t["Resources"][id]["Type"], "AWS::Logs::LogGroup",
                "{binary}"
            );
            group
        })
        .collect();
    assert_eq!(log_groups.len(), remediation_catalog::ALL.len());
    // The fields a query may name: those of a real record, as it is logged.
    let record = serde_json::to_value(AuditRecord::new(
        "function",
        "request",
        "action",
        Trigger::default(),
        Outcome::Failed,
        "reason",
    ))
    .unwrap();
    let queries = saved_queries(&t);
    let wanted = [
        // `proposed` is propose mode's outcome: recorded, nothing changed.
        ("${AWS::StackName}/proposals awaiting approval", "proposed"),
        (
            "${AWS::StackName}/fixes of the last day",
            Outcome::Remediated.as_str(),
        ),
        ("${AWS::StackName}/failures", Outcome::Failed.as_str()),
    ];
    assert_eq!(queries.len(), wanted.len(), "{queries:#?}");
    for (name, outcome) in wanted {
        let q = queries
            .iter()
            .find(|q| q.name == name)
            .unwrap_or_else(|| panic!("no saved query {name}"));
        assert_eq!(q.log_groups, log_groups, "{name}: the log groups it reads");
        assert!(
            q.query
                .starts_with(&format!(r#"filter record_type = "{RECORD_TYPE}""#)),
            "{name}: not only audit records: {}",
            q.query
        );
        assert_eq!(outcomes(&q.query), [outcome], "{name}");
        let columns = columns(&q.query);
        for column in [
            "timestamp",
            "function",
            "account",
            "region",
            "resource",
            "reason",
        ] {
            assert!(columns.contains(&column), "{name} does not show {column}");
        }
        for column in columns.iter().filter(|c| !c.starts_with('@')) {
            let found = column
                .split('.')
                .try_fold(&record, |value, key| value.get(key));
            assert!(found.is_some(), "{name}: a record has no field {column}");
        }
        assert!(
            q.query.ends_with("| sort timestamp desc"),
            "{name}: not newest first"
        );
        // An output names it, as the console lists it.
        let output = q.id.strip_suffix("Definition").unwrap();
        assert_eq!(
            t["Outputs"][output].get("Value").map(text).as_deref(),
            Some(name),
            "{name}: no output {output}"
        );
    }
    let by_name = |name: &str| {
        &queries
            .iter()
            .find(|q| q.name.ends_with(name))
            .unwrap()
            .query
    };
    assert!(columns(by_name("/failures")).contains(&"error_code"));
    // A saved query keeps no time range: this one keeps the last 24 hours
    // itself (`now()` is in epoch seconds, `toMillis` in milliseconds).
    assert!(
        by_name("/fixes of the last day")
            .contains("| filter toMillis(@timestamp) >= (now() * 1000 - 86400000)"),
        "the fixes are not limited to the last day"
    );
}

/// The policy of `role` named `name`, and the condition it is granted under.
fn conditional_policy<'a>(role: &'a Value, name: &str) -> (String, &'a Value) {
    role["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .find_map(|p| match p {
            Value::Tagged(t) if t.tag.to_string().trim_start_matches('!') == "If" => {
                let branches = t.value.as_sequence().unwrap();
                (branches[1]["PolicyName"] == name)
                    .then(|| (branches[0].as_str().unwrap().to_owned(), &branches[1]))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no conditional policy {name}"))
}

#[test]
fn an_organisations_sweep_fans_out_on_each_functions_own_queue_only_in_hub_mode() {
    let t = template();
    let resources = &t["Resources"];
    let condition = |id: &str| resources[id]["Condition"].as_str().unwrap_or("").to_owned();
    let fans_out = format!("{:?}", t["Conditions"]["FansOut"]);
    assert!(
        fans_out.contains("HubMode") && fans_out.contains("Sweeps"),
        "{fans_out}"
    );
    let dead_letters = &resources["SweepDeadLetterQueue"];
    assert_eq!(condition("SweepDeadLetterQueue"), "FansOut");
    assert_eq!(dead_letters["Properties"]["SqsManagedSseEnabled"], true);
    let alarm = &resources["SweepDeadLetterQueueAlarm"]["Properties"];
    assert_eq!(
        text(&alarm["Dimensions"][0]["Value"]),
        "GetAtt:SweepDeadLetterQueue.QueueName"
    );
    assert_eq!(alarm["MetricName"], "ApproximateNumberOfMessagesVisible");
    for (function, role, binary) in functions(&t) {
        let queue_id = function.replace("Function", "SweepQueue");
        let mapping_id = function.replace("Function", "SweepPlaces");
        // A queue of its own, failing over to the dead-letter queue.
        let queue = &resources[queue_id.as_str()];
        assert_eq!(queue["Type"], "AWS::SQS::Queue", "{binary}");
        assert_eq!(condition(&queue_id), "FansOut", "{binary}");
        let redrive = &queue["Properties"]["RedrivePolicy"];
        assert_eq!(
            text(&redrive["deadLetterTargetArn"]),
            "GetAtt:SweepDeadLetterQueue.Arn",
            "{binary}"
        );
        assert!(redrive["maxReceiveCount"].as_u64().unwrap() > 1, "{binary}");
        // Lambda's advice: a visibility timeout of six times the function's.
        let timeout = t["Globals"]["Function"]["Timeout"].as_u64().unwrap();
        assert!(
            queue["Properties"]["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout,
            "{binary}"
        );
        // Delivered to the function one place at a time, at most SweepConcurrency at once.
        let mapping = &resources[mapping_id.as_str()];
        assert_eq!(
            mapping["Type"], "AWS::Lambda::EventSourceMapping",
            "{binary}"
        );
        assert_eq!(condition(&mapping_id), "FansOut", "{binary}");
        let m = &mapping["Properties"];
        assert_eq!(text(&m["FunctionName"]), format!("Ref:{function}"));
        assert_eq!(text(&m["EventSourceArn"]), format!("GetAtt:{queue_id}.Arn"));
        assert_eq!(m["BatchSize"], 1, "{binary}");
        assert_eq!(
            texts(&m["FunctionResponseTypes"]),
            ["ReportBatchItemFailures"]
        );
        assert_eq!(
            text(&m["ScalingConfig"]["MaximumConcurrency"]),
            "Ref:SweepConcurrency"
        );
        // The function learns its queue only in hub mode.
        let env = &resources[function.as_str()]["Properties"]["Environment"]["Variables"];
        let url = match &env["SWEEP_QUEUE_URL"] {
            Value::Tagged(t) if t.tag.to_string().trim_start_matches('!') == "If" => {
                t.value.as_sequence().unwrap()
            }
            other => panic!("{binary}: SWEEP_QUEUE_URL is {other:?}"),
        };
        assert_eq!(url[0], "FansOut", "{binary}");
        assert_eq!(text(&url[1]), format!("Ref:{queue_id}"), "{binary}");
        // It may send to and read its own queue, only in hub mode, and no other queue.
        let role = &resources[role.as_str()];
        let (when, policy) = conditional_policy(role, "sweep-queue");
        assert_eq!(when, "FansOut", "{binary}");
        let st = &policy["PolicyDocument"]["Statement"][0];
        assert_eq!(texts(&st["Resource"]), [format!("GetAtt:{queue_id}.Arn")]);
        let (when, _) = conditional_policy(role, "list-accounts");
        assert_eq!(when, "ReadsOrganization", "{binary}");
        for st in statements(role) {
            if st.actions.iter().any(|a| a.starts_with("sqs:")) {
                for r in &st.resources {
                    assert!(
                        [
                            format!("GetAtt:{queue_id}.Arn"),
                            "GetAtt:FailedInvocationQueue.Arn".into()
                        ]
                        .contains(r),
                        "{binary}: an SQS grant on {r}"
                    );
                }
            }
        }
    }
    // The organisation's accounts are read only when asked for, and only without a list.
    let reads = format!("{:?}", t["Conditions"]["ReadsOrganization"]);
    for needed in ["FansOut", "SweepOrganizationAccounts", "TargetAccounts"] {
        assert!(reads.contains(needed), "{needed}: {reads}");
    }
}

/// Everything a function has in the stack's shared parts, for every function
/// of the catalog: an alarm on its errors, its lines on the dashboard, its
/// outputs, its log group among the audit logs and in every saved query, its role among those the
/// member role trusts, and every rule that has a dead-letter queue allowed
/// to send to it (EventBridge cannot, otherwise, and drops the event).
#[test]
fn every_function_is_wired_into_the_stacks_shared_parts() {
    let t = template();
    let resources = &t["Resources"];
    let outputs = &t["Outputs"];
    let joined = |output: &str| format!("{:?}", outputs[output]["Value"]);
    let allowed = format!(
        "{:?}",
        resources["UndeliveredEventQueuePolicy"]["Properties"]["PolicyDocument"]
    );
    let dashboard = text(&resources["Dashboard"]["Properties"]["DashboardBody"]);
    let queries = saved_queries(&t);
    assert!(
        !queries.is_empty(),
        "the stack saves no Logs Insights query"
    );
    for (function, role, binary) in functions(&t) {
        let prefix = function.strip_suffix("Function").unwrap();
        let alarm = &resources[format!("{prefix}ErrorsAlarm").as_str()]["Properties"];
        assert_eq!(alarm["MetricName"], "Errors", "{binary}: no errors alarm");
        assert_eq!(
            text(&alarm["Dimensions"][0]["Value"]),
            format!("Ref:{function}"),
            "{binary}"
        );
        assert_eq!(
            dashboard.matches(&format!("${{{function}}}")).count(),
            2,
            "{binary}: the dashboard's errors and throttles"
        );
        for output in ["FunctionName", "FunctionArn"] {
            assert!(
                outputs.get(format!("{prefix}{output}").as_str()).is_some(),
                "{binary}: no output {prefix}{output}"
            );
        }
        assert!(
            joined("LogGroups").contains(&format!("{prefix}LogGroup")),
            "{binary}: its log group is not in the LogGroups output"
        );
        for query in &queries {
            assert!(
                query.log_groups.contains(&format!("Ref:{prefix}LogGroup")),
                "{binary}: its log group is not read by the saved query {:?}",
                query.name
            );
        }
        assert!(
            joined("HubRoleArns").contains(&format!("\"{role}.Arn\"")),
            "{binary}: the member role would not trust {role} (HubRoleArns)"
        );
        let events = resources[function.as_str()]["Properties"]["Events"]
            .as_mapping()
            .unwrap();
        for (name, event) in events {
            if event["Properties"].get("DeadLetterConfig").is_some() {
                let rule = format!("{function}{}", text(name));
                assert!(
                    allowed.contains(&format!("\"{rule}.Arn\"")),
                    "{binary}: rule {rule} has a dead-letter queue that it may not send to"
                );
            }
        }
    }
}

fn member_template() -> Value {
    stack::read("member.yaml")
}

#[test]
fn the_member_template_is_plain_cloudformation_for_service_managed_stacksets() {
    let t = member_template();
    // Service-managed StackSets reject macros: no transform, and nothing that
    // needs one, no nested stack, no key per account and region.
    assert!(t.get("Transform").is_none(), "member.yaml has a transform");
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        let kind = text(&r["Type"]);
        assert!(
            !kind.starts_with("AWS::Serverless::")
                && kind != "AWS::CloudFormation::Stack"
                && kind != "AWS::KMS::Key",
            "{id:?}: {kind}"
        );
    }
}

#[test]
fn the_member_role_grants_the_union_of_the_functions_permissions_in_any_region() {
    let t = member_template();
    let role = &t["Resources"]["MemberRole"];
    // It trusts only the hub functions' roles, from inside the organisation.
    let trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap();
    assert_eq!(trust.len(), 1);
    assert_eq!(text(&trust[0]["Principal"]["AWS"]), "Ref:HubRoleArns");
    assert_eq!(
        text(&trust[0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"]),
        "Ref:OrganizationId"
    );
    assert!(role["Properties"].get("ManagedPolicyArns").is_none());

    // One role serves every region, so a grant pinned to the hub's region
    // (a resource in it, `aws:RequestedRegion`) is the same grant in any region.
    let any_region = |resource: &str| resource.replace("${AWS::Region}", "*");
    let expected: BTreeSet<(String, String)> = remediation_catalog::ALL
        .iter()
        .flat_map(|f| f.permissions.iter())
        .map(|p| (p.action.to_owned(), any_region(p.resource)))
        .collect();
    let member = statements(role);
    let mut granted = BTreeSet::new();
    for st in member.iter().filter(|s| s.effect == "Allow") {
        for action in &st.actions {
            for resource in &st.resources {
                granted.insert((action.clone(), resource.clone()));
            }
        }
    }
    assert_eq!(
        granted, expected,
        "granted (left) differs from the union of declared (right)"
    );
    for p in remediation_catalog::ALL
        .iter()
        .flat_map(|f| declared_with_conditions(f.name))
        .filter(|p| p.condition_key != Some("aws:RequestedRegion"))
    {
        let narrowed = member.iter().any(|s| {
            s.effect == "Allow"
                && s.actions.iter().any(|a| a == p.action)
                && s.condition_keys.contains(p.condition_key.unwrap())
        });
        assert!(
            narrowed,
            "{} must be narrowed by {:?}",
            p.action, p.condition_key
        );
    }
    // The Deny statements of the hub's roles hold in the member too.
    let denied = |statements: &[Statement]| -> BTreeSet<(String, String)> {
        statements
            .iter()
            .filter(|s| s.effect == "Deny")
            .flat_map(|s| {
                s.actions
                    .iter()
                    .flat_map(|a| s.resources.iter().map(move |r| (a.clone(), r.clone())))
            })
            .filter(|(a, _)| a != "securityhub:BatchUpdateFindings")
            .collect()
    };
    let hub = template();
    let hub_denied: BTreeSet<_> = functions(&hub)
        .iter()
        .flat_map(|(_, r, _)| denied(&statements(&hub["Resources"][r.as_str()])))
        .collect();
    assert_eq!(denied(&member), hub_denied);
}

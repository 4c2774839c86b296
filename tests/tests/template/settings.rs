//! The stack's settings that reach every function: timeouts under Lambda's
//! deadline, no reserved concurrency by default, the protected roles,
//! notifications, what a finding update may set, and the dashboard.

use super::*;

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

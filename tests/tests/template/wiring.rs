//! The organisation's sweep (each function's own queue, only in hub mode)
//! and every function wired into the stack's shared parts.

use super::*;

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

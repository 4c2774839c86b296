//! The remediation modes: each function's `REMEDIATION_MODE` for every value
//! of the mode parameters; the environment the checkov note names; the
//! saved Logs Insights queries over every function's log group.

use super::*;

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

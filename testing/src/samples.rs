//! The sample events of `events/` and the manifest of the samples each
//! function acts on (`events/acted-on.json`), and the checks every function
//! makes of its scope against them: each of its own samples reads as its
//! table says, every sample it does not act on is skipped or refused without
//! a panic, and the manifest says exactly which samples name a target.
//!
//! It reads files only. It knows no function: each passes its scope.

use std::collections::BTreeMap;
use std::path::PathBuf;

use remediation_shared::finding::{normalize, Item};
use remediation_shared::Scope;
use serde_json::Value;

use crate::repo::repo_root;

/// `events/`.
pub fn events_dir() -> PathBuf {
    repo_root().join("events")
}

/// The sample `events/<function>/<file>` as JSON.
pub fn load(function: &str, file: &str) -> Value {
    let path = events_dir().join(function).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every sample, as `<folder>/<file>`, sorted.
pub fn all() -> Vec<String> {
    let mut all = Vec::new();
    for dir in std::fs::read_dir(events_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                all.push(format!(
                    "{}/{}",
                    dir.file_name().unwrap().to_string_lossy(),
                    file.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    all.sort();
    all
}

/// The samples the manifest says `function` acts on, as `<folder>/<file>`.
pub fn acted_on(function: &str) -> Vec<String> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("acted-on.json")).unwrap())
            .unwrap();
    manifest[function]
        .as_array()
        .unwrap_or_else(|| panic!("events/acted-on.json has no list for {function}"))
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// How scope `S` reads the sample at `<folder>/<file>`: one line per item,
/// `target <arn>` or `skip`, or `malformed: <error>`.
pub fn read<S: Scope>(sample: &str) -> Vec<String> {
    let text = std::fs::read_to_string(events_dir().join(sample)).unwrap();
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return vec!["malformed: not JSON".into()];
    };
    match normalize::<S>(value) {
        Ok(finding) => finding
            .items
            .iter()
            .map(|item| match item {
                Item::Target(t) => format!("target {}", t.arn()),
                Item::Skip(_) => "skip".into(),
            })
            .collect(),
        Err(e) => vec![format!("malformed: {e}")],
    }
}

/// Checks scope `S` against every sample: its own (the files of
/// `events/<S::FUNCTION>/`) read exactly as `table` says, and the manifest
/// lists exactly the samples of any folder from which `S` reads a target (so
/// every other sample is skipped or refused).
///
/// The table has a row per sample: its file name, then the lines of [`read`]
/// for it, one per item (`target <arn>`, `skip`), or `malformed <field>` for
/// a refusal that names the field. A line that does not start with a file
/// name adds an item to the row above; a line starting with `#` is a comment.
pub fn check_scope<S: Scope>(table: &str) {
    let expected = parse_table(table);
    let function = S::FUNCTION;
    let own_prefix = format!("{function}/");
    let mut targets = Vec::new();
    let mut own = Vec::new();
    for sample in all() {
        let read = read::<S>(&sample);
        if read.iter().any(|l| l.starts_with("target ")) {
            targets.push(sample.clone());
        }
        let Some(file) = sample.strip_prefix(&own_prefix) else {
            continue;
        };
        own.push(file.to_owned());
        let want = expected
            .get(file)
            .unwrap_or_else(|| panic!("{sample} has no expectation in {function}'s table"));
        match want.as_slice() {
            [one] if one.starts_with("malformed ") => {
                let field = &one["malformed ".len()..];
                assert!(
                    read.len() == 1 && read[0].starts_with("malformed:") && read[0].contains(field),
                    "{sample}: expected a refusal naming {field}, got {read:?}"
                );
            }
            _ => assert_eq!(read, *want, "{sample}"),
        }
    }
    for file in expected.keys() {
        assert!(
            own.iter().any(|o| o == file),
            "the table names {file}, which is not a sample"
        );
    }
    let mut listed = acted_on(function);
    listed.sort();
    assert_eq!(
        targets, listed,
        "events/acted-on.json must list exactly the samples {function} reads a target from"
    );
}

/// The rows of a table of [`check_scope`]: file name to items.
fn parse_table(table: &str) -> BTreeMap<&str, Vec<&str>> {
    let mut rows: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut last = None;
    for line in table.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (first, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let (file, item) = if first.ends_with(".json") {
            assert!(!rows.contains_key(first), "{first}: two rows in the table");
            (first, rest.trim())
        } else {
            (
                last.unwrap_or_else(|| panic!("{line}: an item before any file")),
                line,
            )
        };
        let items = rows.entry(file).or_default();
        if !item.is_empty() {
            items.push(item);
        }
        last = Some(file);
    }
    rows
}

/// An EventBridge envelope around `detail`, in the samples' account and region.
pub fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
    serde_json::json!({"version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
           "account": "123456789012", "region": "us-east-1", "resources": [], "detail": detail})
}

/// A NON_COMPLIANT result of Config rule `rule` for the resource of
/// `resource_type` with id `id`, in eu-west-1.
pub fn config_change(resource_type: &str, id: &str, rule: &str) -> Value {
    envelope(
        "aws.config",
        "Config Rules Compliance Change",
        serde_json::json!({"resourceId": id, "resourceType": resource_type, "configRuleName": rule,
               "awsRegion": "eu-west-1", "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}}),
    )
}

/// A failed Security Hub finding on one resource of type `ty` named by
/// `arn`: consolidated (`control` given), or per-standard (its standard and
/// id in `product_fields`).
pub fn security_hub(ty: &str, arn: &str, control: Option<&str>, product_fields: Value) -> Value {
    envelope(
        "aws.securityhub",
        "Security Hub Findings - Imported",
        serde_json::json!({"findings": [{"Id": "f-1", "AwsAccountId": "123456789012", "Region": "us-east-1",
               "Compliance": {"Status": "FAILED", "SecurityControlId": control},
               "ProductFields": product_fields,
               "Resources": [{"Type": ty, "Id": arn}]}]}),
    )
}

/// A row of a scope's reading table: its name (a sentence), the event, and
/// the lines it reads as, or a field that its refusal names.
pub type Reading = (&'static str, Value, Result<Vec<&'static str>, &'static str>);

/// Checks each row of `rows` against scope `S`: the event reads as the
/// row's lines (`describe` renders each target, a skip is `skip <reason>`),
/// or is refused with an error that names the row's field.
pub fn check_readings<S: Scope>(
    rows: Vec<Reading>,
    describe: impl Fn(&remediation_shared::Target<S::Resource>) -> String,
) {
    for (name, event, expected) in rows {
        let read = normalize::<S>(event).map(|finding| {
            finding
                .items
                .iter()
                .map(|item| match item {
                    Item::Target(t) => describe(t),
                    Item::Skip(s) => format!("skip {}", s.reason),
                })
                .collect::<Vec<_>>()
        });
        match (read, expected) {
            (Ok(items), Ok(want)) => assert_eq!(items, want, "{name}"),
            (Err(err), Err(field)) => assert!(err.to_string().contains(field), "{name}: {err}"),
            (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
        }
    }
}

/// Checks the table of checks of a function whose fix makes the whole of each
/// check hold: one row for each Security Hub control, Config rule and
/// GuardDuty type its scope `S` answers, in that order, each saying what it
/// requires and where that is stated, and nothing else; `verdict` resolves
/// each of them and a trigger that names no check, and never a control the
/// table does not list (`EC2.2`, a default group's: no function's fix makes it hold).
pub fn check_conditions<S: Scope>(
    table: &[remediation_shared::control::Condition],
    verdict: impl Fn(&remediation_shared::Basis) -> Option<remediation_shared::Verdict>,
) {
    use remediation_shared::control::Answer;
    use remediation_shared::Basis;
    let mut answered: Vec<Answer> = Vec::new();
    answered.extend(S::SECURITY_HUB_CONTROLS.iter().map(|c| Answer::Control(c)));
    answered.extend(S::CONFIG_RULES.iter().map(|r| Answer::ConfigRule(r)));
    answered.extend(S::GUARDDUTY_TYPES.iter().map(|t| Answer::GuardDuty(t)));
    let rows: Vec<Answer> = table.iter().map(|row| row.answers).collect();
    assert_eq!(
        rows,
        answered,
        "{}: one row per check answered",
        S::FUNCTION
    );
    for row in table {
        assert!(
            !row.requires.is_empty() && !row.source.is_empty(),
            "{row:?}"
        );
        let basis = match row.answers {
            Answer::Control(c) => Basis::Control(c.into()),
            // As Security Hub deploys the rule: a prefix and a suffix.
            Answer::ConfigRule(r) => Basis::ConfigRule(format!("securityhub-{r}-1a2b3c")),
            Answer::GuardDuty(t) => Basis::GuardDuty {
                finding_type: t.into(),
                probed_ports: Vec::new(),
            },
        };
        let v = verdict(&basis).unwrap_or_else(|| panic!("{row:?} is not verified"));
        assert!(v.holds, "{row:?}");
    }
    assert_eq!(verdict(&Basis::Control("EC2.2".into())), None);
    for own in [Basis::Sweep, Basis::ApiCall("Call".into()), Basis::Unnamed] {
        assert!(verdict(&own).is_some_and(|v| v.holds), "{own:?}");
    }
}

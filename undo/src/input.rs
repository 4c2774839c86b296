//! Reading audit records as people export them: one JSON value per line,
//! either the record itself (as the function printed it), a Lambda JSON log
//! line with the record in `message` (as an object or as a JSON string), or a
//! CloudWatch Logs Insights export row with it in `@message`.
//!
//! Owns the recognition of a record and the checks that it is one this tool
//! can undo (record type, schema version, outcome, `changes`, `before`). Pure:
//! no AWS, no files; what to restore is the function's kit's.

use serde_json::Value;

use remediation_shared::audit::{RECORD_TYPE, SCHEMA_VERSION};

/// A line that is not an audit record this tool can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not JSON (a truncated line, a stray header).
    #[error("not JSON ({0}); a record is one JSON object per line")]
    NotJson(String),
    /// JSON, but no audit record in it.
    #[error("no audit record: expected a record, or one in `message` or `@message`")]
    NoRecord,
    /// A record of another kind (the sweep's summary, a metric document).
    #[error("record_type {0:?} is not {RECORD_TYPE:?}")]
    RecordType(String),
    /// A record of a schema version this tool does not read.
    #[error("schema_version {0} is not {SCHEMA_VERSION}, the version this tool reads")]
    SchemaVersion(String),
    /// A field the undo needs is missing or not what it should be.
    #[error("field {field}: {problem}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// What a line holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// An audit record of a change that can be undone.
    Undoable(Value),
    /// An audit record with nothing to undo (not `remediated`, or no
    /// `changes`): reported and skipped.
    NothingToUndo {
        /// The record.
        record: Value,
        /// Why there is nothing to undo.
        why: String,
    },
}

/// The lines of an input: one record per line, or, for the JSON array that
/// the Logs Insights console downloads ("Download table (JSON)"), one per
/// element.
pub fn split(text: &str) -> Vec<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(trimmed) {
            return items.iter().map(Value::to_string).collect();
        }
    }
    text.lines().map(str::to_owned).collect()
}

/// Reads one line. Blank lines are `None`.
pub fn read_line(line: &str) -> Option<Result<Line, InputError>> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    Some(read(line))
}

fn read(line: &str) -> Result<Line, InputError> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| InputError::NotJson(e.to_string()))?;
    let record = unwrap_record(value)?;
    check(record)
}

/// The record inside a log line or an export row, or the value itself.
fn unwrap_record(value: Value) -> Result<Value, InputError> {
    if value.get("record_type").is_some() {
        return Ok(value);
    }
    for key in ["message", "@message"] {
        match value.get(key) {
            Some(Value::String(text)) => {
                let inner: Value = serde_json::from_str(text)
                    .map_err(|e| InputError::NotJson(format!("in `{key}`: {e}")))?;
                return unwrap_record(inner);
            }
            Some(inner @ Value::Object(_)) => return unwrap_record(inner.clone()),
            _ => {}
        }
    }
    Err(InputError::NoRecord)
}

fn check(record: Value) -> Result<Line, InputError> {
    let record_type = record["record_type"].as_str().unwrap_or_default();
    if record_type != RECORD_TYPE {
        return Err(InputError::RecordType(record_type.to_owned()));
    }
    if record["schema_version"].as_u64() != Some(u64::from(SCHEMA_VERSION)) {
        return Err(InputError::SchemaVersion(
            record["schema_version"].to_string(),
        ));
    }
    for field in ["function", "outcome", "resource"] {
        if !record[field].is_string() {
            return Err(InputError::Field {
                field,
                problem: "missing or not a string".into(),
            });
        }
    }
    let outcome = record["outcome"].as_str().unwrap_or_default();
    if outcome != "remediated" {
        return Ok(Line::NothingToUndo {
            why: format!("outcome {outcome}: nothing was changed"),
            record,
        });
    }
    if record["changes"].as_array().is_none_or(Vec::is_empty) {
        return Ok(Line::NothingToUndo {
            why: "no changes recorded".into(),
            record,
        });
    }
    if !record["before"].is_object() {
        return Err(InputError::Field {
            field: "before",
            problem: "missing: the state to restore is unknown".into(),
        });
    }
    Ok(Line::Undoable(record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({"record_type": "remediation_audit", "schema_version": 1, "function": remediation_catalog::BUCKET_PUBLIC_ACCESS.name,
               "request_id": "r-1", "resource": "arn:aws:s3:::b", "outcome": "remediated",
               "before": {"type": "bucket_public_access_block"}, "changes": [{"type": "enable_public_access_block"}]})
    }

    fn with(field: &str, value: Value) -> String {
        let mut r = record();
        r[field] = value;
        r.to_string()
    }

    #[test]
    fn the_record_is_found_in_each_export_form() {
        let r = record();
        let cases = [
            ("as_printed", r.to_string()),
            (
                "lambda_json_log_line_object",
                json!({"timestamp": "t", "level": "INFO", "message": r}).to_string(),
            ),
            (
                "lambda_json_log_line_string",
                json!({"timestamp": "t", "message": r.to_string()}).to_string(),
            ),
            (
                "logs_insights_row",
                json!({"@timestamp": "t", "@message": r.to_string()}).to_string(),
            ),
            (
                "insights_row_of_a_lambda_line",
                json!({"@message": json!({"message": r.to_string()}).to_string()}).to_string(),
            ),
        ];
        for (name, line) in cases {
            assert_eq!(
                read_line(&line),
                Some(Ok(Line::Undoable(r.clone()))),
                "{name}"
            );
        }
        assert_eq!(read_line("   "), None);
    }

    #[test]
    fn an_insights_json_download_is_split_into_its_rows() {
        let r = record();
        let array =
            json!([{"@timestamp": "t", "@message": r.to_string()}, {"@message": r.to_string()}])
                .to_string();
        let rows = split(&array);
        assert_eq!(rows.len(), 2);
        assert_eq!(read_line(&rows[1]), Some(Ok(Line::Undoable(r.clone()))));
        let jsonl = format!("{r}\n\n{r}\n");
        assert_eq!(split(&jsonl).len(), 3);
        // A truncated array is read line by line, and each bad line named.
        assert_eq!(split("[{\"a\":"), vec!["[{\"a\":".to_owned()]);
    }

    #[test]
    fn bad_lines_are_named() {
        let full = record().to_string();
        type Case = (&'static str, String, fn(&InputError) -> bool);
        let cases: [Case; 7] = [
            ("truncated", full[..full.len() / 2].to_owned(), |e| {
                matches!(e, InputError::NotJson(_))
            }),
            (
                "no_record",
                json!({"level": "INFO", "message": "started"}).to_string(),
                |e| matches!(e, InputError::NotJson(_) | InputError::NoRecord),
            ),
            ("a_plain_object", json!({"a": 1}).to_string(), |e| {
                *e == InputError::NoRecord
            }),
            (
                "a_sweep_summary",
                with("record_type", json!("remediation_sweep")),
                |e| matches!(e, InputError::RecordType(t) if t == "remediation_sweep"),
            ),
            (
                "another_schema_version",
                with("schema_version", json!(2)),
                |e| matches!(e, InputError::SchemaVersion(v) if v == "2"),
            ),
            ("no_before", with("before", Value::Null), |e| {
                matches!(
                    e,
                    InputError::Field {
                        field: "before",
                        ..
                    }
                )
            }),
            ("no_resource", with("resource", Value::Null), |e| {
                matches!(
                    e,
                    InputError::Field {
                        field: "resource",
                        ..
                    }
                )
            }),
        ];
        for (name, line, expected) in cases {
            match read_line(&line) {
                Some(Err(e)) => assert!(expected(&e), "{name}: {e:?}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn records_without_a_change_are_reported_not_undone() {
        let cases = [
            (
                "dry_run",
                with("outcome", json!("dry_run")),
                "outcome dry_run",
            ),
            (
                "already_compliant",
                with("outcome", json!("already_compliant")),
                "outcome already_compliant",
            ),
            ("no_changes", with("changes", json!([])), "no changes"),
        ];
        for (name, line, why) in cases {
            match read_line(&line) {
                Some(Ok(Line::NothingToUndo { why: got, .. })) => {
                    assert!(got.contains(why), "{name}: {got}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}

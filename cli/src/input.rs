//! Reading audit records as people export them: one JSON value per line,
//! either the record itself (as the function printed it), a Lambda JSON log
//! line with the record in `message` (as an object or as a JSON string), a
//! CloudWatch Logs Insights export row with it in `@message`, or a line of a
//! raw log stream as `sam logs` and `aws logs tail` print it (a time and a
//! stream name before the JSON).
//!
//! Owns the recognition of a record, of the lines of a raw stream that are
//! not records (the human log line each record is echoed in, metric
//! documents, sweep summaries, Lambda's START, END and REPORT lines), which
//! are skipped and counted, and the checks that a record is one `undo` can
//! undo (record type, schema version, outcome, `changes`, `before`). Pure:
//! no AWS, no files; what to restore is the function's kit's.

use serde_json::Value;

use remediation_shared::audit::{RECORD_TYPE, SCHEMA_VERSION};
use remediation_shared::sweep::RECORD_TYPE as SWEEP_RECORD_TYPE;

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

/// A line that holds a readable audit record, or none.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// An audit record of this schema, with the fields every record has.
    Record(Value),
    /// A line of a log stream that is not an audit record: what it is.
    NotARecord(&'static str),
}

/// What a line holds, for `undo`.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A line of a log stream that is not an audit record: what it is.
    NotARecord(&'static str),
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

/// Reads one line for `undo`. Blank lines are `None`.
pub fn read_line(line: &str) -> Option<Result<Line, InputError>> {
    Some(match read_record(line)? {
        Ok(Found::Record(record)) => undoable(record),
        Ok(Found::NotARecord(what)) => Ok(Line::NotARecord(what)),
        Err(e) => Err(e),
    })
}

/// Finds the audit record a line holds, if any. Blank lines are `None`; a
/// line that is a record but cannot be read (cut short, another schema
/// version, a field missing) is an error; any other line is
/// [`Found::NotARecord`].
pub fn read_record(line: &str) -> Option<Result<Found, InputError>> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    Some(find(line))
}

/// What a raw log stream holds besides records, in the words of a summary.
pub const NOT_JSON: &str = "a line that is not JSON (Lambda's START, END, REPORT)";
/// A log line with no record in it.
pub const LOG_LINE: &str = "a log line";
/// A CloudWatch metric document (Embedded Metric Format).
pub const METRICS: &str = "a metric document";
/// A sweep's summary record.
pub const SWEEP_SUMMARY: &str = "a sweep summary";

fn find(line: &str) -> Result<Found, InputError> {
    let parsed = serde_json::from_str::<Value>(line).or_else(|e| {
        // A raw stream as `sam logs` and `aws logs tail` print it: a time
        // and a stream name, then the JSON.
        line.find('{')
            .and_then(|at| serde_json::from_str::<Value>(&line[at..]).ok())
            .ok_or(e)
    });
    match parsed {
        Ok(value) => unwrap_record(value),
        // Cut short, or otherwise unreadable, but a record.
        Err(e) if line.contains(RECORD_TYPE) => Err(InputError::NotJson(e.to_string())),
        Err(_) => Ok(Found::NotARecord(NOT_JSON)),
    }
}

/// The record inside a log line or an export row, or the value itself.
fn unwrap_record(value: Value) -> Result<Found, InputError> {
    match value.get("record_type").and_then(Value::as_str) {
        Some(RECORD_TYPE) => return check(value).map(Found::Record),
        Some(SWEEP_RECORD_TYPE) => return Ok(Found::NotARecord(SWEEP_SUMMARY)),
        Some(other) => return Err(InputError::RecordType(other.to_owned())),
        None => {}
    }
    if value.get("_aws").is_some() {
        return Ok(Found::NotARecord(METRICS));
    }
    for key in ["message", "@message"] {
        match value.get(key) {
            Some(Value::String(text)) => {
                return match serde_json::from_str::<Value>(text) {
                    Ok(inner) => unwrap_record(inner),
                    Err(e) if text.contains(RECORD_TYPE) => {
                        Err(InputError::NotJson(format!("in `{key}`: {e}")))
                    }
                    Err(_) => Ok(Found::NotARecord(LOG_LINE)),
                };
            }
            Some(inner @ Value::Object(_)) => return unwrap_record(inner.clone()),
            _ => {}
        }
    }
    Ok(Found::NotARecord(LOG_LINE))
}

/// The checks every record passes: schema version, and the fields each has.
fn check(record: Value) -> Result<Value, InputError> {
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
    Ok(record)
}

/// Whether `record` is one `undo` can undo.
fn undoable(record: Value) -> Result<Line, InputError> {
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
    fn a_line_that_is_a_record_but_cannot_be_read_is_named() {
        let full = record().to_string();
        type Case = (&'static str, String, fn(&InputError) -> bool);
        let cases: [Case; 6] = [
            ("truncated", full[..full.len() / 2].to_owned(), |e| {
                matches!(e, InputError::NotJson(_))
            }),
            (
                "truncated_in_a_log_line",
                json!({"message": full[..full.len() / 2]}).to_string(),
                |e| matches!(e, InputError::NotJson(m) if m.contains("`message`")),
            ),
            (
                "another_record_type",
                with("record_type", json!("remediation_other")),
                |e| matches!(e, InputError::RecordType(t) if t == "remediation_other"),
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
    fn a_raw_log_streams_other_lines_are_told_apart_and_its_records_found() {
        let r = record();
        let sweep = json!({"record_type": "remediation_sweep", "schema_version": 1, "examined": 3});
        let cases = [
            ("lambda_start", "START RequestId: 8f5a Version: $LATEST".to_owned(), Some(NOT_JSON)),
            (
                "lambda_report",
                "REPORT RequestId: 8f5a\tDuration: 12.01 ms\tBilled Duration: 13 ms".to_owned(),
                Some(NOT_JSON),
            ),
            (
                "platform_json",
                json!({"time": "t", "type": "platform.report", "record": {"requestId": "8f5a"}}).to_string(),
                Some(LOG_LINE),
            ),
            (
                "tracing_line",
                json!({"timestamp": "t", "level": "INFO", "fields": {"outcome": "remediated", "resource": "arn:aws:s3:::b"}}).to_string(),
                Some(LOG_LINE),
            ),
            (
                "plain_message",
                json!({"level": "INFO", "message": "started"}).to_string(),
                Some(LOG_LINE),
            ),
            ("a_plain_object", json!({"a": 1}).to_string(), Some(LOG_LINE)),
            (
                "metric_document",
                json!({"_aws": {"Timestamp": 1}, "Remediations": 1}).to_string(),
                Some(METRICS),
            ),
            ("sweep_summary", sweep.to_string(), Some(SWEEP_SUMMARY)),
            (
                "aws_logs_tail",
                format!("2026-12-07T10:00:00.000000+00:00 2026/12/07/[$LATEST]abc {r}"),
                None,
            ),
            (
                "sam_logs",
                format!("2026/12/07/[$LATEST]abc 2026-12-07T10:00:00.000000 {r}"),
                None,
            ),
            (
                "tail_of_a_metric_document",
                format!("2026-12-07T10:00:00 2026/12/07/[$LATEST]abc {}", json!({"_aws": {}})),
                Some(METRICS),
            ),
        ];
        for (name, line, not_a_record) in cases {
            let read = read_record(&line);
            match not_a_record {
                Some(what) => assert_eq!(read, Some(Ok(Found::NotARecord(what))), "{name}"),
                None => assert_eq!(read, Some(Ok(Found::Record(r.clone()))), "{name}"),
            }
        }
        assert_eq!(
            read_line("START RequestId: 8f5a"),
            Some(Ok(Line::NotARecord(NOT_JSON)))
        );
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

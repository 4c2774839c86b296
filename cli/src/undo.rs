//! `remediation undo`: puts a resource back as an audit record says it was
//! before a remediation, and tags it exempt so that the next finding or
//! sweep leaves it alone.
//!
//! Owns the sequence for one record (read, decide, restore, tag, record) and
//! the undo's own audit record, in the functions' schema. What each record
//! restores, whether the live state still is what the remediation left
//! (else refuse, unless forced), and the AWS calls, are the function's
//! kit's, reached through the catalog (`restore`).

use std::sync::LazyLock;

use remediation_runtime::restore::Checked;
use remediation_shared::audit::{now_rfc3339, AuditRecord, Outcome, Trigger};
use remediation_shared::restore::{Exemption, Undoing};
use serde_json::Value;

use crate::input::{self, InputError, Line};
use crate::{AccountAccess, Caller};

/// The tag that says why a resource is exempt, beside the exemption tag.
pub const REASON_SUFFIX: &str = "-reason";

/// What the person asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Write (`--apply`); otherwise only say what would be restored.
    pub apply: bool,
    /// Restore over changes made since the remediation (`--force`).
    pub force: bool,
    /// Tag the resource exempt afterwards (unless `--no-exempt`).
    pub exempt: bool,
    /// The exemption tag key (`--exempt-tag-key`, default the functions').
    pub exempt_tag_key: String,
}

/// The action of an undo of a record whose own action is `action`: `undo_`
/// and the action, for a function of the catalog; `undo` for any other.
pub fn undo_action(action: &str) -> &'static str {
    static UNDO: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
        remediation_catalog::ALL
            .iter()
            .map(|f| (f.action, format!("undo_{}", f.action)))
            .collect()
    });
    UNDO.iter()
        .find(|(own, _)| *own == action)
        .map_or("undo", |(_, undo)| undo.as_str())
}

/// How one line ended, for the exit code and the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Restored, would be restored, already as before, or nothing to undo.
    Fine,
    /// Bad input, refused, or an AWS call failed: the exit code says so.
    Problem,
    /// A line of a log stream that is not a record (what it is): skipped
    /// and counted.
    NotARecord(&'static str),
}

/// The undo's own audit record of `original`.
fn record(
    caller: &Caller,
    original: &Value,
    action: &'static str,
    outcome: Outcome,
    reason: String,
) -> AuditRecord {
    let text = |k: &str| original[k].as_str().map(str::to_owned);
    let trigger = Trigger {
        source: "remediation-undo".into(),
        detail_type: "Undo".into(),
        event_id: text("request_id").unwrap_or_default(),
        finding_id: None,
        name: text("action"),
    };
    AuditRecord {
        account: text("account"),
        region: text("region"),
        resource: text("resource"),
        ..AuditRecord::new(
            "remediation-undo",
            caller.run_id.clone(),
            action,
            trigger,
            outcome,
            reason,
        )
    }
}

/// Undoes one input line: writes its audit record through `emit` (none
/// for a line that is not a record) and a line for the person through
/// `say`. Nothing is written to AWS unless `options.apply`, the record is
/// one this tool can undo, its account and region are in reach, and the
/// live state is what the remediation left (or `options.force`).
pub async fn undo_line<R: AccountAccess>(
    line: &str,
    options: &Options,
    caller: &Caller,
    reach: &R,
    emit: &mut impl FnMut(&AuditRecord),
    say: &mut impl FnMut(String),
) -> Option<Ended> {
    let original = match input::read_line(line)? {
        Ok(Line::NotARecord(what)) => return Some(Ended::NotARecord(what)),
        Err(e) => {
            say(format!("not undone: {e}"));
            return Some(Ended::Problem);
        }
        Ok(Line::NothingToUndo { record: r, why }) => {
            let action = undo_action(r["action"].as_str().unwrap_or_default());
            let out = record(
                caller,
                &r,
                action,
                Outcome::Skipped,
                format!("nothing to undo: {why}"),
            );
            say(format!(
                "{}: skipped: nothing to undo: {why}",
                r["resource"].as_str().unwrap_or("?")
            ));
            emit(&out);
            return Some(Ended::Fine);
        }
        Ok(Line::Undoable(r)) => r,
    };
    let resource = original["resource"].as_str().unwrap_or("?").to_owned();
    let function = original["function"].as_str().unwrap_or_default();
    let read = remediation_catalog::named(function)
        .ok_or_else(|| InputError::Field {
            field: "function",
            problem: format!("{function:?} is not a function this tool undoes"),
        })
        .and_then(|f| {
            let restore = (f.restore)(&original).map_err(|e| InputError::Field {
                field: e.field,
                problem: e.problem,
            });
            restore.map(|r| (undo_action(f.action), r))
        });
    let (action, restore) = match read {
        Ok(read) => read,
        Err(e) => {
            say(format!("{resource}: not undone: {e}"));
            return Some(Ended::Problem);
        }
    };
    let mut out = record(caller, &original, action, Outcome::Failed, String::new());
    out.dry_run = !options.apply;
    let mut finish = |mut out: AuditRecord, ended: Ended, say_line: String| {
        say(format!("{resource}: {say_line}"));
        out.reason = say_line;
        emit(&out);
        Some(ended)
    };
    let account = original["account"]
        .as_str()
        .unwrap_or(&caller.account)
        .to_owned();
    let region = original["region"].as_str().map(str::to_owned);
    let sdk = match reach
        .config(&account, region.as_deref().filter(|_| restore.regional()))
        .await
    {
        Ok(c) => c,
        Err(why) => {
            out.outcome = Outcome::Skipped;
            out.error_code = Some("Undo.OutOfReach".into());
            return finish(out, Ended::Problem, format!("not undone: {why}"));
        }
    };
    let Checked { live, undoing } = match restore.check(&sdk, options.force).await {
        Ok(checked) => checked,
        Err(e) => {
            out.error_code = Some(e.code.clone());
            return finish(
                out,
                Ended::Problem,
                format!("failed: reading the resource: {e}"),
            );
        }
    };
    out.before = Some(live);
    let restore = match undoing {
        Undoing::Diverged(why) => {
            out.outcome = Outcome::Skipped;
            out.error_code = Some("Undo.Diverged".into());
            return finish(out, Ended::Problem, format!("refused: {why}"));
        }
        Undoing::AlreadyRestored(why) => {
            out.outcome = Outcome::AlreadyCompliant;
            return finish(out, Ended::Fine, why);
        }
        Undoing::Restore(r) => r,
    };
    out.changes = restore.changes();
    let summary: Vec<String> = out.changes.iter().map(Value::to_string).collect();
    if !options.apply {
        out.outcome = Outcome::DryRun;
        return finish(
            out,
            Ended::Fine,
            format!(
                "would restore {} (run with --apply to do it)",
                summary.join(", ")
            ),
        );
    }
    if let Err(e) = restore.write(&sdk).await {
        out.error_code = Some(e.code.clone());
        return finish(out, Ended::Problem, format!("failed: {e}"));
    }
    out.after = restore.show_live(&sdk).await.ok();
    out.outcome = Outcome::Remediated;
    let mut said = format!("restored {}", summary.join(", "));
    if options.exempt {
        let key = &options.exempt_tag_key;
        let reason_key = format!("{key}{REASON_SUFFIX}");
        let reason = format!(
            "undone by {} at {} for request {}",
            caller.arn,
            now_rfc3339(),
            original["request_id"].as_str().unwrap_or("unknown")
        );
        let reason: String = reason.chars().take(256).collect();
        let tags = Exemption {
            key,
            reason_key: &reason_key,
            reason: &reason,
        };
        match restore.exempt(&sdk, tags).await {
            Ok(true) => said.push_str(&format!("; tagged {key}=true")),
            Ok(false) => said.push_str(&format!(
                "; an account has no tags: add {account} to the stack's ExemptAccounts to keep it as it is"
            )),
            Err(e) => {
                out.error_code = Some(e.code.clone());
                said.push_str(&format!("; but tagging it exempt failed: {e}"));
                return finish(out, Ended::Problem, said);
            }
        }
    }
    finish(out, Ended::Fine, said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undos_action_is_undo_and_the_functions_own_and_undo_for_any_other() {
        for f in remediation_catalog::ALL {
            assert_eq!(undo_action(f.action), format!("undo_{}", f.action));
        }
        assert_eq!(
            undo_action("detach_administrator_access"),
            "undo_detach_administrator_access"
        );
        for other in ["attach_something", ""] {
            assert_eq!(undo_action(other), "undo", "{other:?}");
        }
    }
}

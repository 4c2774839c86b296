//! `remediation-undo`: puts a resource back as an audit record says it was
//! before a remediation, and tags it exempt so that the next finding or sweep
//! leaves it alone. Run by a person with their own credentials; never
//! deployed.
//!
//! - [`input`]: the records, as printed, as Lambda's JSON log lines, or as
//!   Logs Insights exports them; which can be undone;
//! - [`plan`]: what each record restores, and whether the live state still is
//!   what the remediation left (else refuse, unless forced);
//! - [`aws`]: the port over AWS and its SDK adapter;
//! - this file: the sequence for one record (read, decide, restore, tag,
//!   record), and the undo's own audit record, in the functions' schema;
//! - `main.rs`: the command line, the credentials' account and region, and
//!   member roles (`--member-role`).

pub mod aws;
pub mod input;
pub mod plan;

use std::future::Future;

use remediation_shared::audit::{now_rfc3339, AuditRecord, Outcome, Trigger};
use serde_json::{json, Value};

use crate::aws::UndoPort;
use crate::input::Line;
use crate::plan::{undo_action, Live, Restore, Verdict};

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

/// Who runs the undo, and where their credentials point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The credentials' account.
    pub account: String,
    /// The configured region.
    pub region: String,
    /// The credentials' ARN, for the exemption reason.
    pub arn: String,
    /// This run's id, in each record it writes.
    pub run_id: String,
}

/// The port for a record's account and region, or why there is none
/// (another account without `--member-role`, another region).
pub trait AccountAccess<P>: Sync {
    /// The port acting in `account` and `region` (`None` for a global resource).
    fn port(
        &self,
        account: &str,
        region: Option<&str>,
    ) -> impl Future<Output = Result<P, String>> + Send;
}

/// How one line ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Restored, would be restored, already as before, or nothing to undo.
    Fine,
    /// Bad input, refused, or an AWS call failed: the exit code says so.
    Problem,
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

fn live_json(live: &Live) -> Value {
    match live {
        Live::Settings(None) => json!({"no_configuration": true}),
        Live::Settings(Some(f)) => json!(f),
        Live::Rules(rules) => json!(rules
            .iter()
            .map(|(p, from, to, cidr)| json!({"protocol": p, "from_port": from, "to_port": to, "cidr": cidr}))
            .collect::<Vec<_>>()),
        Live::Policies(p) => json!(p),
    }
}

fn restored_json(restore: &Restore) -> Vec<Value> {
    match restore {
        Restore::Bucket { before, .. } | Restore::Account { before, .. } => vec![match before {
            None => json!({"type": "delete_public_access_block"}),
            Some(f) => json!({"type": "put_public_access_block", "settings": f}),
        }],
        Restore::Group { rules, .. } => rules
            .iter()
            .map(|r| json!({"type": "authorize_ingress_rule", "rule": r}))
            .collect(),
        Restore::Role { policy_arns, .. } => policy_arns
            .iter()
            .map(|a| json!({"type": "attach_role_policy", "policy_arn": a}))
            .collect(),
    }
}

/// Undoes one input line: writes its audit record through `emit` (none
/// for a line that is not a record) and a line for the person through
/// `say`. Nothing is written to AWS unless `options.apply`, the record is
/// one this tool can undo, its account and region are in reach, and the
/// live state is what the remediation left (or `options.force`).
pub async fn undo_line<P: UndoPort, R: AccountAccess<P>>(
    line: &str,
    options: &Options,
    caller: &Caller,
    reach: &R,
    emit: &mut impl FnMut(&AuditRecord),
    say: &mut impl FnMut(String),
) -> Option<Ended> {
    let original = match input::read_line(line)? {
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
    let restore = match plan::restore_of(&original) {
        Ok(r) => r,
        Err(e) => {
            say(format!("{resource}: not undone: {e}"));
            return Some(Ended::Problem);
        }
    };
    let action = restore.action();
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
    let port = match reach
        .port(&account, region.as_deref().filter(|_| restore.regional()))
        .await
    {
        Ok(p) => p,
        Err(why) => {
            out.outcome = Outcome::Skipped;
            out.error_code = Some("Undo.OutOfReach".into());
            return finish(out, Ended::Problem, format!("not undone: {why}"));
        }
    };
    let live = match port.read(&restore).await {
        Ok(l) => l,
        Err(e) => {
            out.error_code = Some(e.code.clone());
            return finish(
                out,
                Ended::Problem,
                format!("failed: reading the resource: {e}"),
            );
        }
    };
    out.before = Some(live_json(&live));
    let restore = match plan::decide(restore, &live, options.force) {
        Verdict::Diverged(why) => {
            out.outcome = Outcome::Skipped;
            out.error_code = Some("Undo.Diverged".into());
            return finish(out, Ended::Problem, format!("refused: {why}"));
        }
        Verdict::AlreadyRestored(why) => {
            out.outcome = Outcome::AlreadyCompliant;
            return finish(out, Ended::Fine, why);
        }
        Verdict::Restore(r) => r,
    };
    out.changes = restored_json(&restore);
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
    if let Err(e) = port.write(&restore).await {
        out.error_code = Some(e.code.clone());
        return finish(out, Ended::Problem, format!("failed: {e}"));
    }
    out.after = port.read(&restore).await.ok().map(|l| live_json(&l));
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
        match port.exempt(&restore, key, &reason_key, &reason).await {
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

//! `remediation apply`: applies proposals, from `remediation plan` or from
//! the deployed functions' `proposed` records, one line at a time.
//!
//! Owns the sequence for one line (read, find the function, reach the
//! account and region, apply, record) and what the person is told. Whether
//! the resource is still as proposed, and the change itself, are the
//! function's own (its remediator, through the catalog, with the core's
//! approval check); nothing is written without `--apply`.

use remediation_shared::audit::{AuditRecord, Outcome};
use remediation_shared::{Config, Mode, Proposed};

use crate::input::{self, Found};
use crate::undo::Ended;
use crate::{AccountAccess, Caller};

/// What the person asked of `apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Write (`--apply`); otherwise only say what would be applied.
    pub apply: bool,
    /// Apply to the live state even where it changed since the proposal
    /// (`--force`).
    pub force: bool,
    /// The exemption tag key the functions use.
    pub exempt_tag_key: String,
}

/// A record that is not a proposal, in the words of the summary.
pub const NOT_A_PROPOSAL: &str = "a record that is not a proposal";

/// Applies one input line: writes the apply's audit record through `emit`
/// and a line for the person through `say`. Nothing is written to AWS
/// unless `options.apply`, the line is a proposal of a function of the
/// catalog, its account and region are in reach, and the resource is still
/// in the state the proposal saw (or `options.force`).
pub async fn apply_line<R: AccountAccess>(
    line: &str,
    options: &ApplyOptions,
    caller: &Caller,
    reach: &R,
    emit: &mut impl FnMut(&AuditRecord),
    say: &mut impl FnMut(String),
) -> Option<Ended> {
    let record = match input::read_record(line)? {
        Ok(Found::NotARecord(what)) => return Some(Ended::NotARecord(what)),
        Ok(Found::Record(record)) => record,
        Err(e) => {
            say(format!("not applied: {e}"));
            return Some(Ended::Problem);
        }
    };
    let resource = record["resource"].as_str().unwrap_or("?").to_owned();
    if record["outcome"] != Outcome::Proposed.as_str() {
        return Some(Ended::NotARecord(NOT_A_PROPOSAL));
    }
    let name = record["function"].as_str().unwrap_or_default();
    let Some(function) = remediation_catalog::named(name) else {
        say(format!(
            "{resource}: not applied: {name:?} is not a function of this tool"
        ));
        return Some(Ended::Problem);
    };
    let proposed = match Proposed::of(&record, options.force) {
        Ok(p) => p,
        Err(e) => {
            say(format!("{resource}: not applied: {e}"));
            return Some(Ended::Problem);
        }
    };
    let account = proposed
        .account
        .clone()
        .unwrap_or_else(|| caller.account.clone());
    let region = proposed.region.as_deref().filter(|_| function.regional);
    let sdk = match reach.config(&account, region).await {
        Ok(sdk) => sdk,
        Err(why) => {
            say(format!("{resource}: not applied: {why}"));
            return Some(Ended::Problem);
        }
    };
    let config = Config {
        mode: if options.apply {
            Mode::Auto
        } else {
            Mode::DryRun
        },
        exempt_tag_key: options.exempt_tag_key.clone(),
        stack: None,
    };
    let trigger = caller.trigger(
        "Apply",
        record["request_id"].as_str().unwrap_or_default(),
        record["trigger"]["name"].as_str().map(str::to_owned),
    );
    let audit = match (function.apply)(&sdk, &proposed, &config, trigger, &caller.run_id).await {
        Ok(audit) => audit,
        Err(why) => {
            say(format!("{resource}: not applied: {why}"));
            return Some(Ended::Problem);
        }
    };
    emit(&audit);
    let refused = audit.error_code.as_deref() == Some(remediation_shared::handler::DIVERGED);
    let hint = if audit.outcome == Outcome::DryRun {
        " (run with --apply to do it)"
    } else {
        ""
    };
    say(format!(
        "{resource}: {}: {}{hint}",
        audit.outcome.as_str(),
        audit.reason
    ));
    Some(if refused || audit.outcome == Outcome::Failed {
        Ended::Problem
    } else {
        Ended::Fine
    })
}

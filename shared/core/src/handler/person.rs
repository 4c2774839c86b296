//! A person's runs of a function, outside Lambda (`remediation plan` and
//! `remediation apply`): a place surveyed as the sweep surveys it, each
//! change recorded as a proposal and none made; and one approved proposal
//! applied, after the live state is read again and found as it was.
//!
//! It must not read the person's input (the command line's records and
//! options are `remediation`'s) nor choose credentials (the caller hands it
//! a remediator built for the record's account and region).

use serde_json::Value;

use super::record::{audit_record, for_record};
use super::scheduled::{sweep_all, Sweep};
use super::target::{run_guarded, Approved, Ask};
use super::{Remediator, Summary};
use crate::arn::Arn;
use crate::audit::{AuditRecord, AuditSink, Outcome, Trigger};
use crate::config::{Asker, Config, Mode};
use crate::control::Basis;
use crate::error::{FindingError, HandlerError};
use crate::finding::Target;
use crate::home::Home;
use crate::notify::Silent;
use crate::resource::Partition;
use crate::scope::Scope;

/// Surveys `home` as the sweep does and writes to `sink` a `proposed`
/// record for each change its resources call for (and the sweep's other
/// records: exempt, protected, failed), with its summary; changes nothing,
/// whatever `config`'s mode. `trigger` names the person's run.
pub async fn plan_place<R: Remediator, S: AuditSink + ?Sized>(
    remediator: &R,
    home: Home,
    config: &Config,
    sink: &S,
    trigger: Trigger,
    request_id: &str,
) -> Result<Summary, HandlerError> {
    let config = Config {
        mode: Mode::Propose,
        ..config.clone()
    };
    let at = Sweep {
        config: &config,
        sink,
        notify: &Silent,
        deadline: None,
        request_id,
        trigger,
        member_role: None,
    };
    sweep_all(remediator, Ok(home), at).await
}

/// A proposal a person approved, as its record says it: which resource,
/// where, why, and the state and changes it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    /// The resource's ARN (the record's `resource`).
    pub resource: String,
    /// Its account.
    pub account: Option<String>,
    /// Its region (none for a global service).
    pub region: Option<String>,
    /// What called for it (the record's `basis`; the sweep's when absent).
    pub basis: Basis,
    /// The request that proposed it, for the apply's record.
    pub request_id: String,
    /// What it saw and would change.
    pub approved: Approved,
}

impl Proposed {
    /// The proposal in `record` (a `proposed` audit record), applied with
    /// `force` when the live state differs; `Err` names the field that is
    /// missing or unreadable.
    pub fn of(record: &Value, force: bool) -> Result<Self, FindingError> {
        let text = |field: &str| record.get(field).and_then(Value::as_str).map(str::to_owned);
        let field = |path: &str, message: &str| FindingError::Field {
            path: path.into(),
            message: message.into(),
        };
        if record.get("outcome").and_then(Value::as_str) != Some(Outcome::Proposed.as_str()) {
            return Err(field("outcome", "not a proposal (outcome is not proposed)"));
        }
        let resource = text("resource").ok_or_else(|| field("resource", "missing field"))?;
        let basis = match record.get("basis") {
            None | Some(Value::Null) => Basis::Sweep,
            Some(b) => serde_json::from_value(b.clone())
                .map_err(|e| field("basis", &format!("unreadable: {e}")))?,
        };
        let before = record
            .get("before")
            .filter(|b| !b.is_null())
            .cloned()
            .ok_or_else(|| field("before", "missing: the state the proposal saw"))?;
        let changes = match record.get("changes") {
            Some(Value::Array(c)) if !c.is_empty() => c.clone(),
            _ => return Err(field("changes", "missing or empty: nothing was proposed")),
        };
        Ok(Proposed {
            resource,
            account: text("account"),
            region: text("region"),
            basis,
            request_id: text("request_id").unwrap_or_default(),
            approved: Approved {
                before,
                changes,
                force,
            },
        })
    }
}

/// Applies `proposed` with `remediator` (built for its account and region):
/// the resource is examined again, and changed only when the live state and
/// the change it calls for are the ones approved (unless forced), and not
/// at all when it is exempt, protected or already right now; the returned
/// record says which, with `trigger` (the person) and `request_id` (this
/// run). `Err` when the resource is not one of this function's.
pub async fn apply_proposed<R: Remediator>(
    remediator: &R,
    proposed: &Proposed,
    config: &Config,
    trigger: Trigger,
    request_id: &str,
) -> Result<AuditRecord, FindingError> {
    // An ARN, or an account as Security Hub names it (`AWS::::Account:<id>`).
    let partition = Partition::of_region(proposed.region.as_deref().unwrap_or_default());
    let arn = Arn::parse_asff_id("resource", &proposed.resource, &partition)?;
    let resource = <R::Scope as Scope>::security_hub_resource("resource", &arn)?;
    let region = proposed
        .region
        .clone()
        .filter(|_| <R::Scope as Scope>::REGIONAL);
    let target = Target {
        resource,
        account: proposed.account.clone(),
        region: region.clone(),
        partition: arn.partition.clone(),
        finding_id: None,
        observed_at: None,
        hub_finding: None,
        basis: proposed.basis.clone(),
    };
    let ask = Ask {
        asker: Asker::Person,
        approved: Some(&proposed.approved),
    };
    let report = run_guarded(remediator, &target, config, ask).await;
    let (resource, report) = for_record(
        Some(report.resource.clone().unwrap_or_else(|| target.arn())),
        report,
    );
    Ok(audit_record::<R>(
        request_id,
        config,
        trigger,
        target.account.clone(),
        region,
        resource,
        &report,
    ))
}

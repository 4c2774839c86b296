//! `remediation`: a person's command over the functions' own rules, run
//! with the person's credentials; never deployed.
//!
//! - [`plan`]: surveys accounts and regions as the sweep does, and lists
//!   each change as a proposal, changing nothing;
//! - [`apply`]: applies proposals (from `plan`, or the functions' `proposed`
//!   records) after reading each resource again;
//! - [`undo`]: puts a resource back as its audit record says it was;
//! - [`permissions`]: the IAM policy a person needs for all three;
//! - [`input`]: the records, as printed, as Lambda's log lines or raw log
//!   streams, or as Logs Insights exports them;
//! - this file: who runs the command, and how a record's account and
//!   region are reached ([`AccountAccess`]); [`access`]: that through STS
//!   and the SDK;
//! - `main.rs`: the command line, and what is said on it.
//!
//! Every rule (what is in scope, what to change, what to restore) is the
//! functions' and their kits', reached through the catalog: no second copy.

pub mod access;
pub mod apply;
pub mod input;
pub mod permissions;
pub mod plan;
pub mod undo;

use std::future::Future;

use remediation_runtime::sdk::SdkConfig;
use remediation_shared::audit::Trigger;
use remediation_shared::finding::PERSON_SOURCE_PREFIX;

/// Who runs the command, and where their credentials point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The credentials' account.
    pub account: String,
    /// The configured region.
    pub region: String,
    /// The credentials' ARN: the exemption reason, an apply's trigger.
    pub arn: String,
    /// This run's id, in each record it writes.
    pub run_id: String,
}

impl Caller {
    /// The trigger of a record this person's `detail_type` run writes
    /// (`Plan`, `Apply`): `trigger.source` is `person:` and the caller's ARN.
    pub fn trigger(&self, detail_type: &str, event_id: &str, name: Option<String>) -> Trigger {
        Trigger {
            source: format!("{PERSON_SOURCE_PREFIX}{}", self.arn),
            detail_type: detail_type.into(),
            event_id: event_id.into(),
            finding_id: None,
            name,
        }
    }
}

/// The SDK configuration for a record's account and region, or why there
/// is none (another account without `--member-role`, another region).
pub trait AccountAccess: Sync {
    /// The configuration acting in `account` and `region` (`None` for a
    /// global resource).
    fn config(
        &self,
        account: &str,
        region: Option<&str>,
    ) -> impl Future<Output = Result<SdkConfig, String>> + Send;
}

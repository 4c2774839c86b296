//! A person's runs of a function (`remediation plan` and `remediation
//! apply`) with the function erased: each function's remediator built from
//! an SDK configuration and its own settings ([`FromEnv`]), and the core's
//! [`plan_place`] and [`apply_proposed`] behind plain function pointers
//! ([`Planner`], [`Applier`]) that the catalog holds for each function.
//!
//! It must not decide anything (the core and the functions do) nor read the
//! person's input (`remediation` does): it only builds and forwards.

use remediation_shared::audit::{AuditRecord, AuditSink, Trigger};
use remediation_shared::{apply_proposed, plan_place, Config, Home, Proposed, Remediator};

use crate::restore::Step;
use crate::sdk::SdkConfig;

/// A function's remediator as its Lambda `main` builds it.
pub trait FromEnv: Remediator + Sized + 'static {
    /// The remediator over `sdk`'s clients, with the function's own settings
    /// (`ADMIN_PORTS`, `PROTECTED_ROLES`, `EXEMPT_ACCOUNTS`) read from the
    /// environment; a bad setting is an error in words.
    fn from_env(sdk: &SdkConfig) -> Result<Self, String>;
}

/// Surveys `home` with the function's remediator over `sdk` and writes its
/// proposals to the sink ([`plan_place`]). `Err` only when the remediator
/// cannot be built; what failed in the survey is in the records.
pub type Planner = for<'a> fn(
    sdk: &'a SdkConfig,
    home: Home,
    config: &'a Config,
    sink: &'a dyn AuditSink,
    trigger: Trigger,
    request_id: &'a str,
) -> Step<'a, Result<(), String>>;

/// Applies one proposal with the function's remediator over `sdk`
/// ([`apply_proposed`]), returning its record; `Err` when the remediator
/// cannot be built or the proposal does not name one of its resources.
pub type Applier = for<'a> fn(
    sdk: &'a SdkConfig,
    proposed: &'a Proposed,
    config: &'a Config,
    trigger: Trigger,
    request_id: &'a str,
) -> Step<'a, Result<AuditRecord, String>>;

/// The [`Planner`] of the remediator `R`.
pub fn planner<'a, R: FromEnv>(
    sdk: &'a SdkConfig,
    home: Home,
    config: &'a Config,
    sink: &'a dyn AuditSink,
    trigger: Trigger,
    request_id: &'a str,
) -> Step<'a, Result<(), String>> {
    Box::pin(async move {
        let remediator = R::from_env(sdk)?;
        // A failed resource is in its record; the summary is not needed.
        let _ = plan_place(&remediator, home, config, sink, trigger, request_id).await;
        Ok(())
    })
}

/// The [`Applier`] of the remediator `R`.
pub fn applier<'a, R: FromEnv>(
    sdk: &'a SdkConfig,
    proposed: &'a Proposed,
    config: &'a Config,
    trigger: Trigger,
    request_id: &'a str,
) -> Step<'a, Result<AuditRecord, String>> {
    Box::pin(async move {
        let remediator = R::from_env(sdk)?;
        apply_proposed(&remediator, proposed, config, trigger, request_id)
            .await
            .map_err(|e| e.to_string())
    })
}

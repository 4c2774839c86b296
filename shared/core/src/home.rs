//! Where a function runs ([`Home`]: its account and region, from its invoked
//! ARN, else from a [`Locate`]), and where a target is when that is not there.
//!
//! No AWS calls here: a [`Locate`] that asks STS lives in the SDK runtime.

use std::future::Future;

use crate::finding::Target;
use crate::resource::Arn;

/// Where a function runs: the only account and region it acts in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Home {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
}

/// Where a function runs when its invoked ARN does not say: a local
/// emulator (`cargo lambda watch` sends `function-arn`). Asked only then.
pub trait Locate: Sync {
    /// The function's account and region, or why they cannot be known.
    fn locate(&self) -> impl Future<Output = Result<Home, String>> + Send;
}

/// No other source than the invoked ARN: without it, nothing is acted on.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArnOnly;

impl Locate for ArnOnly {
    async fn locate(&self) -> Result<Home, String> {
        Err("no other source of the function's account and region".into())
    }
}

impl Home {
    /// The account and region of the invoked function; an error when the
    /// ARN does not name both, so that no target is acted on without the
    /// check that it is in the function's own account and region.
    pub(crate) fn from_function_arn(arn: &str) -> Result<Self, String> {
        match Arn::parse("invoked_function_arn", arn) {
            Ok(a) if !a.account.is_empty() && !a.region.is_empty() => Ok(Home {
                account: a.account,
                region: a.region,
            }),
            Ok(_) => Err(format!(
                "the invoked function ARN {arn:?} names no account or region"
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Where `target` is, when that is not here: its account and region,
    /// and why the function alone (without a hub) does not act there.
    pub(crate) fn away<R>(&self, target: &Target<R>) -> Option<Away> {
        let account = target
            .account
            .clone()
            .unwrap_or_else(|| self.account.clone());
        let region = target.region.clone().unwrap_or_else(|| self.region.clone());
        let reason = if account != self.account {
            format!(
                "resource is in account {account}; this function acts only in its own account {}",
                self.account
            )
        } else if region != self.region {
            format!(
                "resource is in region {region}; this function acts only in its own region {}",
                self.region
            )
        } else {
            return None;
        };
        Some(Away {
            account,
            region,
            reason,
        })
    }
}

/// A target's account and region, when either is not the function's own.
pub(crate) struct Away {
    pub(crate) account: String,
    pub(crate) region: String,
    /// Why it is skipped without a hub.
    pub(crate) reason: String,
}

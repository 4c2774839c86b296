//! One record's restore with its function erased: the core's [`Restore`]
//! and a kit's [`RestorePort`] behind one object, so that the catalog can
//! hold each function's restore as a plain function pointer ([`Reader`]) and
//! `remediation-undo` can run any of them without naming one.
//!
//! It must not decide anything (the kits' restores do) nor sequence an undo
//! (`remediation-undo` does): it only forwards.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use remediation_shared::restore::{Exemption, RecordError, Restore, RestorePort, Undoing};
use remediation_shared::AwsError;
use serde_json::Value;

use crate::sdk::SdkConfig;

/// A future of a restore's step.
pub type Step<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A port built on the clients of one account and region.
pub trait FromSdk {
    /// The port over `sdk`'s account and region.
    fn from_sdk(sdk: &SdkConfig) -> Self;
}

/// What reading a record gives: its restore, or why it cannot be undone.
pub type Reader = fn(&Value) -> Result<Box<dyn Undo>, RecordError>;

/// The live state and the verdict over it.
pub struct Checked {
    /// The live state, as the undo's record shows it.
    pub live: Value,
    /// What to do.
    pub undoing: Undoing<Box<dyn Undo>>,
}

/// One record's restore, whichever function wrote the record.
pub trait Undo: Send + Sync {
    /// Whether the resource lives in a region.
    fn regional(&self) -> bool;
    /// The writes, as the undo's record lists them.
    fn changes(&self) -> Vec<Value>;
    /// Reads the live state in `sdk`'s account and region and decides.
    fn check<'a>(
        self: Box<Self>,
        sdk: &'a SdkConfig,
        force: bool,
    ) -> Step<'a, Result<Checked, AwsError>>;
    /// The live state, as the undo's record shows it.
    fn show_live<'a>(&'a self, sdk: &'a SdkConfig) -> Step<'a, Result<Value, AwsError>>;
    /// Puts back what this restore says.
    fn write<'a>(&'a self, sdk: &'a SdkConfig) -> Step<'a, Result<(), AwsError>>;
    /// Tags the resource exempt (`Ok(false)`: it has no tags).
    fn exempt<'a>(
        &'a self,
        sdk: &'a SdkConfig,
        tags: Exemption<'a>,
    ) -> Step<'a, Result<bool, AwsError>>;
}

struct Erased<R, P> {
    restore: R,
    port: PhantomData<fn() -> P>,
}

fn erase<R: Restore, P: RestorePort<R> + FromSdk + 'static>(restore: R) -> Box<dyn Undo> {
    Box::new(Erased::<R, P> {
        restore,
        port: PhantomData,
    })
}

/// The [`Reader`] of a restore `R` run through the port `P`.
pub fn reader<R: Restore, P: RestorePort<R> + FromSdk + 'static>(
    record: &Value,
) -> Result<Box<dyn Undo>, RecordError> {
    R::of(record).map(erase::<R, P>)
}

impl<R: Restore, P: RestorePort<R> + FromSdk + 'static> Undo for Erased<R, P> {
    fn regional(&self) -> bool {
        self.restore.regional()
    }

    fn changes(&self) -> Vec<Value> {
        self.restore.changes()
    }

    fn check<'a>(
        self: Box<Self>,
        sdk: &'a SdkConfig,
        force: bool,
    ) -> Step<'a, Result<Checked, AwsError>> {
        Box::pin(async move {
            let live = P::from_sdk(sdk).read(&self.restore).await?;
            let shown = R::show(&live);
            let undoing = self.restore.decide(&live, force).map(erase::<R, P>);
            Ok(Checked {
                live: shown,
                undoing,
            })
        })
    }

    fn show_live<'a>(&'a self, sdk: &'a SdkConfig) -> Step<'a, Result<Value, AwsError>> {
        Box::pin(async move {
            let live = P::from_sdk(sdk).read(&self.restore).await?;
            Ok(R::show(&live))
        })
    }

    fn write<'a>(&'a self, sdk: &'a SdkConfig) -> Step<'a, Result<(), AwsError>> {
        Box::pin(async move { P::from_sdk(sdk).write(&self.restore).await })
    }

    fn exempt<'a>(
        &'a self,
        sdk: &'a SdkConfig,
        tags: Exemption<'a>,
    ) -> Step<'a, Result<bool, AwsError>> {
        Box::pin(async move { P::from_sdk(sdk).exempt(&self.restore, tags).await })
    }
}

//! Undo's terms, one trait for every function: what a fix restores, read
//! from its own audit record, and whether the live state still is what the
//! fix left ([`Restore`]), and the port that reads and writes it
//! ([`RestorePort`]).
//!
//! Each service kit implements both for its functions' records; the catalog
//! ties a function to its restore; `remediation-undo` runs the sequence.
//! Pure: no AWS, and no function's rules (the kits hold them).

use std::future::Future;

use serde_json::Value;

use crate::AwsError;

/// A field of a record that keeps it from being undone, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {problem}")]
pub struct RecordError {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl RecordError {
    /// `field` is wrong: `problem`.
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        RecordError {
            field,
            problem: problem.into(),
        }
    }
}

/// What to do, given the live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undoing<R> {
    /// Restore this (all of the record's restore, or what is still missing).
    Restore(R),
    /// The resource already is as before the fix: nothing to write.
    AlreadyRestored(String),
    /// It changed since the fix in a way the undo would overwrite.
    Diverged(String),
}

impl<R> Undoing<R> {
    /// The same verdict, what to restore mapped by `f`.
    pub fn map<T>(self, f: impl FnOnce(R) -> T) -> Undoing<T> {
        match self {
            Undoing::Restore(r) => Undoing::Restore(f(r)),
            Undoing::AlreadyRestored(why) => Undoing::AlreadyRestored(why),
            Undoing::Diverged(why) => Undoing::Diverged(why),
        }
    }
}

/// What undoing one function's fix puts back.
pub trait Restore: Sized + Send + Sync + 'static {
    /// The live state the undo compares with the record.
    type Live: Send + Sync;

    /// What undoing `record` (a `remediated` record of this restore's
    /// function, with `before` and `changes`) restores, read through the
    /// function's own record types.
    fn of(record: &Value) -> Result<Self, RecordError>;

    /// Whether the resource lives in a region (the record's region must be
    /// the one the undo reaches).
    fn regional(&self) -> bool;

    /// Whether this may go ahead over `live`: what the fix left is
    /// restored; anything someone changed since is refused unless `force`
    /// (then only what is still missing).
    fn decide(self, live: &Self::Live, force: bool) -> Undoing<Self>;

    /// `live` as the undo's record shows it (`before`, `after`).
    fn show(live: &Self::Live) -> Value;

    /// The writes, as the undo's record lists them (`changes`).
    fn changes(&self) -> Vec<Value>;
}

/// The exemption tags an undo leaves on the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exemption<'a> {
    /// The tag that exempts it (`true`).
    pub key: &'a str,
    /// The tag that says why.
    pub reason_key: &'a str,
    /// Why.
    pub reason: &'a str,
}

/// What an undo of `R` needs from AWS.
pub trait RestorePort<R: Restore>: Send + Sync {
    /// The live state of the resource `restore` is about.
    fn read(&self, restore: &R) -> impl Future<Output = Result<R::Live, AwsError>> + Send;
    /// Puts back what `restore` says.
    fn write(&self, restore: &R) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Tags the resource exempt, keeping its other tags; `Ok(false)` for a
    /// resource that has no tags (an account), nothing written.
    fn exempt(
        &self,
        restore: &R,
        tags: Exemption<'_>,
    ) -> impl Future<Output = Result<bool, AwsError>> + Send;
}

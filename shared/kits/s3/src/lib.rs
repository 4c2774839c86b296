//! The S3 kit: what the two S3 functions (a bucket's and the account's Block
//! Public Access) share, so that neither depends on the other.
//!
//! - [`flags`]: the four settings, their record form, and how a write settles (pure).
//! - [`restore`]: undoing either function's fix (pure).
//! - [`aws`]: the S3 client, reading a bucket's settings, and the undo's port.
//!
//! It must not hold either function's scope or decisions: their folders do.

pub mod aws;
pub mod flags;
pub mod restore;

//! End-to-end support for the three functions against a local AWS emulator:
//! the real binaries, the real AWS SDK, real (emulated) AWS state.
//!
//! # Layout
//! - [`emulator`]: finds the emulator that `scripts/with-emulator` started on
//!   loopback, builds SDK clients for it, seeds resources and reads their state.
//! - [`function`]: runs a function's built binary as a Lambda bootstrap behind
//!   [`runtime_api`], with AWS pointed at the emulator, and feeds it the
//!   `events/` samples rewritten for the seeded resource ids.
//! - [`runtime_api`]: the Lambda Runtime API served on loopback.
//!
//! The tests live in `tests/emulator/` (one module per function, indexed in
//! its `main.rs`); `src/bin/remediation-demo.rs` is `make demo`.
//!
//! This crate is test support: it must never talk to anything but loopback,
//! and it holds no credentials (the emulator accepts any placeholder).

// Test support: a failed unwrap is a failed test or demo, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod emulator;
pub mod function;
pub mod runtime_api;

pub use emulator::{Emulator, GroupRule, Source};
pub use function::{Deployment, Function, Invocation};
pub use runtime_api::Answer;

//! Test support for every function, one crate that each function's tests,
//! the end-to-end tests, the demo and the benchmark take as a dependency.
//!
//! # Layout
//! - [`samples`]: the sample loader (`events/<function>/<file>`), the
//!   acted-on manifest, and the check of a scope against a table of readings.
//! - [`handler`]: the handler runner: a function's handler over fakes, with a
//!   recording sink, and the checks of what it answered and recorded.
//! - [`hostile`]: generated hostile input for any function's driver, run by
//!   [`hostile_tests!`] from each function's `tests/hostile.rs`.
//! - [`runtime_api`]: the Lambda Runtime API served on loopback, and the
//!   binary runner: the check that a function's real binary answers every
//!   sample.
//! - [`faults`]: faults by name and their wire form in each AWS protocol,
//!   for the fault matrices (aws-smithy-mocks rules and a hanging client),
//!   and [`retrying_client!`] for adapters' tests.
//! - [`matrix`]: the generic part of every function's fault matrix: its
//!   rows, the run of one row against the run without a fault, and the
//!   checks every row makes; [`fault_client!`] builds the client it runs
//!   on, and [`matrix_tests!`] writes its tests.
//! - [`metrics`]: the Embedded Metric Format specification's rules, as a
//!   check of the functions' metric documents.
//! - [`operations`]: the SDK operations a client starts, against an
//!   adapter's declared permissions.
//! - [`recorder`]: a recording endpoint on loopback for the calls the
//!   emulator lacks (Security Hub's `BatchUpdateFindings`).
//! - [`emulator`]: the local emulator that `scripts/with-emulator` started on
//!   loopback: SDK clients for it, seeding, and reading state back.
//! - [`function`]: a function's built binary as a Lambda bootstrap behind the
//!   Runtime API, with AWS pointed at the emulator, fed rewritten samples.
//! - [`queue`]: an organisation's sweep queue in the emulator, its messages
//!   delivered to a function as Lambda's SQS event source mapping does.
//! - [`sts_gate`]: a gate in front of the emulator that refuses member roles
//!   and throttles.
//!
//! It must never talk to anything but loopback, and it holds no credentials
//! (the emulator accepts any placeholder). It knows no function by name and
//! decides nothing a function decides: each function's tests say how their
//! cases must end; what this crate checks holds for every function (one
//! record per invocation, a transient fault ends as without it, ...).

// Test support: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod emulator;
pub mod faults;
pub mod function;
pub mod handler;
pub mod hostile;
pub mod matrix;
pub mod metrics;
pub mod operations;
pub mod queue;
pub mod recorder;
pub mod repo;
pub mod runtime_api;
pub mod samples;
pub mod sts_gate;

/// Re-exported for [`fault_client!`].
pub use aws_smithy_mocks;
pub use emulator::{Emulator, GroupRule, Source};
pub use function::{Deployment, Function, Invocation};
/// Re-exported for [`hostile_tests!`].
pub use proptest;
pub use runtime_api::Answer;

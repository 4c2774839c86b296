//! A function's handler run the way the runtime runs it, over whatever port
//! the test gives its remediator, with a recording sink: the answer and the
//! audit records, as JSON; the checks a test makes of them ([`Handled`],
//! [`check_twice`]), and the call log of a test's fake port ([`Calls`]).
//! It must not decide what a record should say: the tests name it.

use std::future::Future;
use std::sync::Mutex;

use lambda_runtime::{Context, LambdaEvent};
use remediation_shared::{handle, Config, HandlerError, RecordingSink, Remediator, Summary};
use serde_json::Value;

use crate::emulator::{ACCOUNT, REGION};

/// The ARN the handler runs as: `function` in the account and region that
/// the samples name, so that their resources are within its reach.
pub fn function_arn(function: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
}

/// What one invocation answered and recorded.
#[derive(Debug)]
pub struct Handled {
    /// The handler's answer.
    pub result: Result<Summary, HandlerError>,
    /// The audit records written, in order.
    pub records: Vec<Value>,
    /// The metric documents written with them, in order.
    pub metrics: Vec<Value>,
}

impl Handled {
    /// The answer and the records.
    pub fn into_parts(self) -> (Result<Summary, HandlerError>, Vec<Value>) {
        (self.result, self.records)
    }

    /// The first record written (panics, listing the records, when there is none).
    pub fn record(&self) -> &Value {
        self.records
            .first()
            .unwrap_or_else(|| panic!("no record: {:?}", self.result))
    }

    /// Checks that the invocation succeeded and its first record ended `outcome`.
    pub fn assert_outcome(&self, outcome: &str) {
        assert!(self.result.is_ok(), "{:?}", self.result);
        assert_eq!(self.record()["outcome"], outcome, "{}", self.record());
    }

    /// Checks that the invocation succeeded and its first record was
    /// skipped, for a reason that contains `reason`.
    pub fn assert_skipped(&self, reason: &str) {
        self.assert_outcome("skipped");
        let r = self.record();
        assert!(r["reason"].as_str().unwrap().contains(reason), "{r}");
    }

    /// Checks that the invocation failed and its first record failed with
    /// the error code `code`.
    pub fn assert_failed(&self, code: &str) {
        assert!(self.result.is_err(), "{:?}", self.result);
        let r = self.record();
        assert_eq!(r["outcome"], "failed", "{r}");
        assert_eq!(r["error_code"], code, "{r}");
    }

    /// Checks how an event that calls for no action ended, for the sample
    /// `file`: one record, `skipped`, or for a `malformed` event `failed`
    /// with a failed invocation.
    pub fn assert_not_acted_on(&self, file: &str, malformed: bool) {
        assert_eq!(self.records.len(), 1, "{file}: {:?}", self.records);
        assert_eq!(self.result.is_err(), malformed, "{file}: {:?}", self.result);
        let outcome = if malformed { "failed" } else { "skipped" };
        assert_eq!(self.records[0]["outcome"], outcome, "{file}");
    }
}

/// Runs `remediator` on `event` with `config`, as the function named in its
/// scope, and returns the answer and the records.
pub async fn run<R: Remediator>(remediator: &R, config: &Config, event: Value) -> Handled {
    let sink = RecordingSink::default();
    let mut ctx = Context::default();
    ctx.request_id = "test-request".into();
    ctx.invoked_function_arn = function_arn(<R::Scope as remediation_shared::Scope>::FUNCTION);
    let result = handle(
        remediator,
        config,
        &sink,
        remediation_runtime::invocation(LambdaEvent::new(event, ctx)),
    )
    .await;
    Handled {
        result,
        records: sink.records(),
        metrics: sink.metric_documents(),
    }
}

/// Checks that the same event, handled twice by `run`, is fixed by the
/// first run alone: the first succeeds, the second finds the resource
/// `already_compliant`, and `writes` (the writes made so far) counts one.
pub async fn check_twice<F: Future<Output = Handled>>(
    run: impl Fn() -> F,
    writes: impl Fn() -> usize,
) {
    let first = run().await;
    assert!(first.result.is_ok(), "first run: {:?}", first.result);
    run().await.assert_outcome("already_compliant");
    assert_eq!(writes(), 1, "writes after two runs");
}

/// The calls an in-memory adapter received, in order, one line each
/// (`detach app arn:...`): what a handler test's fake records.
#[derive(Debug, Default)]
pub struct Calls(Mutex<Vec<String>>);

impl Calls {
    /// Records one call.
    pub fn record(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }

    /// Every call so far, in order.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Whether no call was made.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap().is_empty()
    }

    /// How many calls start with `prefix` (`revoke`, `detach`).
    pub fn count(&self, prefix: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }
}

/// The configuration that enforces (dry run off), with the default exemption tag.
pub fn enforcing() -> Config {
    Config {
        mode: remediation_shared::Mode::Auto,
        ..Config::default()
    }
}

/// A record without its timestamp, for comparing two runs.
pub fn timeless(record: &Value) -> Value {
    let mut r = record.clone();
    r.as_object_mut().unwrap().remove("timestamp");
    r
}

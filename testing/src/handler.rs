//! A function's handler run the way the runtime runs it, over whatever port
//! the test gives its remediator, with a recording sink: the answer and the
//! audit records, as JSON. It must not decide what either should be.

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
}

impl Handled {
    /// The answer and the records.
    pub fn into_parts(self) -> (Result<Summary, HandlerError>, Vec<Value>) {
        (self.result, self.records)
    }
}

/// Runs `remediator` on `event` with `config`, as the function named in its
/// scope, and returns the answer and the records.
pub async fn run<R: Remediator>(remediator: &R, config: &Config, event: Value) -> Handled {
    let sink = RecordingSink::default();
    let mut ctx = Context::default();
    ctx.request_id = "test-request".into();
    ctx.invoked_function_arn = function_arn(<R::Scope as remediation_shared::Scope>::FUNCTION);
    let result = handle(remediator, config, &sink, LambdaEvent::new(event, ctx)).await;
    Handled {
        result,
        records: sink.records(),
    }
}

/// The configuration that enforces (dry run off), with the default exemption tag.
pub fn enforcing() -> Config {
    Config {
        dry_run: false,
        ..Config::default()
    }
}

/// A record without its timestamp, for comparing two runs.
pub fn timeless(record: &Value) -> Value {
    let mut r = record.clone();
    r.as_object_mut().unwrap().remove("timestamp");
    r
}

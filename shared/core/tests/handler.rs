//! The invocation driver, with a test scope, a fake remediator and a
//! recording sink: one record per item on every path (skips, malformed input,
//! failures, panics, other accounts), the schema of those records, dry run
//! decided once, and the return value.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

/// The driver's other paths, a file each (`tests/handler/`).
mod handler {
    mod channels;
    mod deadline;
    mod fanout;
    mod hub;
    mod sweep;
}

use std::ops::ControlFlow;
use std::sync::Mutex;

use remediation_shared::audit::RECORD_TYPE;
use remediation_shared::resource::BucketName;
use remediation_shared::{
    handle, AwsError, AwsErrorKind, Config, Examined, HandlerError, Home, Invocation, Outcome,
    Proposal, RecordingSink, Remediator, Report, Summary, Survey, TargetOf, Verdict,
};
use serde_json::{json, Value};
use support::Buckets;

/// Decides by bucket name: `ok-*` calls for a change that is then applied,
/// `clean-*` is compliant, `held-*` is wrong but exempt, `fail-*` fails with AccessDenied, and `panic-*`
/// panics. Records every examine and apply it was asked to do.
#[derive(Default)]
pub struct Fake {
    /// Buckets examined.
    pub seen: Mutex<Vec<String>>,
    /// Buckets a write was applied to.
    pub applied: Mutex<Vec<String>>,
    /// The buckets a sweep's survey finds: all but `clean-*` are suspects.
    pub inventory: Vec<&'static str>,
    /// The error that stops the survey after it read the inventory, if any.
    pub survey_error: Option<AwsError>,
    /// Each batch a sweep prefetched: its size, and how many buckets had
    /// been examined before it.
    pub batches: Mutex<Vec<(usize, usize)>>,
}

impl Remediator for Fake {
    type Scope = Buckets;
    type Work = String;

    async fn survey(&self, _home: &Home) -> Survey<BucketName> {
        let suspects = self
            .inventory
            .iter()
            .filter(|b| !b.starts_with("clean-"))
            .map(|b| BucketName::parse("inventory", b).unwrap())
            .collect();
        Survey {
            error: self.survey_error.clone(),
            ..Survey::complete(self.inventory.len(), suspects)
        }
    }

    async fn prefetch(&self, suspects: &[BucketName]) {
        let before = self.seen.lock().unwrap().len();
        self.batches.lock().unwrap().push((suspects.len(), before));
    }

    async fn examine(&self, target: &TargetOf<Self>, _config: &Config) -> Examined<String> {
        let b = target.resource.as_str();
        self.seen.lock().unwrap().push(b.to_owned());
        if b.starts_with("panic-") {
            panic!("boom on {b}");
        }
        if b.starts_with("fail-") {
            let err = AwsError::of(
                "GetThing",
                AwsErrorKind::AccessDenied,
                "AccessDenied",
                "nope",
            );
            return ControlFlow::Break(Report::failed(&err));
        }
        if b.starts_with("hang-") {
            let hung = remediation_shared::deadline::within(
                "GetThing",
                std::future::pending::<Result<(), AwsError>>(),
            )
            .await;
            return ControlFlow::Break(Report::failed(&hung.unwrap_err()));
        }
        if b.starts_with("held-") {
            return remediation_shared::Decision::<()>::Withheld(
                "bucket carries the exemption tag".into(),
            )
            .examined("", &"open", |()| unreachable!());
        }
        if b.starts_with("clean-") {
            return ControlFlow::Break(
                Report::new(Outcome::AlreadyCompliant, "clean")
                    .unchanged(&"closed")
                    .verdict(Verdict::holds("T.1")),
            );
        }
        ControlFlow::Continue(Proposal::new(
            &"open",
            &["close"],
            format!("close {b}"),
            b.to_owned(),
        ))
    }

    async fn apply(&self, _target: &TargetOf<Self>, proposal: Proposal<String>) -> Report {
        self.applied.lock().unwrap().push(proposal.work.clone());
        // A "half-" bucket is fixed while the rest of its control still fails.
        let failing = if proposal.work.starts_with("half-") {
            vec!["the other half".to_owned()]
        } else {
            vec![]
        };
        proposal
            .report(Outcome::Remediated, "fixed")
            .after(&"closed")
            .changes(&["close"])
            .verdict(Verdict::of("T.1", failing))
    }
}

fn hub_event(buckets: &[&str]) -> Value {
    let findings: Vec<Value> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| json!({"Id": format!("f-{i}"), "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
            "AwsAccountId": "123456789012", "RecordState": "ACTIVE",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8"},
            "Resources": [{"Type": "AwsS3Bucket", "Id": format!("arn:aws:s3:::{b}"), "Region": "us-east-1"}]}))
        .collect();
    json!({"version": "0", "id": "event-1", "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
           "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {"findings": findings}})
}

/// The driver's surroundings with `locate`, `notify` and `findings`, and no hub.
fn around<'a, L, N, U>(
    locate: &'a L,
    notify: &'a N,
    findings: &'a U,
) -> remediation_shared::Around<'a, L, N, U, remediation_shared::NoHub, remediation_shared::NoFanOut>
{
    remediation_shared::Around {
        locate,
        notify,
        findings,
        reach: &remediation_shared::NoHub,
        fanout: &remediation_shared::NoFanOut,
    }
}

fn invoke(payload: Value, function_arn: &str) -> Invocation<Value> {
    Invocation {
        payload,
        request_id: "req-1".into(),
        invoked_function_arn: function_arn.into(),
        deadline_ms: 0,
    }
}

/// The instant `d` from now, as Lambda's deadline header writes it.
fn in_ms(d: std::time::Duration) -> u64 {
    (std::time::SystemTime::now() + d)
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

const HOME: &str = "arn:aws:lambda:us-east-1:123456789012:function:test-buckets";

/// `payload` handled once by a fresh fake with the default configuration, in
/// a function whose ARN is `home`: the fake, what was recorded, and the result.
async fn handled_at(
    payload: Value,
    home: &str,
) -> (Fake, RecordingSink, Result<Summary, HandlerError>) {
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let result = handle(&fake, &Config::default(), &sink, invoke(payload, home)).await;
    (fake, sink, result)
}

/// `payload` handled as by [`handled_at`], in the function at [`HOME`].
async fn handled(payload: Value) -> (Fake, RecordingSink, Result<Summary, HandlerError>) {
    handled_at(payload, HOME).await
}

#[tokio::test]
async fn each_resource_gets_one_record_in_the_stable_schema() {
    let (_, sink, result) = handled(hub_event(&["ok-one", "ok-two"])).await;
    let summary = result.unwrap();
    let records = sink.records();
    assert_eq!(records.len(), 2);
    let r = &records[0];
    let keys: std::collections::BTreeSet<&str> =
        r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        std::collections::BTreeSet::from([
            "record_type",
            "schema_version",
            "timestamp",
            "function",
            "request_id",
            "trigger",
            "control",
            "account",
            "region",
            "resource",
            "action",
            "outcome",
            "reason",
            "before",
            "after",
            "changes",
            "dry_run",
            "error_code"
        ])
    );
    assert_eq!(r["record_type"], RECORD_TYPE);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["function"], "test-buckets");
    assert_eq!(r["request_id"], "req-1");
    assert_eq!(
        r["trigger"],
        json!({"source": "aws.securityhub", "detail_type": "Security Hub Findings - Imported", "event_id": "event-1", "finding_id": "f-0", "name": "S3.8"})
    );
    assert_eq!(r["resource"], "arn:aws:s3:::ok-one");
    assert_eq!(r["account"], "123456789012");
    assert_eq!(r["action"], "test_bucket_action");
    assert_eq!(r["outcome"], "remediated");
    assert_eq!(r["error_code"], Value::Null);
    assert_eq!(summary.counts.get("remediated"), Some(&2));
    assert_eq!(summary.results.len(), 2);
}

#[tokio::test]
async fn a_failure_fails_the_invocation_after_every_record_is_written() {
    let (_, sink, result) = handled(hub_event(&["fail-one", "ok-two"])).await;
    let err = result.unwrap_err();
    let records = sink.records();
    assert_eq!(
        records.len(),
        2,
        "the second bucket is still examined and recorded"
    );
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "AccessDenied");
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("access denied"));
    assert_eq!(records[1]["outcome"], "remediated");
    assert_eq!(err.error_type(), "Aws.AccessDenied");
    assert!(err.to_string().contains("1 of 2"), "{err}");
}

#[tokio::test]
async fn a_panic_becomes_a_failed_record_and_the_rest_still_runs() {
    let (_, sink, result) = handled(hub_event(&["panic-one", "ok-two"])).await;
    let err = result.unwrap_err();
    let records = sink.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "Handler.Panic");
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("boom on panic-one"));
    assert_eq!(records[1]["outcome"], "remediated");
    assert!(matches!(
        err,
        HandlerError::Remediation {
            failed: 1,
            total: 2,
            ..
        }
    ));
}

#[tokio::test]
async fn malformed_input_is_an_error_with_a_record_and_no_remediation() {
    let event = json!({"id": "bad-1", "source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported", "detail": {"findings": 3}});
    let (fake, sink, result) = handled(event).await;
    let err = result.unwrap_err();
    assert!(fake.seen.lock().unwrap().is_empty());
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "Finding.Malformed");
    assert_eq!(records[0]["trigger"]["event_id"], "bad-1");
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("detail.findings"));
    assert_eq!(err.error_type(), "Finding.Malformed");
}

#[tokio::test]
async fn non_object_payloads_are_malformed_not_panics() {
    for payload in [json!(null), json!("text"), json!([1, 2]), json!(42)] {
        let (_, sink, result) = handled(payload.clone()).await;
        assert!(
            matches!(result, Err(HandlerError::Malformed(_))),
            "{payload}"
        );
        assert_eq!(sink.records().len(), 1, "{payload}");
    }
}

#[tokio::test]
async fn other_events_are_skipped_successfully_with_a_record() {
    let event = json!({"id": "x", "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}});
    let (_, sink, result) = handled(event).await;
    let summary = result.unwrap();
    assert_eq!(summary.counts.get("skipped"), Some(&1));
    let records = sink.records();
    assert_eq!(records[0]["outcome"], "skipped");
    assert_eq!(records[0]["resource"], Value::Null);
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("EC2 Instance State-change Notification"));
}

#[tokio::test]
async fn resources_of_another_account_or_region_are_never_touched() {
    for home in [
        "arn:aws:lambda:us-east-1:999999999999:function:test-buckets",
        "arn:aws:lambda:eu-west-1:123456789012:function:test-buckets",
    ] {
        let (fake, sink, result) = handled_at(hub_event(&["ok-one"]), home).await;
        result.unwrap();
        assert!(fake.seen.lock().unwrap().is_empty(), "{home}");
        let r = &sink.records()[0];
        assert_eq!(r["outcome"], "skipped");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("this function acts only in its own"),
            "{r}"
        );
    }
}

#[tokio::test]
async fn dry_run_flag_is_in_every_record_and_the_summary() {
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let config = Config {
        mode: remediation_shared::Mode::DryRun,
        ..Config::default()
    };
    let summary = handle(&fake, &config, &sink, invoke(hub_event(&["ok-one"]), HOME))
        .await
        .unwrap();
    assert!(summary.dry_run);
    assert_eq!(sink.records()[0]["dry_run"], true);
}

#[tokio::test]
async fn dry_run_is_decided_once_by_the_driver_which_never_applies() {
    // GIVEN one bucket that calls for a change and one that is compliant
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let config = Config {
        mode: remediation_shared::Mode::DryRun,
        ..Config::default()
    };
    // WHEN the event is handled in dry run
    let summary = handle(
        &fake,
        &config,
        &sink,
        invoke(hub_event(&["ok-one", "clean-two"]), HOME),
    )
    .await
    .unwrap();
    // THEN both are examined, nothing is applied, and the proposal is recorded as a dry run
    assert_eq!(fake.seen.lock().unwrap().len(), 2);
    assert!(fake.applied.lock().unwrap().is_empty());
    let records = sink.records();
    assert_eq!(records[0]["outcome"], "dry_run");
    assert_eq!(records[0]["reason"], "dry run: would close ok-one");
    assert_eq!(records[0]["before"], "open");
    assert_eq!(records[0]["after"], "open");
    assert_eq!(records[0]["changes"], json!(["close"]));
    assert_eq!(records[1]["outcome"], "already_compliant");
    assert_eq!(summary.counts.get("dry_run"), Some(&1));

    // AND without dry run the same proposal is applied and recorded as done
    let (fake, sink, result) = handled(hub_event(&["ok-one"])).await;
    result.unwrap();
    assert_eq!(*fake.applied.lock().unwrap(), ["ok-one"]);
    let r = &sink.records()[0];
    assert_eq!(
        (&r["outcome"], &r["before"], &r["after"]),
        (&json!("remediated"), &json!("open"), &json!("closed"))
    );
}

#[tokio::test]
async fn a_clipped_reason_says_exactly_how_much_was_cut() {
    // GIVEN a compliant Config result whose rule name is 5,000 characters long
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let event = json!({"version": "0", "id": "e-1", "detail-type": "Config Rules Compliance Change",
        "source": "aws.config", "account": "123456789012", "region": "us-east-1", "resources": [],
        "detail": {"resourceId": "b-1", "resourceType": "AWS::S3::Bucket", "configRuleName": "r".repeat(5_000),
                   "newEvaluationResult": {"complianceType": "COMPLIANT"}}});
    // WHEN it is handled
    handle(&fake, &Config::default(), &sink, invoke(event, HOME))
        .await
        .unwrap();
    // THEN the reason and the trigger name are clipped, saying how much was cut
    let record = &sink.records()[0];
    let full = format!("Config reports COMPLIANT for {}", "r".repeat(5_000));
    let cut = full.chars().count() - 1_024;
    assert_eq!(
        record["reason"],
        format!("{}... ({cut} more characters)", &full[..1_024])
    );
    assert_eq!(
        record["trigger"]["name"],
        format!("{}... (4744 more characters)", "r".repeat(256))
    );
}

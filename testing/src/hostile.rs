//! Hostile and broken input for any function's driver: arbitrary JSON, every
//! sample with a wrong type in each field, truncated payloads, oversized
//! strings, and ARNs of every partition and of no valid shape. A function's
//! `tests/hostile.rs` runs them all with [`hostile_tests!`](crate::hostile_tests).
//!
//! Every case must end the same way: no panic, no call to the remediator
//! unless the event really names a valid target, at least one audit record,
//! records of bounded size, and for input that cannot be read an error that
//! names the problem (the field's path, or that it is not JSON) with exactly
//! one `failed` record coded `Finding.Malformed`. The remediator here counts
//! its calls instead of calling AWS: a call is where an AWS call would start.

use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use lambda_runtime::{Context, LambdaEvent};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use remediation_shared::event::Payload;
use remediation_shared::{
    handle, Config, Examined, FindingError, HandlerError, Home, Outcome, Proposal, RecordingSink,
    Remediator, Report, Scope, Survey, TargetOf,
};
use serde_json::{json, Value};

use crate::handler::function_arn;

/// The largest audit record any input may produce, serialised.
pub const MAX_RECORD_BYTES: usize = 8 * 1024;

/// A remediator of scope `S` that counts the targets it is asked to examine
/// and reports each as remediated, without any AWS call.
pub struct Counting<S> {
    calls: AtomicUsize,
    scope: PhantomData<fn() -> S>,
}

impl<S> Default for Counting<S> {
    fn default() -> Self {
        Counting {
            calls: AtomicUsize::new(0),
            scope: PhantomData,
        }
    }
}

impl<S: Scope> Remediator for Counting<S> {
    type Scope = S;
    type Work = ();

    async fn examine(&self, _target: &TargetOf<Self>, _config: &Config) -> Examined<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        ControlFlow::Break(Report::new(Outcome::Remediated, "fixed"))
    }

    async fn survey(&self, _home: &Home) -> Survey<S::Resource> {
        Survey::complete(0, Vec::new())
    }

    async fn apply(&self, _target: &TargetOf<Self>, _proposal: Proposal<()>) -> Report {
        Report::new(Outcome::Remediated, "fixed")
    }
}

/// What one function did with one payload.
pub struct Run {
    /// The function's name.
    pub function: &'static str,
    /// The number of summary lines, or the error.
    pub result: Result<usize, HandlerError>,
    /// The records written.
    pub records: Vec<Value>,
    /// The sweep summaries written (a scheduled event starts a sweep).
    pub summaries: Vec<Value>,
    /// The targets the remediator was asked to examine.
    pub calls: usize,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}

/// Runs `payload` through the driver of scope `S`, with a counting remediator.
pub fn run<S: Scope>(payload: &Payload) -> Run {
    runtime().block_on(async {
        let (remediator, sink) = (Counting::<S>::default(), RecordingSink::default());
        let mut ctx = Context::default();
        ctx.request_id = "req-hostile".into();
        ctx.invoked_function_arn = function_arn(S::FUNCTION);
        let result = handle(
            &remediator,
            &Config::default(),
            &sink,
            remediation_runtime::invocation(LambdaEvent::new(payload.clone(), ctx)),
        )
        .await
        .map(|s| s.results.len());
        Run {
            function: S::FUNCTION,
            result,
            records: sink.records(),
            summaries: sink.summaries(),
            calls: remediator.calls.load(Ordering::SeqCst),
        }
    })
}

/// The invariants every input must keep, whatever it is.
pub fn check(run: &Run) -> Result<(), TestCaseError> {
    let name = run.function;
    // A sweep that found nothing to examine writes only its summary.
    prop_assert!(
        !run.records.is_empty() || run.summaries.len() == 1,
        "{name}: no audit record"
    );
    for r in &run.records {
        let size = serde_json::to_string(r).unwrap().len();
        prop_assert!(
            size <= MAX_RECORD_BYTES,
            "{name}: a record of {size} bytes: {}",
            &r.to_string()[..300]
        );
        prop_assert_eq!(&r["function"], name);
    }
    match &run.result {
        Ok(lines) => {
            prop_assert_eq!(*lines, run.records.len(), "{}: one record per line", name);
            let remediated = run
                .records
                .iter()
                .filter(|r| r["outcome"] == "remediated")
                .count();
            prop_assert_eq!(run.calls, remediated, "{}: calls and records differ", name);
        }
        Err(HandlerError::Malformed(err)) => {
            prop_assert_eq!(
                run.calls,
                0,
                "{}: malformed input reached the remediator",
                name
            );
            prop_assert_eq!(run.records.len(), 1);
            let r = &run.records[0];
            prop_assert_eq!(&r["outcome"], "failed");
            prop_assert_eq!(&r["error_code"], "Finding.Malformed");
            let message = err.to_string();
            prop_assert!(
                message.starts_with("field `")
                    || message.starts_with("event is not a JSON object")
                    || message.starts_with("event is not valid JSON"),
                "{name}: an error that names nothing: {message}"
            );
            prop_assert!(r["reason"].as_str().unwrap().contains("malformed event"));
        }
        Err(other) => {
            prop_assert!(
                false,
                "{name}: an error other than malformed input: {other}"
            );
        }
    }
    Ok(())
}

/// Every sample in `events/`, by relative path.
pub fn samples() -> &'static [(String, Value)] {
    static SAMPLES: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        crate::samples::all()
            .into_iter()
            .map(|rel| {
                let (dir, file) = rel.split_once('/').unwrap();
                let value = crate::samples::load(dir, file);
                (rel, value)
            })
            .collect()
    })
}

/// Every path inside `v`, in the form errors name them (`detail.findings[0].Id`).
pub fn paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(p.clone());
                paths(child, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{prefix}[{i}]");
                out.push(p.clone());
                paths(child, &p, out);
            }
        }
        _ => {}
    }
}

/// The value at `path` (as produced by [`paths`]), mutably.
pub fn at_path<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    let mut cur = v;
    for seg in path.split('.') {
        let (key, indexes) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if !key.is_empty() {
            cur = cur.get_mut(key).unwrap();
        }
        for idx in indexes
            .split(['[', ']'])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().unwrap())
        {
            cur = cur.get_mut(idx).unwrap();
        }
    }
    cur
}

/// A number for each JSON type, to tell a value's type from another's.
pub fn json_type(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// One value of each JSON type.
pub fn one_of_each_type() -> [Value; 6] {
    [
        Value::Null,
        json!(true),
        json!(22),
        json!("sg-0123456789abcdef0"),
        json!(["arn:aws:s3:::bucket"]),
        json!({"name": "x"}),
    ]
}

/// Whether the error's path and the mutated path are the same field, or one
/// contains the other.
pub fn related(error_path: &str, mutated: &str) -> bool {
    let within = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}.")) || a.starts_with(&format!("{b}["))
    };
    within(error_path, mutated) || within(mutated, error_path)
}

/// Arbitrary JSON, with the keys and values of real events mixed in.
pub fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        prop::sample::select(vec![
            "aws.config",
            "aws.guardduty",
            "aws.securityhub",
            "aws.s3",
            "AWS API Call via CloudTrail",
            "Config Rules Compliance Change",
            "GuardDuty Finding",
            "Security Hub Findings - Imported",
            "Findings Imported V2",
            "Fail",
            "NON_COMPLIANT",
            "arn:aws:s3:::bucket",
            "sg-0123456789abcdef0",
            "AWS::S3::Bucket",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,12}",
                    prop::sample::select(vec![
                        "source",
                        "detail-type",
                        "detail",
                        "id",
                        "account",
                        "region",
                        "resources",
                        "findings",
                        "Resources",
                        "Id",
                        "Type",
                        "eventName",
                        "requestParameters",
                        "resourceId",
                        "resourceType",
                        "configRuleName",
                        "newEvaluationResult",
                        "complianceType",
                        "type",
                        "resource",
                        "class_uid",
                        "compliance",
                        "control",
                        "uid",
                        "uid_alt",
                    ])
                    .prop_map(String::from),
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An envelope of a known source and detail-type around an arbitrary detail,
/// so that generated input reaches each trigger's parser.
pub fn arbitrary_envelope() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            ("aws.config", "Config Rules Compliance Change"),
            ("aws.guardduty", "GuardDuty Finding"),
            ("aws.securityhub", "Security Hub Findings - Imported"),
            ("aws.securityhub", "Findings Imported V2"),
            ("aws.s3", "AWS API Call via CloudTrail"),
            ("aws.ec2", "AWS API Call via CloudTrail"),
            ("aws.iam", "AWS API Call via CloudTrail"),
        ]),
        arbitrary_json(),
    )
        .prop_map(|((source, detail_type), detail)| {
            json!({"version": "0", "id": "e-1", "source": source, "detail-type": detail_type,
                   "account": "123456789012", "region": "us-east-1", "time": "2026-01-01T00:00:00Z",
                   "resources": [], "detail": detail})
        })
}

/// `n` cases, or `PROPTEST_CASES` when set (for longer runs by hand).
pub fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(n),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A retyped field of a sample: checks that the function acts on no more
/// than the sample names, and that an error blames that field (or one that
/// contains it, or one it contains).
pub fn check_retyped<S: Scope>(
    name: &str,
    original: &Value,
    path: &str,
    value: Value,
) -> Result<(), TestCaseError> {
    let before = run::<S>(&Payload::Json(original.clone()));
    let after = run::<S>(&Payload::Json(value));
    check(&after)?;
    let fname = S::FUNCTION;
    prop_assert!(
        after.calls <= before.calls,
        "{name} with `{path}` retyped: {fname} acted on more than the sample names"
    );
    // A sample that is malformed already stays so, for its own reason.
    let was_readable = !matches!(before.result, Err(HandlerError::Malformed(_)));
    if let (
        true,
        Err(HandlerError::Malformed(
            FindingError::Field { path: at, .. } | FindingError::Value { path: at, .. },
        )),
    ) = (was_readable, &after.result)
    {
        prop_assert!(
            related(at, path),
            "{name} with `{path}` retyped: {fname} blames `{at}`"
        );
    }
    Ok(())
}

/// A Security Hub finding on a resource of type `ty` named by `arn`, with
/// `extra` merged into the finding (a control, product fields).
pub fn asff_event(ty: &str, arn: &str, extra: &Value) -> Value {
    let mut finding = json!({
        "Id": "f-1", "AwsAccountId": "123456789012", "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
        "Compliance": {"Status": "FAILED"},
        "Resources": [{"Type": ty, "Id": arn, "Region": "us-east-1"}]
    });
    if let (Some(f), Some(e)) = (finding.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            f.insert(k.clone(), v.clone());
        }
    }
    json!({
        "version": "0", "id": "e-arn", "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub", "account": "123456789012", "region": "us-east-1",
        "time": "2026-01-01T00:00:00Z", "resources": [],
        "detail": {"findings": [finding]}
    })
}

/// The ARN tests' check: a resource acted on is named by a well-formed ARN
/// of a known partition, the one the finding gave.
pub fn check_arn_reading<S: Scope>(
    arn: &str,
    partition: &str,
    extra: &Value,
) -> Result<(), TestCaseError> {
    for ty in [
        <S::Resource as remediation_shared::Resource>::ASFF_TYPE,
        "AwsS3Bucket",
        "AwsEc2SecurityGroup",
        "AwsIamRole",
    ] {
        let run = run::<S>(&Payload::Json(asff_event(ty, arn, extra)));
        check(&run)?;
        for r in run.records.iter().filter(|r| r["outcome"] == "remediated") {
            let resource = r["resource"].as_str().unwrap();
            let parts: Vec<&str> = resource.splitn(6, ':').collect();
            prop_assert_eq!(parts.len(), 6, "acted on {} from {}", resource, arn);
            prop_assert_eq!(parts[1], partition, "acted on {} from {}", resource, arn);
            prop_assert!(!["", "AWS", "aws-mars", "aws ", "aws-cn-x"].contains(&partition));
        }
    }
    Ok(())
}

/// The hostile-input tests for the function whose scope is `$scope`;
/// `$finding` is merged into generated Security Hub findings so that they
/// call for its fix (a control id, or Config's product fields).
#[macro_export]
macro_rules! hostile_tests {
    ($scope:ty, $finding:expr) => {
        use $crate::hostile::{
            arbitrary_envelope, arbitrary_json, at_path, cases, check, check_arn_reading,
            check_retyped, json_type, one_of_each_type, paths, run, samples,
        };
        use $crate::proptest::prelude::*;
        use remediation_shared::event::Payload;
        use remediation_shared::{FindingError, HandlerError};
        use serde_json::Value;

        $crate::proptest::proptest! {
            #![proptest_config(cases(512))]

            #[test]
            fn arbitrary_json_is_read_or_rejected_with_a_record(value in arbitrary_json()) {
                check(&run::<$scope>(&Payload::Json(value)))?;
            }

            #[test]
            fn arbitrary_details_under_each_trigger_are_read_or_rejected_with_a_record(
                value in arbitrary_envelope()
            ) {
                check(&run::<$scope>(&Payload::Json(value)))?;
            }

            #[test]
            fn a_wrong_type_in_any_field_of_any_sample_is_named_or_ignored(
                sample in 0..samples().len(),
                pick in any::<prop::sample::Index>(),
                replacement in 0..5usize,
            ) {
                let (name, original) = &samples()[sample];
                let mut all = Vec::new();
                paths(original, "", &mut all);
                prop_assume!(!all.is_empty());
                let path = pick.get(&all).clone();
                let mut value = original.clone();
                let slot = at_path(&mut value, &path);
                let others: Vec<Value> = one_of_each_type()
                    .into_iter()
                    .filter(|v| json_type(v) != json_type(slot))
                    .collect();
                *slot = others[replacement % others.len()].clone();
                check_retyped::<$scope>(name, original, &path, value)?;
            }

            #[test]
            fn truncated_payloads_are_rejected_as_not_json_with_a_record(
                sample in 0..samples().len(),
                cut in any::<prop::sample::Index>(),
            ) {
                let text = serde_json::to_string(&samples()[sample].1).unwrap();
                let cut = cut.index(text.len());
                let payload = Payload::from_slice(&text.as_bytes()[..cut]);
                prop_assert!(matches!(payload, Payload::NotJson(_)), "a truncated payload read as JSON");
                let run = run::<$scope>(&payload);
                check(&run)?;
                prop_assert!(matches!(
                    run.result,
                    Err(HandlerError::Malformed(FindingError::NotJson(_)))
                ));
            }

            #[test]
            fn oversized_strings_anywhere_leave_bounded_records(
                sample in 0..samples().len(),
                pick in any::<prop::sample::Index>(),
                size in 4_096usize..300_000,
                fill in prop::sample::select(vec!['a', '0', ':', '/', '-', '\u{e9}']),
            ) {
                let (_, original) = &samples()[sample];
                let mut all = Vec::new();
                paths(original, "", &mut all);
                let mut value = original.clone();
                let strings: Vec<&String> = all.iter().filter(|p| at_path(&mut value.clone(), p).is_string()).collect();
                prop_assume!(!strings.is_empty());
                let path = pick.get(&strings).to_string();
                *at_path(&mut value, &path) = Value::String(std::iter::repeat_n(fill, size).collect());
                check(&run::<$scope>(&Payload::Json(value)))?;
            }

            #[test]
            fn arns_of_every_partition_and_of_no_valid_shape_are_read_exactly(
                partition in prop::sample::select(vec![
                    "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
                    "aws-eusc", "", "AWS", "aws-mars", "aws ", "aws-cn-x",
                ]),
                service in prop::sample::select(vec!["s3", "ec2", "iam", "", "S3", "s3x"]),
                region in prop::sample::select(vec!["", "us-east-1", "cn-north-1", "us-gov-west-1", "x"]),
                account in prop::sample::select(vec!["", "123456789012", "12345678901", "aws", "abcdefghijkl"]),
                resource in prop::sample::select(vec![
                    "my-bucket", "security-group/sg-0123456789abcdef0", "role/app-role",
                    "role/service-role/app-role", "", ":", "Bad Bucket", "a", "sg-1", "role/",
                ]),
                shape in 0..4usize,
            ) {
                let arn = match shape {
                    0 => format!("arn:{partition}:{service}:{region}:{account}:{resource}"),
                    1 => format!("arn:{partition}:{service}:{region}:{account}"),
                    2 => format!("{partition}:{service}:::{resource}"),
                    _ => format!("arn:{partition}:{service}:{region}:{account}:{resource}:extra/{resource}"),
                };
                check_arn_reading::<$scope>(&arn, partition, &$finding)?;
            }
        }

        #[test]
        fn deeply_nested_payloads_are_not_json_rather_than_a_stack_overflow() {
            let deep = "[".repeat(100_000);
            let payload = Payload::from_slice(deep.as_bytes());
            let Payload::NotJson(message) = &payload else {
                panic!("read as JSON")
            };
            assert!(message.contains("recursion limit"), "{message}");
            check(&run::<$scope>(&payload)).unwrap();
        }

        #[test]
        fn the_checks_fail_on_a_run_without_a_record() {
            // The invariants themselves can fail: a run that wrote nothing is caught.
            let run = $crate::hostile::Run {
                function: "any",
                result: Ok(0),
                records: Vec::new(),
                summaries: Vec::new(),
                calls: 0,
            };
            assert!(check(&run).is_err());
        }
    };
}

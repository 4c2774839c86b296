//! Lambda's deadline: a target not started without time to record it, less time
//! per call, a local emulator's relative deadline, and where the function runs
//! when the invoked ARN does not say.

use crate::*;

#[tokio::test]
async fn a_target_is_not_started_when_only_the_time_to_record_it_is_left() {
    // GIVEN a deadline closer than the time kept to write records
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["ok-one", "ok-two"]), HOME);
    event.deadline_ms = in_ms(std::time::Duration::from_millis(300));
    // WHEN the event is handled
    let err = handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap_err();
    // THEN nothing is started, every target has a failed record, and the invocation fails
    assert!(fake.seen.lock().unwrap().is_empty());
    let records = sink.records();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["outcome"], "failed");
        assert_eq!(r["error_code"], "DeadlineNear");
    }
    assert!(err.to_string().contains("DeadlineNear"), "{err}");
}

#[tokio::test]
async fn a_short_timeout_means_less_time_per_call_not_no_work() {
    // GIVEN Lambda's default timeout of 3 s
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["ok-one", "ok-two"]), HOME);
    event.deadline_ms = in_ms(std::time::Duration::from_secs(3));
    // WHEN the event is handled
    handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap();
    // THEN both targets are fixed
    assert_eq!(fake.applied.lock().unwrap().len(), 2);

    // AND a call that hangs is cut before the deadline, with a record
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["hang-one"]), HOME);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    event.deadline_ms = in_ms(std::time::Duration::from_millis(1500));
    handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap_err();
    assert!(
        std::time::Instant::now() < deadline,
        "answered after the deadline"
    );
    let r = &sink.records()[0];
    assert_eq!(
        (&r["outcome"], &r["error_code"]),
        (&json!("failed"), &json!("TimeoutError"))
    );
}

#[tokio::test]
async fn a_local_emulators_relative_deadline_leaves_time_to_work() {
    // GIVEN the deadline header as `cargo lambda watch` sends it: ten minutes, as a duration
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["ok-one"]), HOME);
    event.deadline_ms = 600_000;
    // WHEN the event is handled
    handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap();
    // THEN the target is fixed
    assert_eq!(sink.records()[0]["outcome"], "remediated");
}

#[tokio::test]
async fn an_unreadable_invoked_arn_fails_closed_and_touches_nothing() {
    for home in ["", "not-an-arn", "arn:aws:lambda:::function:no-account"] {
        // GIVEN a function that cannot tell its own account and region
        // WHEN a finding about a bucket arrives
        let (fake, sink, result) = handled_at(hub_event(&["ok-one"]), home).await;
        let err = result.unwrap_err();
        // THEN nothing is examined, and the record and the error say why
        assert!(fake.seen.lock().unwrap().is_empty(), "{home:?}");
        let r = &sink.records()[0];
        assert_eq!(r["outcome"], "failed", "{home:?}");
        assert_eq!(r["error_code"], "InvokedArnUnreadable", "{home:?}");
        assert_eq!(err.error_type(), "Remediation.InvokedArnUnreadable");
    }
}

/// A local emulator's stand-in for the invoked ARN: the credentials' account.
struct Credentials(&'static str);

impl remediation_shared::Locate for Credentials {
    async fn locate(&self) -> Result<remediation_shared::Home, String> {
        Ok(remediation_shared::Home {
            account: self.0.into(),
            region: "us-east-1".into(),
        })
    }
}

#[tokio::test]
async fn without_an_invoked_arn_the_credentials_account_is_home() {
    // GIVEN `cargo lambda watch`'s placeholder ARN, and credentials of the finding's account
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let event = invoke(hub_event(&["ok-one"]), "function-arn");
    // WHEN the event is handled
    remediation_shared::handle_with(
        &fake,
        &Config::default(),
        &sink,
        event,
        around(
            &Credentials("123456789012"),
            &remediation_shared::Silent,
            &remediation_shared::LeaveFindings,
        ),
    )
    .await
    .unwrap();
    // THEN the bucket is fixed
    assert_eq!(sink.records()[0]["outcome"], "remediated");

    // AND credentials of another account act on nothing there
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let event = invoke(hub_event(&["ok-one"]), "function-arn");
    remediation_shared::handle_with(
        &fake,
        &Config::default(),
        &sink,
        event,
        around(
            &Credentials("999999999999"),
            &remediation_shared::Silent,
            &remediation_shared::LeaveFindings,
        ),
    )
    .await
    .unwrap();
    assert!(fake.seen.lock().unwrap().is_empty());
    assert_eq!(sink.records()[0]["outcome"], "skipped");
}

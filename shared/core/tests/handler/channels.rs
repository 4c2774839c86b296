//! The side channels: metrics of every record, a person told, and Security Hub
//! findings resolved or flagged.

use crate::*;

/// `t` as RFC 3339, as events write times.
fn rfc3339(t: std::time::SystemTime) -> String {
    remediation_shared::stamp::millis(t)
}

#[tokio::test]
async fn every_record_is_counted_and_a_fix_is_timed_from_the_problems_own_time() {
    use std::time::{Duration, SystemTime};
    let now = SystemTime::now();
    let ago = |s: u64| rfc3339(now - Duration::from_secs(s));
    // (the finding's UpdatedAt, the event's time, the time to remediate expected, in s)
    let cases = [
        (json!(ago(90)), json!(ago(10)), 90),
        (Value::Null, json!(ago(30)), 30),
        (json!("yesterday"), json!(ago(45)), 45),
    ];
    for (updated_at, sent_at, expected) in cases {
        let mut event = hub_event(&["ok-one", "clean-two"]);
        event["time"] = sent_at;
        for f in event["detail"]["findings"].as_array_mut().unwrap() {
            f["UpdatedAt"] = updated_at.clone();
        }
        let (fake, sink) = (Fake::default(), RecordingSink::default());
        handle(&fake, &Config::default(), &sink, invoke(event, HOME))
            .await
            .unwrap();
        let docs = sink.metric_documents();
        assert_eq!(docs.len(), 2, "one document per record");
        let (fixed, clean) = (&docs[0], &docs[1]);
        assert_eq!(fixed["Function"], "test-buckets");
        assert_eq!(fixed["Outcome"], "remediated");
        assert_eq!(fixed["Trigger"], "securityhub");
        assert_eq!(fixed["Remediations"], 1);
        let ms = fixed["TimeToRemediate"].as_u64().unwrap();
        assert!(
            (expected * 1000..(expected + 5) * 1000).contains(&ms),
            "{updated_at}: {ms} ms, expected about {expected} s"
        );
        assert_eq!(clean["Outcome"], "already_compliant");
        assert!(clean.get("TimeToRemediate").is_none(), "nothing was fixed");
    }
}

/// Keeps what it was asked to publish; fails every publish when `fail`.
#[derive(Default)]
struct Inbox {
    fail: bool,
    messages: Mutex<Vec<remediation_shared::notify::Message>>,
}

impl remediation_shared::Notify for Inbox {
    fn enabled(&self) -> bool {
        true
    }

    async fn publish(&self, message: &remediation_shared::notify::Message) -> Result<(), AwsError> {
        self.messages.lock().unwrap().push(message.clone());
        if self.fail {
            return Err(AwsError::of(
                "Publish",
                AwsErrorKind::Throttled,
                "Throttling",
                "Rate exceeded",
            ));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_person_is_told_of_fixes_failures_and_held_back_changes_and_not_of_the_rest() {
    // GIVEN a fix, a resource already right, a failure and an exempt resource
    let event = hub_event(&["ok-one", "clean-two", "fail-three", "held-four"]);
    for fail in [false, true] {
        let (fake, sink, inbox) = (
            Fake::default(),
            RecordingSink::default(),
            Inbox {
                fail,
                ..Inbox::default()
            },
        );
        // WHEN the driver handles them, with notifications on
        let result = remediation_shared::handle_with(
            &fake,
            &Config::default(),
            &sink,
            invoke(event.clone(), HOME),
            around(
                &remediation_shared::ArnOnly,
                &inbox,
                &remediation_shared::LeaveFindings,
            ),
        )
        .await;
        // THEN one message each for the fix, the failure and the held-back change
        let messages = inbox.messages.lock().unwrap().clone();
        let outcomes: Vec<&str> = messages
            .iter()
            .map(|m| {
                m.attributes
                    .iter()
                    .find(|(k, _)| *k == "outcome")
                    .unwrap()
                    .1
                    .as_str()
            })
            .collect();
        assert_eq!(outcomes, ["remediated", "failed", "skipped"], "fail={fail}");
        assert!(
            messages[0]
                .subject
                .starts_with("Remediated on ok-one in 123456789012/us-east-1"),
            "{}",
            messages[0].subject
        );
        assert!(messages[0]
            .body
            .contains("tag it auto-remediation:exempt=true"));
        // AND each record says how its notification went; none is due for the clean one
        let records = sink.records();
        let status: Vec<Value> = records
            .iter()
            .map(|r| r["notification"]["status"].clone())
            .collect();
        let told = if fail { json!("failed") } else { json!("sent") };
        assert_eq!(
            status,
            [told.clone(), Value::Null, told.clone(), told],
            "fail={fail}"
        );
        assert!(
            records[1].get("notification").is_none(),
            "no field when nothing was due"
        );
        if fail {
            assert_eq!(records[0]["notification"]["error_code"], "Throttling");
        }
        // AND a failed publish never fails the fix: only the failed target does
        match result {
            Err(HandlerError::Remediation { failed, .. }) => assert_eq!(failed, 1),
            other => panic!("{other:?}"),
        }
        assert_eq!(records[0]["outcome"], "remediated");
    }
}

/// Keeps the finding updates it was asked to make.
#[derive(Default)]
struct Hub {
    updates: Mutex<Vec<(String, Option<&'static str>, String)>>,
}

impl remediation_shared::UpdateFindings for Hub {
    fn enabled(&self) -> bool {
        true
    }

    async fn update(
        &self,
        finding: &remediation_shared::workflow::HubFinding,
        update: &remediation_shared::workflow::FindingUpdate,
        updated_by: &str,
    ) -> Result<(), AwsError> {
        assert_eq!(updated_by, "test-buckets");
        let mut updates = self.updates.lock().unwrap();
        updates.push((finding.id.clone(), update.status, update.note.clone()));
        Ok(())
    }
}

#[tokio::test]
async fn each_finding_acted_on_is_resolved_or_flagged_for_a_person_and_no_other_is_touched() {
    // GIVEN a fix, a resource already right, a failure, an exempt resource,
    // and one in another region
    let mut event = hub_event(&[
        "ok-one",
        "clean-two",
        "fail-three",
        "held-four",
        "ok-five",
        "half-six",
    ]);
    event["detail"]["findings"][4]["Resources"][0]["Region"] = json!("eu-west-1");
    let (fake, sink, hub) = (Fake::default(), RecordingSink::default(), Hub::default());
    // WHEN the driver handles them
    let _ = remediation_shared::handle_with(
        &fake,
        &Config::default(),
        &sink,
        invoke(event, HOME),
        around(
            &remediation_shared::ArnOnly,
            &remediation_shared::Silent,
            &hub,
        ),
    )
    .await;
    // THEN each finding acted on gets its status; the other region's is not touched
    let updates = hub.updates.lock().unwrap().clone();
    let statuses: Vec<(&str, Option<&str>)> = updates
        .iter()
        .map(|(id, status, _)| (id.as_str(), *status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("f-0", Some("RESOLVED")),
            ("f-1", Some("RESOLVED")),
            ("f-2", Some("NOTIFIED")),
            ("f-3", Some("NOTIFIED")),
            ("f-5", Some("NOTIFIED")),
        ]
    );
    // AND the fix whose control still fails is not resolved: its note and
    // its record say what still fails
    assert!(
        updates[4].2.contains("T.1 still fails: the other half"),
        "{}",
        updates[4].2
    );
    assert!(
        updates[3].2.contains("carries the exemption tag"),
        "{}",
        updates[3].2
    );
    let records = sink.records();
    assert_eq!(records[0]["finding_update"]["status"], "sent");
    assert!(records[4].get("finding_update").is_none(), "{}", records[4]);
    assert_eq!(
        records[5]["control"],
        json!({"check": "T.1", "holds": false, "failing": ["the other half"]})
    );
    assert_eq!(records[0]["control"]["holds"], true);
}

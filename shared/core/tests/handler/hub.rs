//! Hub mode: acting in member accounts through their role, and recording it.

use crate::*;

/// Hub mode with [`Fake`] remediators per member account: counts each
/// account it was asked to reach, answers AccessDenied for the accounts in
/// `refused`, and applies the real target lists ([`Hub::refuses`]).
pub(crate) struct FakeHub {
    pub(crate) hub: remediation_shared::Hub,
    pub(crate) refused: Vec<&'static str>,
    pub(crate) asked: Mutex<Vec<String>>,
    pub(crate) members: Mutex<std::collections::HashMap<String, std::sync::Arc<Fake>>>,
}

impl remediation_shared::Reach<Fake> for FakeHub {
    async fn reach(
        &self,
        place: &remediation_shared::hub::Place<'_>,
    ) -> remediation_shared::Reached<Fake> {
        use remediation_shared::Reached;
        if let Some(why) = self.hub.refuses(place.account, place.region, place.home) {
            return Reached::Refused(why);
        }
        self.asked
            .lock()
            .unwrap()
            .push(format!("{}/{}", place.account, place.region));
        let role_arn = self.hub.role_arn(place.partition, place.account);
        if self.refused.contains(&place.account) {
            let error = AwsError::of(
                "AssumeRole",
                AwsErrorKind::AccessDenied,
                "AccessDenied",
                "not trusted",
            );
            return Reached::Failed { role_arn, error };
        }
        let mut members = self.members.lock().unwrap();
        let remediator = members.entry(place.account.to_owned()).or_default().clone();
        Reached::Member {
            remediator,
            role_arn: Some(role_arn),
        }
    }
}

/// A Security Hub finding event (as aggregation delivers them in the hub's
/// region) about one bucket per `(account, region, bucket)`.
fn aggregated(findings: &[(&str, &str, &str)]) -> Value {
    let findings: Vec<Value> = findings
        .iter()
        .enumerate()
        .map(|(i, (account, region, b))| json!({"Id": format!("f-{i}"), "ProductArn": format!("arn:aws:securityhub:{region}::product/aws/securityhub"),
            "AwsAccountId": account, "Region": region, "RecordState": "ACTIVE",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8"},
            "Resources": [{"Type": "AwsS3Bucket", "Id": format!("arn:aws:s3:::{b}"), "Region": region}]}))
        .collect();
    json!({"version": "0", "id": "event-hub", "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
           "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {"findings": findings}})
}

#[tokio::test]
async fn a_hub_acts_in_each_member_through_its_role_and_records_it() {
    // GIVEN a hub limited to three member accounts and two regions, one of
    // whose roles cannot be assumed
    let hub = remediation_shared::Hub::from_lookup(|name| match name {
        "MEMBER_ROLE_NAME" => Some("remediation-member".into()),
        "TARGET_ACCOUNTS" => Some("111111111111,222222222222,333333333333".into()),
        "TARGET_REGIONS" => Some("eu-west-1".into()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    let reach = FakeHub {
        hub,
        refused: vec!["333333333333"],
        asked: Mutex::default(),
        members: Mutex::default(),
    };
    let (home_fake, sink) = (Fake::default(), RecordingSink::default());
    let event = aggregated(&[
        ("111111111111", "us-east-1", "ok-member-one"),
        ("222222222222", "eu-west-1", "ok-member-two"),
        ("333333333333", "us-east-1", "ok-member-three"),
        ("444444444444", "us-east-1", "ok-not-listed"),
        ("111111111111", "ap-south-1", "ok-region-not-listed"),
        ("123456789012", "us-east-1", "ok-hub-own"),
    ]);
    let around = remediation_shared::Around {
        locate: &remediation_shared::ArnOnly,
        notify: &remediation_shared::Silent,
        findings: &remediation_shared::LeaveFindings,
        reach: &reach,
        fanout: &remediation_shared::NoFanOut,
    };
    // WHEN the hub handles the aggregated findings
    let result = remediation_shared::handle_with(
        &home_fake,
        &Config::default(),
        &sink,
        invoke(event, HOME),
        around,
    )
    .await;

    // THEN each member's bucket was fixed by that member's remediator, in its region
    let members = reach.members.lock().unwrap();
    assert_eq!(
        *members["111111111111"].applied.lock().unwrap(),
        ["ok-member-one"]
    );
    assert_eq!(
        *members["222222222222"].applied.lock().unwrap(),
        ["ok-member-two"]
    );
    assert!(!members.contains_key("333333333333"));
    // AND the hub's own bucket by its own, and nothing else by it
    assert_eq!(*home_fake.applied.lock().unwrap(), ["ok-hub-own"]);
    // AND no role was asked for outside the target lists
    assert_eq!(
        *reach.asked.lock().unwrap(),
        [
            "111111111111/us-east-1",
            "222222222222/eu-west-1",
            "333333333333/us-east-1"
        ]
    );
    let records = sink.records();
    let by = |bucket: &str| {
        records
            .iter()
            .find(|r| r["resource"].as_str().unwrap().ends_with(bucket))
            .unwrap()
            .clone()
    };
    let one = by("ok-member-one");
    assert_eq!(one["outcome"], "remediated");
    assert_eq!(one["account"], "111111111111");
    assert_eq!(
        one["member_role"],
        "arn:aws:iam::111111111111:role/remediation-member"
    );
    assert_eq!(by("ok-member-two")["region"], "eu-west-1");
    // AND the member whose role could not be assumed failed with the code and the role
    let three = by("ok-member-three");
    assert_eq!(three["outcome"], "failed");
    assert_eq!(three["error_code"], "AccessDenied");
    assert_eq!(
        three["member_role"],
        "arn:aws:iam::333333333333:role/remediation-member"
    );
    assert!(
        three["reason"]
            .as_str()
            .unwrap()
            .contains("arn:aws:iam::333333333333:role/remediation-member"),
        "{three}"
    );
    // AND targets outside the lists were skipped, saying which list
    assert_eq!(by("ok-not-listed")["outcome"], "skipped");
    assert!(by("ok-not-listed")["reason"]
        .as_str()
        .unwrap()
        .contains("TARGET_ACCOUNTS"));
    assert!(by("ok-region-not-listed")["reason"]
        .as_str()
        .unwrap()
        .contains("TARGET_REGIONS"));
    assert!(by("ok-not-listed").get("member_role").is_none());
    // AND the hub's own record names no member role
    assert!(by("ok-hub-own").get("member_role").is_none());
    // AND the one failure fails the invocation, so Lambda retries it
    assert!(
        matches!(
            result,
            Err(HandlerError::Remediation {
                failed: 1,
                total: 6,
                ..
            })
        ),
        "{result:?}"
    );
}

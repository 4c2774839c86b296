//! The Security Hub finding's workflow after a fix, through the real binary:
//! the emulator lacks `BatchUpdateFindings`, so Security Hub's endpoint is a
//! recording server on loopback, and the test reads the exact request.

use remediation_testing::emulator::unique;
use remediation_testing::function::sample_ids::BUCKET;
use remediation_testing::recorder::Recorder;
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::{json, Value};

use crate::summary;

const F: Function = Function::named("s3-block-public-access");
const SECURITY_HUB: &str = "securityhub-s3-8-failed.json";
const UPDATED: &str = r#"{"ProcessedFindings": [], "UnprocessedFindings": []}"#;

/// The finding's identifiers as the sample gives them.
fn identifiers(event: &str) -> Value {
    let e: Value = serde_json::from_str(event).unwrap();
    let f = &e["detail"]["findings"][0];
    json!([{"Id": f["Id"], "ProductArn": f["ProductArn"]}])
}

async fn public_bucket(emu: &Emulator) -> String {
    let name = unique("public-bucket");
    emu.create_bucket(&name).await;
    name
}

/// The function with `DRY_RUN=dry_run`, its finding updates sent to `hub`.
fn deployed(emu: &Emulator, dry_run: &str, hub: &Recorder) -> Deployment {
    Deployment::start(
        emu,
        F,
        &[
            ("DRY_RUN", dry_run),
            ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
        ],
    )
}

#[tokio::test]
async fn a_fixed_finding_is_resolved_with_a_note_naming_the_record_and_a_dry_run_only_noted() {
    let emu = Emulator::from_env();
    for (dry_run, status) in [("false", Some("RESOLVED")), ("true", None)] {
        // GIVEN a public bucket and its failed S3.8 finding
        let hub = Recorder::start(200, UPDATED);
        let name = public_bucket(&emu).await;
        let mut function = deployed(&emu, dry_run, &hub);
        let event = F.sample(SECURITY_HUB, &[(BUCKET, &name)]);
        // WHEN the function acts on it
        let inv = function.invoke(&event);
        // THEN it sends one update of that finding, by the function, naming the request
        let sent = hub.requests();
        assert_eq!(sent.len(), 1, "dry_run={dry_run}: {sent:#?}");
        let (method, path, body) = (&sent[0].method, &sent[0].path, &sent[0].body);
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("PATCH", "/findings/batchupdate")
        );
        assert_eq!(body["FindingIdentifiers"], identifiers(&event));
        assert_eq!(body["Note"]["UpdatedBy"], F.name());
        let note = body["Note"]["Text"].as_str().unwrap();
        assert!(note.chars().count() <= 512, "{note}");
        assert!(
            note.contains(&format!("request_id {}", inv.request_id)),
            "{note}"
        );
        assert!(note.contains(&format!("arn:aws:s3:::{name}")), "{note}");
        // AND a fix resolves it, while a dry run leaves its status alone
        match status {
            Some(s) => assert_eq!(body["Workflow"]["Status"], s),
            None => assert!(body.get("Workflow").is_none(), "{body}"),
        }
        assert_eq!(inv.record()["finding_update"]["status"], "sent");
    }
}

#[tokio::test]
async fn an_update_security_hub_refuses_is_recorded_and_the_fix_still_stands() {
    let emu = Emulator::from_env();
    // Each event's API (BatchUpdateFindings, BatchUpdateFindingsV2), refusing outright or
    // answering the finding unprocessed.
    let answers = [
        (
            SECURITY_HUB,
            400,
            r#"{"__type": "InvalidInputException", "Message": "bad note"}"#,
            "InvalidInputException",
        ),
        (
            SECURITY_HUB,
            200,
            r#"{"ProcessedFindings": [], "UnprocessedFindings": [{"FindingIdentifier": {"Id": "x", "ProductArn": "y"}, "ErrorCode": "FindingNotFound", "ErrorMessage": "gone"}]}"#,
            "FindingNotFound",
        ),
        (
            SECURITY_HUB_V2,
            400,
            r#"{"__type": "ValidationException", "Message": "bad comment"}"#,
            "ValidationException",
        ),
        (
            SECURITY_HUB_V2,
            200,
            r#"{"ProcessedFindings": [], "UnprocessedFindings": [{"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "gone"}]}"#,
            "ResourceNotFoundException",
        ),
    ];
    for (sample, status, answer, code) in answers {
        // GIVEN Security Hub refusing the update
        let hub = Recorder::start(status, answer);
        let name = public_bucket(&emu).await;
        let mut function = deployed(&emu, "false", &hub);
        // WHEN the function fixes the bucket
        let inv = function.invoke(&F.sample(sample, &[(BUCKET, &name)]));
        // THEN the invocation succeeds, the bucket is fixed, and the record says why the finding was not
        assert_eq!(summary(&inv), (true, vec!["remediated".into()]), "{code}");
        assert_eq!(emu.flags(&name).await, Some([true; 4]), "{code}");
        let update = &inv.record()["finding_update"];
        assert_eq!(update["status"], "failed", "{update}");
        assert_eq!(update["error_code"], code);
    }
}

/// Security Hub's OCSF event of the same S3.8 finding.
const SECURITY_HUB_V2: &str = "securityhub-v2-ocsf-s3-8-failed.json";

/// The OCSF finding's three-part identifier as the sample gives it.
fn ocsf_identifiers(event: &str) -> Value {
    let e: Value = serde_json::from_str(event).unwrap();
    let f = &e["detail"]["findings"][0];
    json!([{"CloudAccountUid": f["cloud"]["account"]["uid"],
            "FindingInfoUid": f["finding_info"]["uid"],
            "MetadataProductUid": f["metadata"]["product"]["uid"]}])
}

#[tokio::test]
async fn an_ocsf_finding_is_fixed_and_resolved_through_batch_update_findings_v2() {
    let emu = Emulator::from_env();
    for (dry_run, status) in [("false", Some(4)), ("true", None)] {
        // GIVEN a public bucket and its failing S3.8 finding, as Security Hub's OCSF event
        let hub = Recorder::start(200, UPDATED);
        let name = public_bucket(&emu).await;
        let mut function = deployed(&emu, dry_run, &hub);
        let event = F.sample(SECURITY_HUB_V2, &[(BUCKET, &name)]);
        // WHEN the function acts on it
        let inv = function.invoke(&event);
        // THEN the bucket is fixed (or, in a dry run, left), and the record says the trigger was V2
        let fixed = emu.flags(&name).await == Some([true; 4]);
        assert_eq!(fixed, dry_run == "false", "dry_run={dry_run}");
        let record = inv.record();
        assert_eq!(record["trigger"]["detail_type"], "Findings Imported V2");
        assert_eq!(record["trigger"]["name"], "S3.8");
        if dry_run == "false" {
            assert_eq!(record["control"]["holds"], true, "{record}");
        }
        // AND one BatchUpdateFindingsV2 of exactly that finding, its comment naming the request
        let sent = hub.requests();
        assert_eq!(sent.len(), 1, "dry_run={dry_run}: {sent:#?}");
        let (method, path, body) = (&sent[0].method, &sent[0].path, &sent[0].body);
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("PATCH", "/findingsv2/batchupdatev2")
        );
        assert_eq!(body["FindingIdentifiers"], ocsf_identifiers(&event));
        assert!(body.get("MetadataUids").is_none(), "{body}");
        assert!(body.get("SeverityId").is_none(), "{body}");
        let comment = body["Comment"].as_str().unwrap();
        assert!((1..=512).contains(&comment.chars().count()), "{comment}");
        assert!(
            comment.contains(&format!("request_id {}", inv.request_id)),
            "{comment}"
        );
        match status {
            Some(s) => assert_eq!(body["StatusId"], s),
            None => assert!(body.get("StatusId").is_none(), "{body}"),
        }
        assert_eq!(record["finding_update"]["status"], "sent");
    }
}

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

#[tokio::test]
async fn a_fixed_finding_is_resolved_with_a_note_naming_the_record_and_a_dry_run_only_noted() {
    let emu = Emulator::from_env();
    for (dry_run, status) in [("false", Some("RESOLVED")), ("true", None)] {
        // GIVEN a public bucket and its failed S3.8 finding
        let hub = Recorder::start(200, UPDATED);
        let name = public_bucket(&emu).await;
        let mut function = Deployment::start(
            &emu,
            F,
            &[
                ("DRY_RUN", dry_run),
                ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
            ],
        );
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
    let answers = [
        (
            400,
            r#"{"__type": "InvalidInputException", "Message": "bad note"}"#,
            "InvalidInputException",
        ),
        (
            200,
            r#"{"ProcessedFindings": [], "UnprocessedFindings": [{"FindingIdentifier": {"Id": "x", "ProductArn": "y"}, "ErrorCode": "FindingNotFound", "ErrorMessage": "gone"}]}"#,
            "FindingNotFound",
        ),
    ];
    for (status, answer, code) in answers {
        // GIVEN Security Hub refusing the update
        let hub = Recorder::start(status, answer);
        let name = public_bucket(&emu).await;
        let mut function = Deployment::start(
            &emu,
            F,
            &[
                ("DRY_RUN", "false"),
                ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
            ],
        );
        // WHEN the function fixes the bucket
        let inv = function.invoke(&F.sample(SECURITY_HUB, &[(BUCKET, &name)]));
        // THEN the invocation succeeds, the bucket is fixed, and the record says why the finding was not
        assert_eq!(summary(&inv), (true, vec!["remediated".into()]), "{code}");
        assert_eq!(emu.flags(&name).await, Some([true; 4]), "{code}");
        let update = &inv.record()["finding_update"];
        assert_eq!(update["status"], "failed", "{update}");
        assert_eq!(update["error_code"], code);
    }
}

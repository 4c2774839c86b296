//! Raw shapes of the EventBridge events the functions receive: the envelope
//! (from `aws_lambda_events`) and the `detail` of each trigger, mirroring the
//! AWS shapes field for field, for the fields the framework reads. A part of
//! a detail that only one function reads (a GuardDuty finding's bucket or
//! instance, the rules a CloudTrail call created) is that function's, in its
//! scope, read through [`Detail::get`].
//!
//! This is the low-level side of the parse boundary: it accepts whatever the
//! services send (unknown fields are ignored, optional ones are `Option`) and
//! reports missing or mistyped fields with their path. It must not validate
//! values or decide scope: `finding` converts these into validated findings.

use serde::Deserialize;
use serde_json::Value;

use crate::error::FindingError;

/// The EventBridge envelope, with the detail kept as JSON until the
/// detail-type says which shape to read it as.
pub type Envelope = aws_lambda_events::event::eventbridge::EventBridgeEvent<Value>;

/// An invocation's payload as the Lambda runtime hands it over: JSON, or why
/// it is not JSON.
///
/// Deserialising a `Payload` never fails. The runtime deserialises the body
/// before the handler runs; with a plain `Value`, a body that is not JSON
/// (truncated, too deeply nested) would be rejected there, before any audit
/// record could be written. With `Payload`, it reaches the handler, which
/// records it as malformed like any other bad input.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A JSON document.
    Json(Value),
    /// Not JSON: the parser's message.
    NotJson(String),
}

impl Payload {
    /// Reads raw bytes the way the Lambda runtime does (trailing bytes after
    /// a complete document are refused here, though the runtime ignores them).
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match Payload::deserialize(&mut de) {
            Ok(Payload::Json(value)) => match de.end() {
                Ok(()) => Payload::Json(value),
                Err(e) => Payload::NotJson(e.to_string()),
            },
            Ok(not_json) => not_json,
            Err(e) => Payload::NotJson(e.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer) {
            Ok(value) => Payload::Json(value),
            Err(e) => Payload::NotJson(e.to_string()),
        })
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        Payload::Json(value)
    }
}

/// Parses raw bytes into an envelope (for callers that start from bytes).
pub fn parse_bytes(bytes: &[u8]) -> Result<Envelope, FindingError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| FindingError::NotJson(e.to_string()))?;
    parse_envelope(value)
}

/// Parses an event into its envelope, naming the field at fault on error.
pub fn parse_envelope(value: Value) -> Result<Envelope, FindingError> {
    if !value.is_object() {
        return Err(FindingError::NotAnObject {
            found: json_type(&value),
        });
    }
    deserialize_at("", value)
}

/// Deserialises `value` as `T`, reporting errors with `prefix` and the path
/// inside `value` (`detail.findings[0].Resources`).
pub fn deserialize_at<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: Value,
) -> Result<T, FindingError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner == ".") {
            (true, true) => "(root)".to_owned(),
            (true, false) => inner,
            (false, true) => prefix.to_owned(),
            (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
            (false, false) => format!("{prefix}.{inner}"),
        };
        FindingError::Field {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// A field that, when present, must be a string (null included: absent is
/// the only way to say "none").
fn present_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `detail` of `Config Rules Compliance Change` (source `aws.config`).
/// See <https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html>.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigComplianceChange {
    /// The resource id: a bucket name, a group id, or a role's RoleId.
    pub resource_id: String,
    /// `AWS::S3::Bucket`, `AWS::EC2::SecurityGroup`, `AWS::IAM::Role`, ...
    pub resource_type: String,
    /// The rule's name (managed rules may carry a prefix or suffix).
    pub config_rule_name: String,
    /// The account of the resource.
    pub aws_account_id: Option<String>,
    /// The region of the resource.
    pub aws_region: Option<String>,
    /// The evaluation that caused this event.
    pub new_evaluation_result: EvaluationResult,
}

/// One Config evaluation result.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationResult {
    /// `NON_COMPLIANT`, `COMPLIANT`, `NOT_APPLICABLE` or `INSUFFICIENT_DATA`.
    pub compliance_type: String,
}

/// `detail` of `GuardDuty Finding` (source `aws.guardduty`): the fields every
/// function reads. The rest of the finding is read by the function that needs
/// it, through [`Detail::get`], so that a field one function does not read
/// can never make the event malformed for it.
/// See <https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_cloudwatch.html>.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardDutyFinding {
    /// The finding id.
    pub id: String,
    /// The finding type, e.g. `Policy:S3/BucketBlockPublicAccessDisabled`.
    #[serde(rename = "type")]
    pub finding_type: String,
    /// The account of the resource.
    pub account_id: Option<String>,
    /// The region of the resource.
    pub region: Option<String>,
    /// The partition of the resource.
    pub partition: Option<String>,
}

/// One probed port (`service.action.portProbeAction.portProbeDetails[]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortProbeDetail {
    /// The local (probed) port.
    pub local_port_details: Option<LocalPortDetails>,
}

/// `localPortDetails` of a probe.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalPortDetails {
    /// The port number (written `22`, `22.0` or `2.2E1` by different tools).
    #[serde(default, deserialize_with = "lenient_integer")]
    pub port: Option<i64>,
}

/// A number that some tools write with a fraction or an exponent (`2.2E1`):
/// read as an integer when it is one.
fn lenient_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let n = Option::<serde_json::Number>::deserialize(d)?;
    Ok(n.and_then(|n| {
        n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
    }))
}

/// A string, or absent for any other value.
fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Value::deserialize(d)?.as_str().map(str::to_owned))
}

/// `detail` of `Security Hub Findings - Imported` (source `aws.securityhub`).
/// See <https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html>.
#[derive(Debug, Clone, Deserialize)]
pub struct SecurityHubImported {
    /// The findings, in ASFF.
    pub findings: Vec<AsffFinding>,
}

/// One finding in the AWS Security Finding Format.
/// See <https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html>.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    /// The finding id.
    pub id: String,
    /// The account the finding is about.
    pub aws_account_id: Option<String>,
    /// The region the finding is about.
    pub region: Option<String>,
    /// The compliance result of a control check.
    pub compliance: Option<AsffCompliance>,
    /// The workflow state.
    pub workflow: Option<AsffWorkflow>,
    /// `ACTIVE` or `ARCHIVED`.
    pub record_state: Option<String>,
    /// The check that produced it: `security-control/EC2.13` (consolidated
    /// findings), a standard's path (`pci-dss/v/3.2.1/PCI.EC2.5`), or the ARN
    /// of a Config rule.
    pub generator_id: Option<String>,
    /// The product's own fields: the standard and control of a per-standard
    /// finding (`StandardsArn`, `ControlId`, or `RuleId` for CIS 1.2.0), or
    /// the Config rule of a finding AWS Config sent (`aws/config/ConfigRuleName`).
    /// Values are strings in ASFF; anything else reads as absent.
    pub product_fields: Option<serde_json::Map<String, Value>>,
    /// The resources the finding is about.
    pub resources: Vec<AsffResource>,
    /// When the finding was last updated (RFC 3339); anything else reads as
    /// absent, since only a metric depends on it.
    #[serde(default, deserialize_with = "lenient_string")]
    pub updated_at: Option<String>,
    /// The product that sent it, which with `Id` identifies it for updates;
    /// anything but a string reads as absent.
    #[serde(default, deserialize_with = "lenient_string")]
    pub product_arn: Option<String>,
}

impl AsffFinding {
    /// A product field, when it is a string.
    pub fn product_field(&self, key: &str) -> Option<&str> {
        self.product_fields.as_ref()?.get(key)?.as_str()
    }
}

/// `Compliance` of an ASFF finding.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffCompliance {
    /// `PASSED`, `WARNING`, `FAILED` or `NOT_AVAILABLE`.
    pub status: Option<String>,
    /// The control, e.g. `EC2.13`.
    pub security_control_id: Option<String>,
}

/// `Workflow` of an ASFF finding.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffWorkflow {
    /// `NEW`, `NOTIFIED`, `SUPPRESSED` or `RESOLVED`.
    pub status: Option<String>,
}

/// One resource of an ASFF finding.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// `AwsS3Bucket`, `AwsEc2SecurityGroup`, `AwsIamRole`, ...
    #[serde(rename = "Type")]
    pub resource_type: String,
    /// The resource's ARN (for the types we handle).
    pub id: String,
    /// The resource's partition.
    pub partition: Option<String>,
    /// The resource's region.
    pub region: Option<String>,
}

/// `detail` of `AWS API Call via CloudTrail`: the fields every function
/// reads. The request and response are read by the function that needs them,
/// through [`Detail::get`]: their shapes differ by call, and events pasted
/// from other tools carry `"None"` where CloudTrail writes `null`.
/// See <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudTrailCall {
    /// `s3.amazonaws.com`, `ec2.amazonaws.com`, `iam.amazonaws.com`.
    pub event_source: String,
    /// The API operation.
    pub event_name: String,
    /// CloudTrail's id for the call.
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// The region the call was made in.
    pub aws_region: Option<String>,
    /// The account that received the call.
    pub recipient_account_id: Option<String>,
    /// Present when the call failed. Present but null is an error rather than
    /// "no error": an event that may describe a failed call is not acted on
    /// as if the call had succeeded.
    #[serde(default, deserialize_with = "present_string")]
    pub error_code: Option<String>,
}

/// An event's `detail`, for reading the one field a function needs, by path,
/// only when it needs it.
#[derive(Debug, Clone, Copy)]
pub struct Detail<'a>(pub &'a Value);

impl Detail<'_> {
    /// The field at `path` (dotted, below `detail`), as `T`: `None` when it
    /// or any object on the way to it is absent or null, or when something on
    /// the way is not an object at all (`"responseElements": "None"`); an
    /// error naming the field when it is there but cannot be read as `T`.
    pub fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, FindingError> {
        let mut at = self.0;
        for key in path.split('.') {
            match at.get(key) {
                Some(next) => at = next,
                None => return Ok(None),
            }
        }
        if at.is_null() {
            return Ok(None);
        }
        deserialize_at(&format!("detail.{path}"), at.clone()).map(Some)
    }

    /// [`get`](Self::get), with `T`'s default (an empty list, an empty
    /// string) when the field is absent.
    pub fn get_or_default<T: serde::de::DeserializeOwned + Default>(
        &self,
        path: &str,
    ) -> Result<T, FindingError> {
        Ok(self.get(path)?.unwrap_or_default())
    }

    /// [`get`](Self::get) of a field the function cannot do without: absent
    /// is an error naming it.
    pub fn require<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, FindingError> {
        self.get(path)?.ok_or_else(|| FindingError::Field {
            path: format!("detail.{path}"),
            message: "missing field".into(),
        })
    }

    /// The string field at `path`, [required](Self::require), read by `parse`,
    /// which is given the field's full path for its error:
    /// `detail.parse("requestParameters.bucketName", BucketName::parse)`.
    pub fn parse<T>(
        &self,
        path: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, FindingError>,
    ) -> Result<T, FindingError> {
        let value: String = self.require(path)?;
        parse(&format!("detail.{path}"), &value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_objects_are_rejected_by_type() {
        assert_eq!(
            parse_envelope(json!([1])).unwrap_err(),
            FindingError::NotAnObject { found: "an array" }
        );
        assert!(matches!(
            parse_bytes(b"{not json"),
            Err(FindingError::NotJson(_))
        ));
    }

    #[test]
    fn missing_envelope_fields_are_named() {
        let err = parse_envelope(json!({"source": "aws.config", "detail": {}})).unwrap_err();
        assert!(err.to_string().contains("detail-type"), "{err}");
    }

    #[test]
    fn mistyped_detail_fields_are_named_with_their_path() {
        let err = deserialize_at::<SecurityHubImported>(
            "detail",
            json!({"findings": [{"Id": "x", "Resources": "no"}]}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("detail.findings[0].Resources"),
            "{err}"
        );
    }
}

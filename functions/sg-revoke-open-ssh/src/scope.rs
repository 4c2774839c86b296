//! Which events call for revoking world-open SSH from a security group, and
//! how to read the groups out of each.
//!
//! Pure: no AWS calls, no environment. The shared normaliser has already
//! checked what every function checks the same way (compliance state,
//! resource type, the finding types and API calls declared here); this file
//! holds what is particular to security groups: which Config rules, whether a
//! GuardDuty finding is about SSH, where CloudTrail names the group.

use remediation_shared::event::{
    CloudTrailCall, Detail, GuardDutyFinding, InstanceDetails, PortProbeDetail,
    SecurityGroupRuleItem,
};
use remediation_shared::notify::Wording;
use remediation_shared::resource::{Arn, GroupId};
use remediation_shared::scope::standards::{CIS_1_2, CIS_3_0, CIS_5_0, PCI_3_2_1};
use remediation_shared::scope::{missing, PerStandard};
use remediation_shared::{FindingError, Reading, Scope};

/// The security-group function's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupScope;

/// GuardDuty port probe finding (acted on when port 22 was probed).
pub const GUARDDUTY_PORT_PROBE: &str = "Recon:EC2/PortProbeUnprotectedPort";
/// GuardDuty SSH brute force finding (acted on when the instance is the target).
pub const GUARDDUTY_SSH_BRUTE_FORCE: &str = "UnauthorizedAccess:EC2/SSHBruteForce";

/// The SSH port.
const SSH_PORT: i64 = 22;

impl Scope for GroupScope {
    type Resource = GroupId;

    const FUNCTION: &'static str = "sg-revoke-open-ssh";
    const ACTION: &'static str = "revoke_world_open_ssh_ingress";
    const GUARDDUTY_TYPES: &'static [&'static str] =
        &[GUARDDUTY_PORT_PROBE, GUARDDUTY_SSH_BRUTE_FORCE];
    const CLOUDTRAIL_SOURCE: &'static str = "ec2.amazonaws.com";
    /// CloudTrail EC2 calls that may open ingress.
    const CLOUDTRAIL_CALLS: &'static [&'static str] =
        &["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"];
    /// Config rules (by the managed rule's identifier) that flag open SSH;
    /// Control Tower's guardrail `AWSControlTower_AWS-GR_RESTRICTED_SSH` is the first.
    const CONFIG_RULES: &'static [&'static str] =
        &["restricted-ssh", "vpc-sg-port-restriction-check"];
    /// The Security Hub controls that call for the fix: SSH is one of their
    /// ports (the function still revokes only world-open SSH). EC2.13: 22 from
    /// 0.0.0.0/0 or ::/0; EC2.19: high-risk ports unrestricted; EC2.53 and
    /// EC2.54: remote administration ports from 0.0.0.0/0 and from ::/0.
    const SECURITY_HUB_CONTROLS: &'static [&'static str] =
        &["EC2.13", "EC2.19", "EC2.53", "EC2.54"];
    /// What a notification says of the fix.
    const WORDING: Wording = Wording {
        done: "Revoked world-open SSH",
        fix: "revoke world-open SSH",
    };
    /// The same controls as standards name them in per-standard findings
    /// (consolidation off), from Security Hub's controls reference ("related
    /// requirements") and the ids AWS's Automated Security Response routes
    /// on; AWS Foundational Security Best Practices and NIST 800-53 use the
    /// consolidated ids. CIS 1.4 has no security-group ingress control in
    /// Security Hub (its `5.3` is the default group, EC2.2), nor does CIS 3.0's
    /// `5.4`; CIS 3.0 and 5.0 number the same two controls differently.
    const PER_STANDARD_CONTROLS: &'static [PerStandard] = &[
        // CIS 1.2.0 names its checks in `ProductFields.RuleId`, without a `ControlId`.
        PerStandard::of("EC2.13", &[(CIS_1_2, "4.1"), (PCI_3_2_1, "PCI.EC2.5")]),
        PerStandard::of("EC2.53", &[(CIS_3_0, "5.2"), (CIS_5_0, "5.3")]),
        PerStandard::of("EC2.54", &[(CIS_3_0, "5.3"), (CIS_5_0, "5.4")]),
    ];

    fn guardduty(
        finding: &GuardDutyFinding,
        detail: Detail<'_>,
    ) -> Result<Reading<GroupId>, FindingError> {
        if finding.finding_type == GUARDDUTY_SSH_BRUTE_FORCE {
            let role = detail.get_or_default::<String>("service.resourceRole")?;
            if !role.eq_ignore_ascii_case("TARGET") {
                return Ok(Reading::Skip(format!(
                    "the instance is the {role} of the brute force, not its target"
                )));
            }
        }
        if finding.finding_type == GUARDDUTY_PORT_PROBE {
            let probes = detail.get_or_default::<Vec<PortProbeDetail>>(
                "service.action.portProbeAction.portProbeDetails",
            )?;
            let probed_ssh = probes
                .iter()
                .any(|p| p.local_port_details.as_ref().and_then(|l| l.port) == Some(SSH_PORT));
            if !probed_ssh {
                return Ok(Reading::Skip("the probed ports do not include 22".into()));
            }
        }
        let instance = detail.get_or_default::<InstanceDetails>("resource.instanceDetails")?;
        let mut groups = Vec::new();
        for (i, ni) in instance.network_interfaces.iter().enumerate() {
            for (j, sg) in ni.security_groups.iter().enumerate() {
                let path = format!(
                    "detail.resource.instanceDetails.networkInterfaces[{i}].securityGroups[{j}].groupId"
                );
                groups.push(GroupId::parse(&path, &sg.group_id)?);
            }
        }
        if groups.is_empty() {
            return Err(FindingError::Field {
                path: "detail.resource.instanceDetails.networkInterfaces".into(),
                message: "an EC2 finding must name at least one security group".into(),
            });
        }
        Ok(Reading::Targets(groups))
    }

    fn security_hub_resource(path: &str, arn: &Arn) -> Result<GroupId, FindingError> {
        let resource = arn.resource_of("ec2", path)?;
        let id = resource.strip_prefix("security-group/").unwrap_or(resource);
        GroupId::parse(path, id)
    }

    fn cloudtrail(
        call: &CloudTrailCall,
        detail: Detail<'_>,
    ) -> Result<Reading<GroupId>, FindingError> {
        // The rules created name their group even when the caller named the
        // group by name (the request then has no `groupId`).
        let created = detail.get_or_default::<Vec<SecurityGroupRuleItem>>(
            "responseElements.securityGroupRuleSet.items",
        )?;
        let from_response: Vec<(String, String)> = created
            .into_iter()
            .enumerate()
            .filter_map(|(i, it)| {
                it.group_id.map(|g| {
                    (
                        format!("detail.responseElements.securityGroupRuleSet.items[{i}].groupId"),
                        g,
                    )
                })
            })
            .collect();
        let modify_field = "requestParameters.ModifySecurityGroupRulesRequest.GroupId";
        let ids = if !from_response.is_empty() {
            from_response
        } else if let Some(g) = detail.get::<String>("requestParameters.groupId")? {
            vec![("detail.requestParameters.groupId".to_owned(), g)]
        } else if let Some(g) = detail.get::<String>(modify_field)? {
            vec![(format!("detail.{modify_field}"), g)]
        } else if call.event_name == "ModifySecurityGroupRules" {
            return Err(missing(&format!("detail.{modify_field}")));
        } else {
            return Err(missing("detail.requestParameters.groupId"));
        };
        let groups = ids
            .into_iter()
            .map(|(path, id)| GroupId::parse(&path, &id))
            .collect::<Result<_, _>>()?;
        Ok(Reading::Targets(groups))
    }
}

#[cfg(test)]
mod tests {
    use remediation_testing::samples::{
        check_readings, config_change, envelope, security_hub, Reading,
    };
    use serde_json::{json, Value};

    use super::*;

    fn config(rule: &str) -> Value {
        config_change("AWS::EC2::SecurityGroup", "sg-12345678", rule)
    }

    fn hub(control: Option<&str>, product_fields: Value) -> Value {
        security_hub(
            "AwsEc2SecurityGroup",
            "arn:aws:ec2:us-east-1:123456789012:security-group/sg-12345678",
            control,
            product_fields,
        )
    }

    fn cloudtrail(detail: Value) -> Value {
        let mut d = json!({"eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress"});
        d.as_object_mut()
            .unwrap()
            .extend(detail.as_object().unwrap().clone());
        envelope("aws.ec2", "AWS API Call via CloudTrail", d)
    }

    fn guardduty(finding_type: &str, service: Value) -> Value {
        envelope(
            "aws.guardduty",
            "GuardDuty Finding",
            json!({"id": "gd-1", "type": finding_type, "region": "us-east-1", "service": service,
                   "resource": {"instanceDetails": {"networkInterfaces": [{"securityGroups": [{"groupId": "sg-0123456789abcdef0"}]}]}}}),
        )
    }

    fn probe(port: i64) -> Value {
        json!({"action": {"portProbeAction": {"portProbeDetails": [{"localPortDetails": {"port": port}}]}}})
    }

    #[test]
    fn readings() {
        let rows: Vec<Reading> = vec![
            ("restricted_ssh_names_the_group", config("restricted-ssh"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("prefixed_config_rule_names_still_match", config("securityhub-restricted-ssh-a1b2c3"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("the_port_restriction_check_is_answered", config("vpc-sg-port-restriction-check"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("control_towers_guardrail_is_answered", config("AWSControlTower_AWS-GR_RESTRICTED_SSH"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("rule_names_are_matched_whatever_their_case", config("Restricted-SSH"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("control_ec2_13_is_answered", hub(Some("EC2.13"), json!({})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("control_ec2_19_is_answered", hub(Some("EC2.19"), json!({})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("control_ec2_53_is_answered", hub(Some("EC2.53"), json!({})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("control_ec2_54_is_answered", hub(Some("EC2.54"), json!({})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("the_default_group_control_ec2_2_is_not", hub(Some("EC2.2"), json!({})), Ok(vec!["skip Security Hub control EC2.2 does not call for this fix"])),
            ("cis_1_2_names_it_4_1_in_rule_id", hub(None, json!({"StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0", "RuleId": "4.1"})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("pci_names_it_pci_ec2_5", hub(None, json!({"StandardsArn": "arn:aws:securityhub:::standards/pci-dss/v/3.2.1", "ControlId": "PCI.EC2.5"})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("cis_3_0_names_ec2_53_5_2", hub(None, json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/3.0.0", "ControlId": "5.2"})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("cis_3_0_names_ec2_54_5_3", hub(None, json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/3.0.0", "ControlId": "5.3"})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("cis_5_0_names_ec2_54_5_4", hub(None, json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/5.0.0", "ControlId": "5.4"})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("cis_3_0_5_4_is_the_default_group_not_ours", hub(None, json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/3.0.0", "ControlId": "5.4"})), Ok(vec!["skip the finding names no Security Hub control that calls for this fix"])),
            ("cis_1_2_rule_4_2_is_rdp_not_ssh", hub(None, json!({"StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0", "RuleId": "4.2"})), Ok(vec!["skip the finding names no Security Hub control that calls for this fix"])),
            ("another_group_rule_is_skipped", config("ec2-security-group-attached-to-eni"), Ok(vec!["skip Config rule ec2-security-group-attached-to-eni is not handled by this function"])),
            ("cloudtrail_group_id_falls_back_to_the_request", cloudtrail(json!({"requestParameters": {"groupId": "sg-87654321"}, "responseElements": null})), Ok(vec!["group sg-87654321 us-east-1"])),
            ("cloudtrail_names_the_groups_of_the_rules_created", cloudtrail(json!({"requestParameters": {"groupName": "web"}, "responseElements": {"securityGroupRuleSet": {"items": [{"groupId": "sg-11111111"}]}}})), Ok(vec!["group sg-11111111 us-east-1"])),
            ("cloudtrail_call_without_a_group_is_malformed", cloudtrail(json!({"requestParameters": {"groupName": "default"}})), Err("requestParameters.groupId")),
            ("modify_rules_without_a_group_is_malformed", cloudtrail(json!({"eventName": "ModifySecurityGroupRules", "requestParameters": {}})), Err("ModifySecurityGroupRulesRequest.GroupId")),
            ("a_probe_of_port_22_names_the_instances_groups", guardduty(GUARDDUTY_PORT_PROBE, probe(22)), Ok(vec!["group sg-0123456789abcdef0 us-east-1"])),
            ("a_probe_of_another_port_is_skipped", guardduty(GUARDDUTY_PORT_PROBE, probe(3389)), Ok(vec!["skip the probed ports do not include 22"])),
            ("a_brute_force_target_names_its_groups", guardduty(GUARDDUTY_SSH_BRUTE_FORCE, json!({"resourceRole": "TARGET"})), Ok(vec!["group sg-0123456789abcdef0 us-east-1"])),
            ("a_brute_force_source_is_skipped", guardduty(GUARDDUTY_SSH_BRUTE_FORCE, json!({"resourceRole": "ACTOR"})), Ok(vec!["skip the instance is the ACTOR of the brute force, not its target"])),
        ];
        check_readings::<GroupScope>(rows, |t| {
            format!(
                "group {} {}",
                t.resource,
                t.region.clone().unwrap_or_default()
            )
        });
    }

    #[test]
    fn a_security_hub_arn_of_another_service_is_malformed() {
        let event = envelope(
            "aws.securityhub",
            "Security Hub Findings - Imported",
            json!({"findings": [{"Id": "f-1", "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.13"},
                   "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": "arn:aws:s3:::not-a-group"}]}]}),
        );
        check_readings::<GroupScope>(
            vec![(
                "an_s3_arn_named_as_a_group_is_refused",
                event,
                Err("detail.findings[0].Resources[0].Id"),
            )],
            |t| t.arn(),
        );
    }
}

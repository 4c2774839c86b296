//! Which events call for closing world-open remote administration (SSH, RDP)
//! in a security group, how to read the groups out of each, and what each
//! control, Config rule and finding type checks ([`CHECKS`]): the ports a
//! trigger acts on and the whole condition verified before a finding is
//! resolved.
//!
//! Pure: no AWS calls, no environment (the configured ports arrive parsed, as
//! [`AdminPorts`]). The shared normaliser has already checked what every
//! function checks the same way (compliance state, resource type, the finding
//! types and API calls declared here); this file holds what is particular to
//! security groups: which Config rules and controls, whether a GuardDuty
//! finding is about a remote administration port, where CloudTrail names the
//! group, and what each of them checks.

use std::collections::BTreeSet;
use std::fmt;

use remediation_shared::control::Answer;
use remediation_shared::event::{CloudTrailCall, Detail, GuardDutyFinding, PortProbeDetail};
use remediation_shared::notify::Wording;
use remediation_shared::resource::{Arn, GroupId};
use remediation_shared::scope::standards::{CIS_1_2, CIS_3_0, CIS_5_0, PCI_3_2_1};
use remediation_shared::scope::{missing, PerStandard};
use remediation_shared::{Basis, FindingError, Reading, Scope};
use serde::Deserialize;

/// The security-group function's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupScope;

/// GuardDuty port probe finding (acted on when a remote administration port was probed).
pub const GUARDDUTY_PORT_PROBE: &str = "Recon:EC2/PortProbeUnprotectedPort";
/// GuardDuty SSH brute force finding (acted on when the instance is the target).
pub const GUARDDUTY_SSH_BRUTE_FORCE: &str = "UnauthorizedAccess:EC2/SSHBruteForce";
/// GuardDuty RDP brute force finding (acted on when the instance is the target).
pub const GUARDDUTY_RDP_BRUTE_FORCE: &str = "UnauthorizedAccess:EC2/RDPBruteForce";

/// The ports a probe must name for the function to look at the instance's
/// groups: remote administration's, as the template's pattern routes them.
const PROBED_ADMIN_PORTS: &[i64] = &[22, 3389];

impl Scope for GroupScope {
    type Resource = GroupId;

    const FUNCTION: &'static str = "sg-revoke-open-ssh";
    /// The name predates RDP and is kept for saved log queries and undo: it
    /// covers every remote administration port the function closes.
    const ACTION: &'static str = "revoke_world_open_ssh_ingress";
    const GUARDDUTY_TYPES: &'static [&'static str] = &[
        GUARDDUTY_PORT_PROBE,
        GUARDDUTY_SSH_BRUTE_FORCE,
        GUARDDUTY_RDP_BRUTE_FORCE,
    ];
    const CLOUDTRAIL_SOURCE: &'static str = "ec2.amazonaws.com";
    /// CloudTrail EC2 calls that may open ingress.
    const CLOUDTRAIL_CALLS: &'static [&'static str] =
        &["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"];
    /// Config rules (by the managed rule's name) that flag a world-open
    /// remote administration port; Control Tower's guardrail
    /// `AWSControlTower_AWS-GR_RESTRICTED_SSH` is the first. What each checks
    /// is in [`CHECKS`].
    const CONFIG_RULES: &'static [&'static str] = &[
        "restricted-ssh",
        "restricted-common-ports",
        "vpc-sg-port-restriction-check",
    ];
    /// The Security Hub controls that call for the fix: a remote
    /// administration port is among their ports. What each checks is in
    /// [`CHECKS`]; the function acts on the ports it checks among
    /// [`AdminPorts`], and resolves a finding only when all of them hold.
    const SECURITY_HUB_CONTROLS: &'static [&'static str] =
        &["EC2.13", "EC2.14", "EC2.19", "EC2.53", "EC2.54"];
    /// What a notification says of the fix.
    const WORDING: Wording = Wording {
        done: "Revoked world-open remote administration",
        fix: "revoke world-open remote administration",
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
        PerStandard::of("EC2.14", &[(CIS_1_2, "4.2")]),
        PerStandard::of("EC2.53", &[(CIS_3_0, "5.2"), (CIS_5_0, "5.3")]),
        PerStandard::of("EC2.54", &[(CIS_3_0, "5.3"), (CIS_5_0, "5.4")]),
    ];

    fn guardduty(
        finding: &GuardDutyFinding,
        detail: Detail<'_>,
    ) -> Result<Reading<GroupId>, FindingError> {
        if finding.finding_type == GUARDDUTY_SSH_BRUTE_FORCE
            || finding.finding_type == GUARDDUTY_RDP_BRUTE_FORCE
        {
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
            let probed_admin = probes.iter().any(|p| {
                p.local_port_details
                    .as_ref()
                    .and_then(|l| l.port)
                    .is_some_and(|port| PROBED_ADMIN_PORTS.contains(&port))
            });
            if !probed_admin {
                return Ok(Reading::Skip(
                    "the probed ports include no remote administration port (22, 3389)".into(),
                ));
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

/// A transport a port is reached over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// TCP (protocol 6).
    Tcp,
    /// UDP (protocol 17).
    Udp,
}

/// A port on one transport: `tcp 22`, `udp 3389`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port {
    /// The transport.
    pub transport: Transport,
    /// The port number.
    pub number: u16,
}

impl Port {
    /// TCP `number`.
    pub const fn tcp(number: u16) -> Self {
        Port {
            transport: Transport::Tcp,
            number,
        }
    }

    /// UDP `number`.
    pub const fn udp(number: u16) -> Self {
        Port {
            transport: Transport::Udp,
            number,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = match self.transport {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        };
        write!(f, "{t} {}", self.number)
    }
}

/// A set of ports, in order.
pub type PortSet = BTreeSet<Port>;

/// "tcp 22, tcp 3389, udp 3389".
pub fn describe(ports: &PortSet) -> String {
    ports
        .iter()
        .map(Port::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which of the two internets a check covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// 0.0.0.0/0 only.
    Ipv4,
    /// ::/0 only.
    Ipv6,
    /// Both.
    Both,
}

impl World {
    /// Whether a world-open source of this family (`ipv6`) is covered.
    pub fn covers(self, ipv6: bool) -> bool {
        match self {
            World::Ipv4 => !ipv6,
            World::Ipv6 => ipv6,
            World::Both => true,
        }
    }

    /// "0.0.0.0/0", "::/0", "0.0.0.0/0 or ::/0".
    pub fn describe(self) -> &'static str {
        match self {
            World::Ipv4 => "0.0.0.0/0",
            World::Ipv6 => "::/0",
            World::Both => "0.0.0.0/0 or ::/0",
        }
    }
}

/// The remote administration ports this deployment closes (`ADMIN_PORTS`):
/// every trigger acts on the ports its check covers among these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPorts(pub PortSet);

impl Default for AdminPorts {
    /// TCP 22 (SSH) and TCP and UDP 3389 (RDP listens on both).
    fn default() -> Self {
        AdminPorts::parse(DEFAULT_ADMIN_PORTS).unwrap_or(AdminPorts(PortSet::new()))
    }
}

/// `ADMIN_PORTS` when it is not set.
pub const DEFAULT_ADMIN_PORTS: &str = "22,3389";

impl AdminPorts {
    /// Reads `ADMIN_PORTS`: a comma-separated list of ports, each `N` (TCP;
    /// for 3389, RDP's port, TCP and UDP), `N/tcp` or `N/udp`, N from 1 to
    /// 65535; at least one. A bad value is an error that names it.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut ports = PortSet::new();
        for item in value.split(',').map(str::trim) {
            let bad = || {
                format!(
                    "ADMIN_PORTS: {item:?} is not a port (N, N/tcp or N/udp, N from 1 to 65535) in {value:?}"
                )
            };
            let (number, transport) = match item.split_once('/') {
                Some((n, t)) => (n.trim(), Some(t.trim().to_ascii_lowercase())),
                None => (item, None),
            };
            let number: u16 = number.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
            match transport.as_deref() {
                Some("tcp") => {
                    ports.insert(Port::tcp(number));
                }
                Some("udp") => {
                    ports.insert(Port::udp(number));
                }
                Some(_) => return Err(bad()),
                None => {
                    ports.insert(Port::tcp(number));
                    if number == RDP {
                        ports.insert(Port::udp(number));
                    }
                }
            }
        }
        Ok(AdminPorts(ports))
    }

    /// As `ADMIN_PORTS` would name them.
    pub fn describe(&self) -> String {
        describe(&self.0)
    }
}

/// RDP's port, on which it listens over TCP and UDP.
const RDP: u16 = 3389;

/// The ports a row of [`CHECKS`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// These TCP and these UDP ports.
    Listed {
        /// TCP ports.
        tcp: &'static [u16],
        /// UDP ports.
        udp: &'static [u16],
    },
    /// The configured [`AdminPorts`] (a trigger that names no control).
    Configured,
    /// The configured ports whose number the GuardDuty finding says was probed.
    Probed,
}

/// One row of [`CHECKS`]: what a control, rule or finding type checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// What it answers.
    pub answers: Answer,
    /// The ports it checks.
    pub covers: Covers,
    /// From which internet.
    pub world: World,
    /// Where this is stated.
    pub source: &'static str,
}

/// The high-risk ports of EC2.19.
const EC2_19_PORTS: &[u16] = &[
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500,
    5601, 8080, 8088, 8888, 9200, 9300,
];

/// What each control, Config rule and finding type the function answers
/// checks, from the sources named; the first row that answers a trigger is
/// its check. Where a source names no transport, both are checked (a finding
/// is resolved only when every port it may cover is closed).
pub const CHECKS: &[Row] = &[
    Row {
        answers: Answer::Control("EC2.13"),
        covers: Covers::Listed { tcp: &[22], udp: &[] },
        world: World::Both,
        source: "Security Hub controls reference, EC2.13: no ingress from 0.0.0.0/0 or ::/0 to port 22 (Config restricted-ssh, TCP); CIS 1.2 4.1, PCI.EC2.5",
    },
    Row {
        answers: Answer::Control("EC2.14"),
        covers: Covers::Listed { tcp: &[3389], udp: &[] },
        world: World::Both,
        source: "Security Hub controls reference, EC2.14: no ingress from 0.0.0.0/0 or ::/0 to port 3389 (Config restricted-common-ports, TCP); CIS 1.2 4.2",
    },
    Row {
        answers: Answer::Control("EC2.19"),
        covers: Covers::Listed { tcp: EC2_19_PORTS, udp: EC2_19_PORTS },
        world: World::Both,
        source: "Security Hub controls reference, EC2.19: no unrestricted access (0.0.0.0/0 or ::/0) to its high-risk ports; no transport named, so both",
    },
    Row {
        answers: Answer::Control("EC2.53"),
        covers: Covers::Listed { tcp: &[22, 3389], udp: &[22, 3389] },
        world: World::Ipv4,
        source: "Security Hub controls reference, EC2.53: no ingress from 0.0.0.0/0 to remote server administration ports (Config vpc-sg-port-restriction-check: TCP/UDP 22, 3389, IPv4); CIS 3.0 5.2, CIS 5.0 5.3",
    },
    Row {
        answers: Answer::Control("EC2.54"),
        covers: Covers::Listed { tcp: &[22, 3389], udp: &[22, 3389] },
        world: World::Ipv6,
        source: "Security Hub controls reference, EC2.54: no ingress from ::/0 to remote server administration ports (Config vpc-sg-port-restriction-check: TCP/UDP 22, 3389, IPv6); CIS 3.0 5.3, CIS 5.0 5.4",
    },
    Row {
        answers: Answer::ConfigRule("vpc-sg-port-restriction-check"),
        covers: Covers::Listed { tcp: &[22, 3389], udp: &[22, 3389] },
        world: World::Both,
        source: "Config vpc-sg-port-restriction-check: TCP/UDP 22 and 3389 from 0.0.0.0/0 or ::/0 by default",
    },
    // Before restricted-common-ports, whose name it contains: the rule
    // Security Hub deploys for EC2.19.
    Row {
        answers: Answer::ConfigRule("vpc-sg-restricted-common-ports"),
        covers: Covers::Listed { tcp: EC2_19_PORTS, udp: EC2_19_PORTS },
        world: World::Both,
        source: "Security Hub controls reference, EC2.19 (its Config rule as Security Hub deploys it)",
    },
    Row {
        answers: Answer::ConfigRule("restricted-common-ports"),
        covers: Covers::Listed { tcp: &[20, 21, 3306, 3389, 4333], udp: &[] },
        world: World::Both,
        source: "Config restricted-common-ports: TCP blockedPort1..5, by default 20, 21, 3389, 3306, 4333, from 0.0.0.0/0 or ::/0",
    },
    Row {
        answers: Answer::ConfigRule("restricted-ssh"),
        covers: Covers::Listed { tcp: &[22], udp: &[] },
        world: World::Both,
        source: "Config restricted-ssh (INCOMING_SSH_DISABLED): SSH (TCP 22) from 0.0.0.0/0 or ::/0; Control Tower's AWS-GR_RESTRICTED_SSH",
    },
    Row {
        answers: Answer::GuardDuty(GUARDDUTY_PORT_PROBE),
        covers: Covers::Probed,
        world: World::Both,
        source: "GuardDuty Recon:EC2/PortProbeUnprotectedPort: the probed ports (localPortDetails.port) were reachable",
    },
    Row {
        answers: Answer::GuardDuty(GUARDDUTY_SSH_BRUTE_FORCE),
        covers: Covers::Listed { tcp: &[22], udp: &[] },
        world: World::Both,
        source: "GuardDuty UnauthorizedAccess:EC2/SSHBruteForce: SSH (TCP 22) brute force against the instance",
    },
    Row {
        answers: Answer::GuardDuty(GUARDDUTY_RDP_BRUTE_FORCE),
        covers: Covers::Listed { tcp: &[3389], udp: &[3389] },
        world: World::Both,
        source: "GuardDuty UnauthorizedAccess:EC2/RDPBruteForce: RDP (3389, TCP and UDP) brute force against the instance",
    },
];

/// One trigger's check, resolved against the configured ports: what to
/// verify before a finding is resolved, and the part this deployment acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What is checked, as records name it: the control id, the Config rule
    /// as deployed, the finding type, or `ADMIN_PORTS` for the triggers that
    /// name no control (API calls, the sweep).
    pub name: String,
    /// The ports it covers.
    pub covers: PortSet,
    /// From which internet.
    pub world: World,
    /// The ports the function closes: `covers` among the configured ones.
    pub act: PortSet,
    /// Whether the check is one of [`CHECKS`] (or the configured ports): a
    /// person's custom action on a finding of another control acts on the
    /// configured ports, but cannot verify that control.
    pub known: bool,
}

/// The check a trigger's `basis` calls for, given the `configured` ports.
pub fn check(basis: &Basis, configured: &AdminPorts) -> Check {
    let row = CHECKS.iter().find(|row| row.answers.answers(basis));
    let name = match basis {
        Basis::Control(c) | Basis::ConfigRule(c) | Basis::ApiCall(c) => c.clone(),
        Basis::GuardDuty { finding_type, .. } => finding_type.clone(),
        Basis::Sweep | Basis::Unnamed => String::new(),
    };
    let Some(row) = row else {
        let known = matches!(basis, Basis::ApiCall(_) | Basis::Sweep | Basis::Unnamed);
        return Check {
            name: if known {
                format!("ADMIN_PORTS {}", configured.describe())
            } else {
                name
            },
            covers: configured.0.clone(),
            world: World::Both,
            act: configured.0.clone(),
            known,
        };
    };
    let covers: PortSet = match row.covers {
        Covers::Listed { tcp, udp } => tcp
            .iter()
            .map(|n| Port::tcp(*n))
            .chain(udp.iter().map(|n| Port::udp(*n)))
            .collect(),
        Covers::Configured => configured.0.clone(),
        Covers::Probed => {
            let probed = match basis {
                Basis::GuardDuty { probed_ports, .. } => probed_ports.as_slice(),
                _ => &[],
            };
            configured
                .0
                .iter()
                .filter(|p| probed.contains(&i64::from(p.number)))
                .copied()
                .collect()
        }
    };
    Check {
        act: covers.intersection(&configured.0).copied().collect(),
        name,
        covers,
        world: row.world,
        known: true,
    }
}

// The parts of events that only this function reads.

/// The instance of a GuardDuty EC2 finding (`resource.instanceDetails`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDetails {
    /// Its network interfaces, with their security groups.
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterface>,
}

/// One network interface of an instance.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterface {
    /// The security groups attached to the interface.
    #[serde(default)]
    pub security_groups: Vec<SecurityGroupRef>,
}

/// A security group named in a GuardDuty finding.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRef {
    /// The group id.
    pub group_id: String,
}

/// One rule created by `AuthorizeSecurityGroupIngress`
/// (`responseElements.securityGroupRuleSet.items[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRuleItem {
    /// The group the rule belongs to.
    pub group_id: Option<String>,
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
            ("control_ec2_14_rdp_is_answered", hub(Some("EC2.14"), json!({})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("cis_1_2_names_ec2_14_4_2_in_rule_id", hub(None, json!({"StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0", "RuleId": "4.2"})), Ok(vec!["group sg-12345678 us-east-1"])),
            ("cis_1_2_rule_4_3_is_the_default_group_not_ours", hub(None, json!({"StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0", "RuleId": "4.3"})), Ok(vec!["skip the finding names no Security Hub control that calls for this fix"])),
            ("restricted_common_ports_is_answered", config("restricted-common-ports"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("security_hubs_ec2_19_rule_is_answered", config("securityhub-vpc-sg-restricted-common-ports-a1b2c3"), Ok(vec!["group sg-12345678 eu-west-1"])),
            ("another_group_rule_is_skipped", config("ec2-security-group-attached-to-eni"), Ok(vec!["skip Config rule ec2-security-group-attached-to-eni is not handled by this function"])),
            ("cloudtrail_group_id_falls_back_to_the_request", cloudtrail(json!({"requestParameters": {"groupId": "sg-87654321"}, "responseElements": null})), Ok(vec!["group sg-87654321 us-east-1"])),
            ("cloudtrail_names_the_groups_of_the_rules_created", cloudtrail(json!({"requestParameters": {"groupName": "web"}, "responseElements": {"securityGroupRuleSet": {"items": [{"groupId": "sg-11111111"}]}}})), Ok(vec!["group sg-11111111 us-east-1"])),
            ("cloudtrail_call_without_a_group_is_malformed", cloudtrail(json!({"requestParameters": {"groupName": "default"}})), Err("requestParameters.groupId")),
            ("modify_rules_without_a_group_is_malformed", cloudtrail(json!({"eventName": "ModifySecurityGroupRules", "requestParameters": {}})), Err("ModifySecurityGroupRulesRequest.GroupId")),
            ("a_probe_of_port_22_names_the_instances_groups", guardduty(GUARDDUTY_PORT_PROBE, probe(22)), Ok(vec!["group sg-0123456789abcdef0 us-east-1"])),
            ("a_probe_of_port_3389_names_the_instances_groups", guardduty(GUARDDUTY_PORT_PROBE, probe(3389)), Ok(vec!["group sg-0123456789abcdef0 us-east-1"])),
            ("a_probe_of_another_port_is_skipped", guardduty(GUARDDUTY_PORT_PROBE, probe(5432)), Ok(vec!["skip the probed ports include no remote administration port (22, 3389)"])),
            ("an_rdp_brute_force_target_names_its_groups", guardduty(GUARDDUTY_RDP_BRUTE_FORCE, json!({"resourceRole": "TARGET"})), Ok(vec!["group sg-0123456789abcdef0 us-east-1"])),
            ("an_rdp_brute_force_source_is_skipped", guardduty(GUARDDUTY_RDP_BRUTE_FORCE, json!({"resourceRole": "ACTOR"})), Ok(vec!["skip the instance is the ACTOR of the brute force, not its target"])),
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

    fn ports(list: &[Port]) -> PortSet {
        list.iter().copied().collect()
    }

    /// Every row of the table: the trigger, the ports it covers and the
    /// internet (what is verified before a finding is resolved), and the
    /// ports it acts on with the default `ADMIN_PORTS` (22, 3389).
    #[test]
    fn each_trigger_checks_what_its_control_covers_and_acts_on_that_among_the_admin_ports() {
        let control = |c: &str| Basis::Control(c.into());
        let rule = |r: &str| Basis::ConfigRule(r.into());
        let guardduty = |t: &str, probed: &[i64]| Basis::GuardDuty {
            finding_type: t.into(),
            probed_ports: probed.to_vec(),
        };
        let ec2_19: PortSet = EC2_19_PORTS
            .iter()
            .flat_map(|n| [Port::tcp(*n), Port::udp(*n)])
            .collect();
        let admin = [Port::tcp(22), Port::tcp(3389), Port::udp(3389)];
        let remote_admin = [
            Port::tcp(22),
            Port::udp(22),
            Port::tcp(3389),
            Port::udp(3389),
        ];
        #[rustfmt::skip]
        let rows: Vec<(&str, Basis, PortSet, World, PortSet)> = vec![
            ("ec2_13_is_ssh_from_either_internet", control("EC2.13"), ports(&[Port::tcp(22)]), World::Both, ports(&[Port::tcp(22)])),
            ("ec2_14_is_tcp_3389_from_either_internet", control("EC2.14"), ports(&[Port::tcp(3389)]), World::Both, ports(&[Port::tcp(3389)])),
            ("ec2_19_is_every_high_risk_port_and_acts_on_the_admin_ones", control("EC2.19"), ec2_19.clone(), World::Both, ports(&admin)),
            ("ec2_53_is_remote_administration_from_ipv4", control("EC2.53"), ports(&remote_admin), World::Ipv4, ports(&admin)),
            ("ec2_54_is_remote_administration_from_ipv6", control("EC2.54"), ports(&remote_admin), World::Ipv6, ports(&admin)),
            ("restricted_ssh_is_ssh", rule("securityhub-restricted-ssh-1a2b"), ports(&[Port::tcp(22)]), World::Both, ports(&[Port::tcp(22)])),
            ("control_towers_restricted_ssh_is_ssh", rule("AWSControlTower_AWS-GR_RESTRICTED_SSH"), ports(&[Port::tcp(22)]), World::Both, ports(&[Port::tcp(22)])),
            ("restricted_common_ports_is_its_default_tcp_ports_and_acts_on_3389", rule("restricted-common-ports"),
                ports(&[20, 21, 3306, 3389, 4333].map(Port::tcp)), World::Both, ports(&[Port::tcp(3389)])),
            ("security_hubs_ec2_19_rule_is_ec2_19", rule("securityhub-vpc-sg-restricted-common-ports-9f8e"), ec2_19, World::Both, ports(&admin)),
            ("the_port_restriction_check_is_remote_administration", rule("vpc-sg-port-restriction-check"), ports(&remote_admin), World::Both, ports(&admin)),
            ("a_probe_of_3389_is_rdp", guardduty(GUARDDUTY_PORT_PROBE, &[3389, 80]), ports(&[Port::tcp(3389), Port::udp(3389)]), World::Both, ports(&[Port::tcp(3389), Port::udp(3389)])),
            ("a_probe_of_22_is_ssh", guardduty(GUARDDUTY_PORT_PROBE, &[22]), ports(&[Port::tcp(22)]), World::Both, ports(&[Port::tcp(22)])),
            ("ssh_brute_force_is_ssh", guardduty(GUARDDUTY_SSH_BRUTE_FORCE, &[]), ports(&[Port::tcp(22)]), World::Both, ports(&[Port::tcp(22)])),
            ("rdp_brute_force_is_rdp", guardduty(GUARDDUTY_RDP_BRUTE_FORCE, &[]), ports(&[Port::tcp(3389), Port::udp(3389)]), World::Both, ports(&[Port::tcp(3389), Port::udp(3389)])),
            ("an_api_call_is_the_admin_ports", Basis::ApiCall("AuthorizeSecurityGroupIngress".into()), ports(&admin), World::Both, ports(&admin)),
            ("the_sweep_is_the_admin_ports", Basis::Sweep, ports(&admin), World::Both, ports(&admin)),
        ];
        for (name, basis, covers, world, act) in rows {
            let c = check(&basis, &AdminPorts::default());
            assert!(c.known, "{name}");
            assert_eq!(
                (&c.covers, c.world, &c.act),
                (&covers, world, &act),
                "{name}"
            );
        }
    }

    #[test]
    fn a_control_the_table_does_not_know_acts_on_the_admin_ports_but_is_never_verified() {
        let c = check(&Basis::Control("EC2.2".into()), &AdminPorts::default());
        assert!(!c.known);
        assert_eq!(c.name, "EC2.2");
        assert_eq!(c.act, AdminPorts::default().0);
    }

    #[test]
    fn the_ports_acted_on_are_the_checks_among_the_configured_ones() {
        let ssh_only = AdminPorts::parse("22").unwrap();
        let cases: Vec<(&str, Basis, PortSet)> = vec![
            (
                "rdp_control_with_ssh_only_acts_on_nothing",
                Basis::Control("EC2.14".into()),
                PortSet::new(),
            ),
            (
                "ec2_53_with_ssh_only_acts_on_ssh",
                Basis::Control("EC2.53".into()),
                ports(&[Port::tcp(22)]),
            ),
            (
                "a_probe_of_3389_with_ssh_only_acts_on_nothing",
                Basis::GuardDuty {
                    finding_type: GUARDDUTY_PORT_PROBE.into(),
                    probed_ports: vec![3389],
                },
                PortSet::new(),
            ),
        ];
        for (name, basis, act) in cases {
            assert_eq!(check(&basis, &ssh_only).act, act, "{name}");
        }
    }

    #[test]
    fn admin_ports_read_as_documented_and_a_bad_value_is_named() {
        let ok: Vec<(&str, PortSet)> = vec![
            (
                "22,3389",
                ports(&[Port::tcp(22), Port::tcp(3389), Port::udp(3389)]),
            ),
            ("22", ports(&[Port::tcp(22)])),
            (" 22 , 3389/tcp ", ports(&[Port::tcp(22), Port::tcp(3389)])),
            ("5985,500/udp", ports(&[Port::tcp(5985), Port::udp(500)])),
            ("22/TCP", ports(&[Port::tcp(22)])),
        ];
        for (value, expected) in ok {
            assert_eq!(
                AdminPorts::parse(value),
                Ok(AdminPorts(expected)),
                "{value}"
            );
        }
        for bad in ["", "ssh", "22,", "0", "65536", "22/sctp", "-1"] {
            let err = AdminPorts::parse(bad).unwrap_err();
            assert!(err.starts_with("ADMIN_PORTS: "), "{bad}: {err}");
        }
        assert_eq!(
            AdminPorts::default().describe(),
            "tcp 22, tcp 3389, udp 3389"
        );
    }
}

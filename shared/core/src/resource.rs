//! Validated identifiers of the resources the functions act on.
//!
//! Owns the syntax rules (what a bucket name, a security group id, a role name
//! or role id, a partition may look like) and the [`Resource`] trait through
//! which the driver names any function's resource in its records. It must not
//! decide whether a resource is in scope of a function: each function's scope does.

use std::fmt;

use serde::Serialize;

pub use crate::arn::{is_account_id, Arn, Partition, ASFF_ACCOUNT_PREFIX};
use crate::error::FindingError;

/// A kind of resource a function acts on, as the driver sees it: something
/// that can be compared (one record per resource) and named by an ARN.
pub trait Resource: Clone + PartialEq + fmt::Debug + Send + Sync + 'static {
    /// Its type as AWS Config names it (`AWS::S3::Bucket`).
    const CONFIG_TYPE: &'static str;
    /// Other types under which AWS Config evaluates the same resource (a
    /// periodic rule may evaluate an account's setting as `AWS::::Account`).
    const OTHER_CONFIG_TYPES: &'static [&'static str] = &[];
    /// Its type as Security Hub (ASFF) names it (`AwsS3Bucket`).
    const ASFF_TYPE: &'static str;

    /// The resource named by `id`, as AWS Config's `resourceId` gives it;
    /// `path` names the field, for the error.
    fn parse_id(path: &str, id: &str) -> Result<Self, FindingError>;

    /// The resource's ARN, given where it lives (`region` and `account` may be
    /// empty when the event does not say); an identifier that no ARN can be
    /// formed from is named by itself.
    fn resource_arn(&self, partition: &Partition, region: &str, account: &str) -> String;

    /// The resource's page in the AWS console (commercial partition), in
    /// `region` when it is regional; none when there is no such page.
    fn console_url(&self, _region: &str) -> Option<String> {
        None
    }
}

impl Resource for BucketName {
    const CONFIG_TYPE: &'static str = "AWS::S3::Bucket";
    const ASFF_TYPE: &'static str = "AwsS3Bucket";

    fn parse_id(path: &str, id: &str) -> Result<Self, FindingError> {
        BucketName::parse(path, id)
    }

    fn resource_arn(&self, partition: &Partition, _region: &str, _account: &str) -> String {
        self.arn(partition)
    }

    fn console_url(&self, region: &str) -> Option<String> {
        Some(format!(
            "https://s3.console.aws.amazon.com/s3/buckets/{}?region={region}&tab=permissions",
            self.as_str()
        ))
    }
}

impl Resource for GroupId {
    const CONFIG_TYPE: &'static str = "AWS::EC2::SecurityGroup";
    const ASFF_TYPE: &'static str = "AwsEc2SecurityGroup";

    fn parse_id(path: &str, id: &str) -> Result<Self, FindingError> {
        GroupId::parse(path, id)
    }

    fn resource_arn(&self, partition: &Partition, region: &str, account: &str) -> String {
        self.arn(partition, region, account)
    }

    fn console_url(&self, region: &str) -> Option<String> {
        Some(format!(
            "https://{region}.console.aws.amazon.com/ec2/home?region={region}#SecurityGroup:groupId={}",
            self.as_str()
        ))
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An S3 bucket name: 3 to 63 lowercase letters, digits, dots and
    /// hyphens, or a legacy us-east-1 name (before March 2018: up to 255
    /// characters, capitals and underscores allowed).
    BucketName
);
string_id!(
    /// An EC2 security group id (`sg-` and 8 or 17 hex digits).
    GroupId
);
string_id!(
    /// An IAM role name (1 to 64 of letters, digits and `+=,.@_-`).
    RoleName
);
string_id!(
    /// An IAM role's unique id (`AROA...`), as AWS Config names roles.
    RoleId
);

impl BucketName {
    /// Validates a bucket name: today's rules, or the legacy ones that
    /// buckets created in us-east-1 before March 2018 may still follow.
    pub fn parse(path: &str, value: &str) -> Result<Self, FindingError> {
        let edges_alphanumeric = value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && value
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        let current = (3..=63).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && edges_alphanumeric;
        let legacy = (3..=255).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if current || legacy {
            Ok(BucketName(value.to_owned()))
        } else {
            Err(FindingError::value(
                path,
                value,
                "an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-' (legacy us-east-1 names: up to 255 letters, digits, '.', '-' or '_')",
            ))
        }
    }

    /// The bucket's ARN.
    pub fn arn(&self, partition: &Partition) -> String {
        format!("arn:{partition}:s3:::{}", self.0)
    }
}

impl GroupId {
    /// Validates a security group id.
    pub fn parse(path: &str, value: &str) -> Result<Self, FindingError> {
        let ok = value.strip_prefix("sg-").is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if ok {
            Ok(GroupId(value.to_owned()))
        } else {
            Err(FindingError::value(
                path,
                value,
                "a security group id: sg- and 8 or 17 hex digits",
            ))
        }
    }

    /// The group's ARN; account and region may be unknown (empty).
    pub fn arn(&self, partition: &Partition, region: &str, account: &str) -> String {
        format!(
            "arn:{partition}:ec2:{region}:{account}:security-group/{}",
            self.0
        )
    }
}

impl RoleName {
    /// Validates a role name.
    pub fn parse(path: &str, value: &str) -> Result<Self, FindingError> {
        let ok = (1..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        if ok {
            Ok(RoleName(value.to_owned()))
        } else {
            Err(FindingError::value(
                path,
                value,
                "an IAM role name: 1-64 letters, digits or +=,.@_-",
            ))
        }
    }

    /// The role's ARN when its path is unknown (the path is not part of the name).
    pub fn arn(&self, partition: &Partition, account: &str) -> String {
        format!("arn:{partition}:iam::{account}:role/{}", self.0)
    }
}

impl RoleId {
    /// Whether `value` has the shape of a role id.
    pub fn looks_like(value: &str) -> bool {
        value.strip_prefix("AROA").is_some_and(|rest| {
            (8..=128).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    }

    /// Validates a role id.
    pub fn parse(path: &str, value: &str) -> Result<Self, FindingError> {
        if Self::looks_like(value) {
            Ok(RoleId(value.to_owned()))
        } else {
            Err(FindingError::value(
                path,
                value,
                "an IAM role id: AROA and letters or digits",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_of_each_partition_parse() {
        for (arn, partition) in [
            ("arn:aws:s3:::my-bucket", "aws"),
            (
                "arn:aws-cn:ec2:cn-north-1:123456789012:security-group/sg-12345678",
                "aws-cn",
            ),
            ("arn:aws-us-gov:iam::123456789012:role/x", "aws-us-gov"),
        ] {
            assert_eq!(Arn::parse("f", arn).unwrap().partition.as_str(), partition);
        }
    }

    #[test]
    fn malformed_arns_are_rejected_with_the_field_named() {
        for bad in [
            "",
            "arn",
            "arn:aws:s3",
            "nope:aws:s3:::b",
            "arn:aws-mars:s3:::b",
            "arn:aws:iam::12:role/x",
            "arn:aws::::",
        ] {
            let err = Arn::parse("detail.findings[0].Resources[0].Id", bad).unwrap_err();
            assert!(
                err.to_string()
                    .contains("detail.findings[0].Resources[0].Id"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn aws_managed_policy_arns_parse() {
        let arn = Arn::parse("f", "arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(
            (arn.account.as_str(), arn.resource.as_str()),
            ("aws", "policy/AdministratorAccess")
        );
    }

    #[test]
    fn role_path_survives_in_the_resource_part() {
        let arn = Arn::parse("f", "arn:aws:iam::123456789012:role/service-role/a:b").unwrap();
        assert_eq!(arn.resource, "role/service-role/a:b");
    }

    #[test]
    fn bucket_names_follow_s3_rules_old_and_new() {
        let long_legacy = format!("Legacy_{}", "x".repeat(240));
        for good in [
            "my.bucket-1",
            "My-Bucket",
            "a_b_c",
            "Legacy_Bucket_2017",
            long_legacy.as_str(),
            "-legacy-edge",
        ] {
            assert!(BucketName::parse("f", good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "has space",
            "slash/in/name",
            "question?",
            "",
            &"a".repeat(256),
        ] {
            assert!(BucketName::parse("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn group_ids_have_8_or_17_hex_digits() {
        assert!(GroupId::parse("f", "sg-12345678").is_ok());
        assert!(GroupId::parse("f", "sg-0123456789abcdef0").is_ok());
        for bad in ["sg-1234567", "sg-0123456789abcdefg", "i-12345678", "sg-"] {
            assert!(GroupId::parse("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_names_and_ids_are_told_apart() {
        assert!(RoleName::parse("f", "my-role+x=y,z.w@q_").is_ok());
        assert!(RoleName::parse("f", "bad/role").is_err());
        assert!(RoleId::looks_like("AROAEXAMPLEROLEID0001"));
        assert!(!RoleId::looks_like("example-role"));
        assert!(!RoleId::looks_like("AIDAEXAMPLEUSERID0001"));
    }

    #[test]
    fn regions_map_to_their_partitions() {
        assert_eq!(Partition::of_region("cn-northwest-1").as_str(), "aws-cn");
        assert_eq!(Partition::of_region("us-gov-west-1").as_str(), "aws-us-gov");
        assert_eq!(Partition::of_region("eu-west-1").as_str(), "aws");
    }
}

//! AWS partitions and ARNs: which partitions exist, how an ARN is split into
//! its parts and formed again.
//!
//! It must not decide which resource an ARN names for a function: each
//! resource's [`crate::resource::Resource`] does.

use std::fmt;

use serde::Serialize;

use crate::error::FindingError;

/// An AWS partition, one of the published ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Partition(String);

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

impl Partition {
    /// The commercial partition.
    pub fn aws() -> Self {
        Partition("aws".into())
    }

    /// Validates a partition name.
    pub fn parse(path: &str, value: &str) -> Result<Self, FindingError> {
        if PARTITIONS.contains(&value) {
            Ok(Partition(value.to_owned()))
        } else {
            Err(FindingError::value(
                path,
                value,
                "a known AWS partition (aws, aws-cn, aws-us-gov, ...)",
            ))
        }
    }

    /// The partition a region belongs to (`cn-north-1` is in `aws-cn`).
    pub fn of_region(region: &str) -> Self {
        let p = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else if region.starts_with("us-isob-") {
            "aws-iso-b"
        } else if region.starts_with("us-iso-") {
            "aws-iso"
        } else if region.starts_with("eusc-") {
            "aws-eusc"
        } else {
            "aws"
        };
        Partition(p.to_owned())
    }

    /// The partition's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    /// The partition.
    pub partition: Partition,
    /// The service namespace (`s3`, `ec2`, `iam`).
    pub service: String,
    /// The region, empty for global resources.
    pub region: String,
    /// The account, empty for S3 buckets.
    pub account: String,
    /// Everything after the fifth colon.
    pub resource: String,
}

impl Arn {
    /// Parses an ARN; `path` names the field it came from, for the error.
    pub fn parse(path: &str, value: &str) -> Result<Self, FindingError> {
        let mut parts = value.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(FindingError::value(
                path,
                value,
                "an ARN (arn:partition:service:region:account:resource)",
            ));
        };
        if service.is_empty() || resource.is_empty() {
            return Err(FindingError::value(
                path,
                value,
                "an ARN with a service and a resource",
            ));
        }
        // AWS managed policies have `aws` in place of an account.
        if !account.is_empty() && account != "aws" && !is_account_id(account) {
            return Err(FindingError::value(
                path,
                value,
                "an ARN whose account is 12 digits",
            ));
        }
        Ok(Arn {
            partition: Partition::parse(path, partition)?,
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl Arn {
    /// The ARN of a Security Hub resource `Id`: an ARN, or the form Security
    /// Hub gives an account (`AWS::::Account:123456789012`, type
    /// `AwsAccount`), read as the account's root ARN
    /// (`arn:<partition>:iam::123456789012:root`) in `partition`.
    pub fn parse_asff_id(
        path: &str,
        id: &str,
        partition: &Partition,
    ) -> Result<Self, FindingError> {
        match id.strip_prefix(ASFF_ACCOUNT_PREFIX) {
            Some(account) if is_account_id(account) => Ok(Arn {
                partition: partition.clone(),
                service: "iam".into(),
                region: String::new(),
                account: account.to_owned(),
                resource: "root".into(),
            }),
            Some(_) => Err(FindingError::value(
                path,
                id,
                "AWS::::Account: and a 12-digit account id",
            )),
            None => Arn::parse(path, id),
        }
    }

    /// The resource part of an ARN of `service`, or the error for an ARN of
    /// another service; `path` names the field it came from.
    pub fn resource_of(&self, service: &str, path: &str) -> Result<&str, FindingError> {
        if self.service == service {
            Ok(&self.resource)
        } else {
            Err(self.of_another_type(path))
        }
    }

    /// The error for an ARN that does not name a resource of the type its
    /// finding states; `path` names the field it came from.
    pub fn of_another_type(&self, path: &str) -> FindingError {
        FindingError::value(
            path,
            &self.to_string(),
            "the ARN of a resource of the stated type",
        )
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// How Security Hub and AWS Config name an account as a resource:
/// `AWS::::Account:` and its id.
pub const ASFF_ACCOUNT_PREFIX: &str = "AWS::::Account:";

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

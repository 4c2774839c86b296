//! The undo's port over AWS and its SDK adapter: read a resource's live
//! state, put back what a record says was changed, and tag the resource
//! exempt. The only file of the tool that imports `aws_sdk_*` (besides the
//! identity and role calls of `main.rs`'s wiring).
//!
//! "Nothing there" answers are normalised here: a bucket or account without
//! a Block Public Access configuration reads as `None`, a bucket without tags
//! as no tags. It must not decide anything: that is [`crate::plan`]'s.

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, Tag as Ec2Tag};
use aws_sdk_s3::types::{PublicAccessBlockConfiguration, Tag as S3Tag, Tagging};
use remediation_runtime::deadline::call;
use remediation_runtime::sdk::SdkConfig;
use remediation_runtime::Classify;
use remediation_shared::AwsError;

use crate::plan::{Flags, IngressRule, Live, Restore, Settings};

/// What the undo needs from AWS.
pub trait UndoPort: Sync {
    /// The live state of the resource `restore` is about.
    fn read(&self, restore: &Restore) -> impl Future<Output = Result<Live, AwsError>> + Send;
    /// Puts back what `restore` says.
    fn write(&self, restore: &Restore) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Tags the resource with `key=true` and `reason_key=reason`, keeping
    /// its other tags. An account has no tags: `Ok(false)`, nothing written.
    fn exempt(
        &self,
        restore: &Restore,
        key: &str,
        reason_key: &str,
        reason: &str,
    ) -> impl Future<Output = Result<bool, AwsError>> + Send;
}

/// The SDK clients of one account and region.
#[derive(Debug, Clone)]
pub struct Adapter {
    s3: aws_sdk_s3::Client,
    s3control: aws_sdk_s3control::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
}

impl Adapter {
    /// Clients over `sdk` (S3 as the S3 functions build it: path-style when
    /// a custom endpoint is set, as a local emulator needs).
    pub fn new(sdk: &SdkConfig) -> Self {
        Adapter {
            s3: remediation_s3::aws::client(sdk),
            s3control: aws_sdk_s3control::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
        }
    }

    async fn bucket_settings(&self, bucket: &str) -> Result<Settings, AwsError> {
        let read = call(
            "GetPublicAccessBlock",
            self.s3.get_public_access_block().bucket(bucket).send(),
        )
        .await;
        settings(read.map(|o| o.public_access_block_configuration().map(bucket_flags)))
    }

    async fn account_settings(&self, account: &str) -> Result<Settings, AwsError> {
        let read = call(
            "GetPublicAccessBlock",
            self.s3control
                .get_public_access_block()
                .account_id(account)
                .send(),
        )
        .await;
        settings(read.map(|o| {
            o.public_access_block_configuration().map(|c| Flags {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })
        }))
    }
}

fn bucket_flags(c: &PublicAccessBlockConfiguration) -> Flags {
    Flags {
        block_public_acls: c.block_public_acls().unwrap_or(false),
        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
        block_public_policy: c.block_public_policy().unwrap_or(false),
        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
    }
}

/// A settings read, with "no configuration" as `None`.
fn settings(read: Result<Option<Flags>, AwsError>) -> Result<Settings, AwsError> {
    match read {
        Ok(flags) => Ok(flags),
        Err(e) if e.code == "NoSuchPublicAccessBlockConfiguration" => Ok(None),
        Err(e) => Err(e),
    }
}

fn permission(rule: &IngressRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol);
    if rule.protocol != "-1" {
        p = p.from_port(rule.from_port).to_port(rule.to_port);
    }
    if rule.cidr.contains(':') {
        p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(&rule.cidr)
                .set_description(rule.description.clone())
                .build(),
        )
        .build()
    } else {
        p.ip_ranges(
            IpRange::builder()
                .cidr_ip(&rule.cidr)
                .set_description(rule.description.clone())
                .build(),
        )
        .build()
    }
}

impl UndoPort for Adapter {
    async fn read(&self, restore: &Restore) -> Result<Live, AwsError> {
        match restore {
            Restore::Bucket { bucket, .. } => {
                self.bucket_settings(bucket).await.map(Live::Settings)
            }
            Restore::Account { account, .. } => {
                self.account_settings(account).await.map(Live::Settings)
            }
            Restore::Group { group_id, .. } => {
                let filter = Filter::builder().name("group-id").values(group_id).build();
                let pages = self
                    .ec2
                    .describe_security_group_rules()
                    .filters(filter)
                    .into_paginator()
                    .items()
                    .send();
                let rules =
                    remediation_runtime::deadline::all("DescribeSecurityGroupRules", pages).await?;
                let keys: BTreeSet<_> = rules
                    .iter()
                    .filter(|r| !r.is_egress().unwrap_or(false))
                    .filter_map(|r| {
                        let cidr = r.cidr_ipv4().or(r.cidr_ipv6())?;
                        Some((
                            r.ip_protocol().unwrap_or_default().to_owned(),
                            r.from_port().unwrap_or(-1),
                            r.to_port().unwrap_or(-1),
                            cidr.to_owned(),
                        ))
                    })
                    .collect();
                Ok(Live::Rules(keys))
            }
            Restore::Role { role_name, .. } => {
                let pages = self
                    .iam
                    .list_attached_role_policies()
                    .role_name(role_name)
                    .into_paginator()
                    .items()
                    .send();
                let attached =
                    remediation_runtime::deadline::all("ListAttachedRolePolicies", pages).await?;
                Ok(Live::Policies(
                    attached
                        .iter()
                        .filter_map(|p| p.policy_arn().map(str::to_owned))
                        .collect(),
                ))
            }
        }
    }

    async fn write(&self, restore: &Restore) -> Result<(), AwsError> {
        match restore {
            Restore::Bucket {
                bucket,
                before: None,
            } => call(
                "DeletePublicAccessBlock",
                self.s3.delete_public_access_block().bucket(bucket).send(),
            )
            .await
            .map(|_| ()),
            Restore::Bucket {
                bucket,
                before: Some(f),
            } => {
                let config = PublicAccessBlockConfiguration::builder()
                    .block_public_acls(f.block_public_acls)
                    .ignore_public_acls(f.ignore_public_acls)
                    .block_public_policy(f.block_public_policy)
                    .restrict_public_buckets(f.restrict_public_buckets)
                    .build();
                let put = self
                    .s3
                    .put_public_access_block()
                    .bucket(bucket)
                    .public_access_block_configuration(config)
                    .send();
                call("PutPublicAccessBlock", put).await.map(|_| ())
            }
            Restore::Account {
                account,
                before: None,
            } => call(
                "DeletePublicAccessBlock",
                self.s3control
                    .delete_public_access_block()
                    .account_id(account)
                    .send(),
            )
            .await
            .map(|_| ()),
            Restore::Account {
                account,
                before: Some(f),
            } => {
                let config = aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(f.block_public_acls)
                    .ignore_public_acls(f.ignore_public_acls)
                    .block_public_policy(f.block_public_policy)
                    .restrict_public_buckets(f.restrict_public_buckets)
                    .build();
                let put = self
                    .s3control
                    .put_public_access_block()
                    .account_id(account)
                    .public_access_block_configuration(config)
                    .send();
                call("PutPublicAccessBlock", put).await.map(|_| ())
            }
            Restore::Group { group_id, rules } => {
                let authorize = self
                    .ec2
                    .authorize_security_group_ingress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(rules.iter().map(permission).collect()))
                    .send();
                call("AuthorizeSecurityGroupIngress", authorize)
                    .await
                    .map(|_| ())
            }
            Restore::Role {
                role_name,
                policy_arns,
            } => {
                for arn in policy_arns {
                    let attach = self
                        .iam
                        .attach_role_policy()
                        .role_name(role_name)
                        .policy_arn(arn)
                        .send();
                    call("AttachRolePolicy", attach).await?;
                }
                Ok(())
            }
        }
    }

    async fn exempt(
        &self,
        restore: &Restore,
        key: &str,
        reason_key: &str,
        reason: &str,
    ) -> Result<bool, AwsError> {
        match restore {
            Restore::Account { .. } => Ok(false),
            Restore::Bucket { bucket, .. } => {
                let current = call(
                    "GetBucketTagging",
                    self.s3.get_bucket_tagging().bucket(bucket).send(),
                )
                .await;
                let mut tags: Vec<(String, String)> = match current {
                    Ok(t) => t
                        .tag_set()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect(),
                    Err(e) if e.code == "NoSuchTagSet" => Vec::new(),
                    Err(e) => return Err(e),
                };
                tags.retain(|(k, _)| k != key && k != reason_key);
                tags.push((key.to_owned(), "true".to_owned()));
                tags.push((reason_key.to_owned(), reason.to_owned()));
                let set = tags
                    .iter()
                    .map(|(k, v)| S3Tag::builder().key(k).value(v).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        AwsError::classify("PutBucketTagging", "InvalidTag", &e.to_string(), None)
                    })?;
                let tagging = Tagging::builder()
                    .set_tag_set(Some(set))
                    .build()
                    .map_err(|e| {
                        AwsError::classify("PutBucketTagging", "InvalidTag", &e.to_string(), None)
                    })?;
                let put = self
                    .s3
                    .put_bucket_tagging()
                    .bucket(bucket)
                    .tagging(tagging)
                    .send();
                call("PutBucketTagging", put).await.map(|_| true)
            }
            Restore::Group { group_id, .. } => {
                let put = self
                    .ec2
                    .create_tags()
                    .resources(group_id)
                    .tags(Ec2Tag::builder().key(key).value("true").build())
                    .tags(Ec2Tag::builder().key(reason_key).value(reason).build())
                    .send();
                call("CreateTags", put).await.map(|_| true)
            }
            Restore::Role { role_name, .. } => {
                let tag = |k: &str, v: &str| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| {
                            AwsError::classify("TagRole", "InvalidTag", &e.to_string(), None)
                        })
                };
                let put = self
                    .iam
                    .tag_role()
                    .role_name(role_name)
                    .tags(tag(key, "true")?)
                    .tags(tag(reason_key, reason)?)
                    .send();
                call("TagRole", put).await.map(|_| true)
            }
        }
    }
}

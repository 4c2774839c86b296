//! Re-enables S3 Block Public Access on a bucket that a finding says may be public.
//!
//! The sequence per bucket: read the live settings; if any is off, read the
//! tags for the exemption; plan; (the driver decides dry run;) write all four
//! on; read back; settle. Which events it answers is [`scope`], every decision
//! is [`plan`], the S3 calls are behind [`aws::BucketPublicAccess`]; this file
//! only sequences them.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, S3 client, runtime).
//! - [`scope`]: the events, rules and finding types it answers.
//! - [`plan`]: the pure decision and settle step, and the audit payloads.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;
pub mod scope;

use std::ops::ControlFlow;

use futures_util::stream::{self, StreamExt};
use remediation_shared::resource::BucketName;
use remediation_shared::{Config, Examined, OrSettle, Proposal, Remediator, Report, TargetOf};
use remediation_shared::{Home, Survey};

use crate::aws::BucketPublicAccess;
use crate::plan::{PublicAccessFlags, Work};
use crate::scope::BucketScope;

/// The remediator over any [`BucketPublicAccess`] port: `BlockPublicAccess(port)`.
pub struct BlockPublicAccess<P>(pub P);

/// As the Lambda function builds it: over the S3 client.
impl remediation_runtime::person::FromEnv for BlockPublicAccess<aws::S3Adapter> {
    fn from_env(sdk: &remediation_runtime::SdkConfig) -> Result<Self, String> {
        Ok(BlockPublicAccess(aws::S3Adapter::from_sdk(sdk)))
    }
}

impl<P: BucketPublicAccess> Remediator for BlockPublicAccess<P> {
    type Scope = BucketScope;
    type Work = Work;

    async fn examine(&self, target: &TargetOf<Self>, config: &Config) -> Examined<Work> {
        let bucket = target.resource.as_str();
        let current = self
            .0
            .public_access_block(bucket)
            .await
            .or_settle("the bucket")?;
        let exempt = plan::needs_tags(current)
            && match self.0.tags(bucket).await {
                Ok(tags) => config.is_exempt(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                Err(e) => {
                    let before = plan::State::BucketPublicAccessBlock(plan::Settings::of(current));
                    return ControlFlow::Break(
                        Report::read_failed(&e, "the bucket").before(&before),
                    );
                }
            };
        match plan::examined(plan::plan(current, exempt), current) {
            ControlFlow::Break(r) => {
                ControlFlow::Break(r.verdict_if_fixed(scope::CHECKS.verdict(&target.basis)))
            }
            change => change,
        }
    }

    /// The buckets of the function's region (`ListBuckets`), each one's
    /// settings read [`plan::SURVEY_CONCURRENCY`] at a time: a suspect when
    /// any is off, or when they cannot be read (its record then says why).
    async fn survey(&self, home: &Home) -> Survey<BucketName> {
        let names = match self.0.bucket_names(&home.region).await {
            Ok(names) => names,
            Err(e) => return Survey::failed(e),
        };
        let examined = names.len();
        let reads = stream::iter(names)
            .map(|name| async move {
                let read = self.0.public_access_block(&name).await;
                (name, read)
            })
            .buffer_unordered(plan::SURVEY_CONCURRENCY);
        let suspects: Vec<BucketName> = reads
            .filter_map(|(name, read)| async move {
                plan::suspect(&read)
                    .then(|| BucketName::parse("ListBuckets", &name).ok())
                    .flatten()
            })
            .collect()
            .await;
        Survey::complete(examined, suspects)
    }

    async fn apply(&self, target: &TargetOf<Self>, proposal: Proposal<Work>) -> Report {
        let bucket = target.resource.as_str();
        let write = self
            .0
            .put_public_access_block(bucket, PublicAccessFlags::ALL)
            .await;
        let read_back = match write {
            Ok(()) => Some(self.0.public_access_block(bucket).await),
            Err(_) => None,
        };
        plan::settle(&proposal, write, read_back)
            .verdict_if_fixed(scope::CHECKS.verdict(&target.basis))
    }
}

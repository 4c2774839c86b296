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

use remediation_shared::{Config, Examined, Proposal, Read, Remediator, Report, TargetOf};

use crate::aws::BucketPublicAccess;
use crate::plan::{PublicAccessFlags, Work};
use crate::scope::BucketScope;

/// The remediator over any [`BucketPublicAccess`] port: `BlockPublicAccess(port)`.
pub struct BlockPublicAccess<P>(pub P);

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
                    let before = plan::State::BucketPublicAccessBlock(current.unwrap_or_default());
                    return ControlFlow::Break(
                        Report::read_failed(&e, "the bucket").before(&before),
                    );
                }
            };
        plan::examined(plan::plan(current, exempt), current)
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
    }
}

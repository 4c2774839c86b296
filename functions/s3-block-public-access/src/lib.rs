//! Re-enables S3 Block Public Access on a bucket that a finding says may be public.
//!
//! Flow per bucket: read the live settings; if any is off, read the tags for the
//! exemption; plan; write all four on; read back to verify. The decision lives
//! in [`plan`], the S3 calls behind [`aws::BucketPublicAccess`]; this file only
//! sequences them and reports.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, S3 client, runtime).
//! - [`plan`]: the pure decision.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;

use remediation_shared::{
    Change, Config, Outcome, PublicAccessFlags, Remediation, Remediator, Report, Resource, State,
    Target,
};

use crate::aws::BucketPublicAccess;
use crate::plan::Plan;

/// The S3 remediator over any [`BucketPublicAccess`] port.
#[derive(Debug, Clone)]
pub struct BlockPublicAccess<P> {
    port: P,
}

impl<P> BlockPublicAccess<P> {
    /// Builds the remediator over `port`.
    pub fn new(port: P) -> Self {
        BlockPublicAccess { port }
    }
}

impl<P: BucketPublicAccess> Remediator for BlockPublicAccess<P> {
    const REMEDIATION: Remediation = Remediation::S3BlockPublicAccess;

    async fn remediate(&self, target: &Target, config: &Config) -> Report {
        let Resource::Bucket(bucket) = &target.resource else {
            return Report::new(Outcome::Skipped, "not a bucket");
        };
        let bucket = bucket.as_str();
        let current = match self.port.public_access_block(bucket).await {
            Ok(c) => c,
            Err(e) => return Report::read_failed(&e, "the bucket"),
        };
        let flags = current.unwrap_or_default();
        let before = State::BucketPublicAccessBlock(flags);
        // The tags matter only when something would change: skip the call otherwise.
        let exempt = if flags.missing().is_empty() {
            false
        } else {
            match self.port.tags(bucket).await {
                Ok(tags) => config.is_exempt(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                Err(e) => return Report::read_failed(&e, "the bucket").before(before),
            }
        };
        match plan::plan(current, exempt, config.dry_run) {
            Plan::AlreadyCompliant => Report::new(
                Outcome::AlreadyCompliant,
                "all four Block Public Access settings are on",
            )
            .before(before.clone())
            .after(before),
            Plan::Skip(reason) => Report::new(Outcome::Skipped, reason)
                .before(before.clone())
                .after(before),
            Plan::WouldEnable(settings) => Report::new(
                Outcome::DryRun,
                format!("dry run: would turn on {}", settings.join(", ")),
            )
            .before(before.clone())
            .after(before)
            .changes(vec![Change::EnablePublicAccessBlock { settings }]),
            Plan::Enable(settings) => {
                let changes = vec![Change::EnablePublicAccessBlock {
                    settings: settings.clone(),
                }];
                if let Err(e) = self
                    .port
                    .put_public_access_block(bucket, PublicAccessFlags::ALL)
                    .await
                {
                    // A bucket deleted since it was read has nothing left to protect.
                    return Report::read_failed(&e, "the bucket").before(before);
                }
                // Read back: the write is only a success if S3 now says all four are on.
                match self.port.public_access_block(bucket).await {
                    Ok(Some(after)) if after == PublicAccessFlags::ALL => Report::new(
                        Outcome::Remediated,
                        format!("turned on {}", settings.join(", ")),
                    )
                    .before(before)
                    .after(State::BucketPublicAccessBlock(after))
                    .changes(changes),
                    Ok(after) => {
                        let after = after.unwrap_or_default();
                        let mut r = Report::new(
                            Outcome::Failed,
                            format!(
                                "read back after the write shows {} still off",
                                after.missing().join(", ")
                            ),
                        )
                        .before(before)
                        .after(State::BucketPublicAccessBlock(after))
                        .changes(changes);
                        r.error_code = Some("VerificationFailed".into());
                        r.error_type = Some("Remediation.VerificationFailed");
                        r
                    }
                    Err(e) => {
                        let mut r = Report::read_failed(&e, "the bucket")
                            .before(before)
                            .changes(changes);
                        r.reason = format!(
                            "the settings were written, but reading them back failed: {}",
                            r.reason
                        );
                        r
                    }
                }
            }
        }
    }
}

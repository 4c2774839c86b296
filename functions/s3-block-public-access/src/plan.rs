//! The bucket decision: given a bucket's Block Public Access settings and
//! whether it is exempt, what to do; and, after the write and its read back,
//! how it ended. Also the payloads this function writes into audit records.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment.

pub use remediation_s3::flags::{settle_write, PublicAccessFlags, Settings, Written};
use remediation_shared::{AwsError, AwsErrorKind, Decision, Examined, Proposal, Report};
use serde::Serialize;

/// A bucket's state in audit records (`before`, `after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    /// Its Block Public Access settings.
    BucketPublicAccessBlock(Settings),
}

/// A change to a bucket in audit records (`changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// `PutPublicAccessBlock` with all four settings on; lists those that were off.
    EnablePublicAccessBlock {
        /// The settings turned on.
        settings: Vec<&'static str>,
    },
}

/// What to do with one bucket: the change is turning all four settings on,
/// naming those that were off.
pub type Plan = Decision<Vec<&'static str>>;

/// How many buckets a sweep's survey reads at once.
pub const SURVEY_CONCURRENCY: usize = 16;

/// Whether a sweep examines a bucket whose settings read as `read`: when any
/// is off, or when they could not be read (unless the bucket is gone).
pub fn suspect(read: &Result<Option<PublicAccessFlags>, AwsError>) -> bool {
    match read {
        Ok(current) => needs_tags(*current),
        Err(e) => e.kind != AwsErrorKind::NotFound,
    }
}

/// Whether the bucket's tags must be read: only when something would change.
pub fn needs_tags(current: Option<PublicAccessFlags>) -> bool {
    !current.unwrap_or_default().missing().is_empty()
}

/// Decides from the live settings (`None`: no configuration, which S3 treats as all off).
pub fn plan(current: Option<PublicAccessFlags>, exempt: bool) -> Plan {
    Plan::to_fix(current.unwrap_or_default().missing(), exempt, "bucket")
}

/// The settings to turn on, as the apply step needs them.
pub type Work = Vec<&'static str>;

/// The plan as the driver takes it, for a bucket whose settings were `current`.
pub fn examined(plan: Plan, current: Option<PublicAccessFlags>) -> Examined<Work> {
    let before = State::BucketPublicAccessBlock(Settings::of(current));
    plan.examined(
        "all four Block Public Access settings are on",
        &before,
        |settings| {
            let change = Change::EnablePublicAccessBlock {
                settings: settings.clone(),
            };
            let summary = format!("turn on {}", settings.join(", "));
            Proposal::new(&before, &[change], summary, settings)
        },
    )
}

/// How the write and its read back ended: `write` is the put's result,
/// `read_back` the settings read after it (not read when the write failed).
pub fn settle(
    proposal: &Proposal<Work>,
    write: Result<(), AwsError>,
    read_back: Option<Result<Option<PublicAccessFlags>, AwsError>>,
) -> Report {
    let changes = [Change::EnablePublicAccessBlock {
        settings: proposal.work.clone(),
    }];
    settle_write(
        proposal,
        write,
        read_back,
        Written {
            what: "the bucket",
            state: State::BucketPublicAccessBlock,
            changes: &changes,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use remediation_shared::Outcome;
    use std::ops::ControlFlow;

    const OFF: PublicAccessFlags = PublicAccessFlags::OFF;
    const ALL_FOUR: [&str; 4] = [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ];

    #[test]
    fn decisions() {
        let partial = PublicAccessFlags {
            block_public_acls: true,
            block_public_policy: true,
            ..OFF
        };
        let only_restrict_off = PublicAccessFlags {
            restrict_public_buckets: false,
            ..PublicAccessFlags::ALL
        };
        let cases: &[(&str, Option<PublicAccessFlags>, bool, Plan)] = &[
            (
                "all_four_on_is_already_compliant",
                Some(PublicAccessFlags::ALL),
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "all_four_on_and_exempt_is_still_compliant",
                Some(PublicAccessFlags::ALL),
                true,
                Plan::AlreadyCompliant,
            ),
            (
                "missing_configuration_counts_as_all_off",
                None,
                false,
                Plan::Change(ALL_FOUR.to_vec()),
            ),
            (
                "all_off_enables_all_four",
                Some(OFF),
                false,
                Plan::Change(ALL_FOUR.to_vec()),
            ),
            (
                "partial_settings_enable_only_the_missing_ones",
                Some(partial),
                false,
                Plan::Change(vec!["IgnorePublicAcls", "RestrictPublicBuckets"]),
            ),
            (
                "one_setting_off_is_not_compliant",
                Some(only_restrict_off),
                false,
                Plan::Change(vec!["RestrictPublicBuckets"]),
            ),
            (
                "exempt_bucket_is_skipped",
                Some(OFF),
                true,
                Plan::Withheld("bucket carries the exemption tag".into()),
            ),
            (
                "exempt_bucket_without_configuration_is_skipped",
                None,
                true,
                Plan::Withheld("bucket carries the exemption tag".into()),
            ),
        ];
        for (name, current, exempt, expected) in cases {
            assert_eq!(&plan(*current, *exempt), expected, "{name}");
        }
    }

    #[test]
    fn tags_are_read_only_when_something_would_change() {
        assert!(!needs_tags(Some(PublicAccessFlags::ALL)));
        assert!(needs_tags(None));
        assert!(needs_tags(Some(OFF)));
    }

    #[test]
    fn a_proposal_says_what_a_dry_run_would_turn_on() {
        let ControlFlow::Continue(p) = examined(plan(Some(OFF), false), Some(OFF)) else {
            panic!("a change was expected")
        };
        let r = p.dry_run();
        assert_eq!(
            r.reason,
            "dry run: would turn on BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets"
        );
        assert_eq!(
            r.changes[0]["settings"],
            serde_json::json!(ALL_FOUR.to_vec())
        );
        assert_eq!(r.before, r.after);
    }

    /// What the write returned.
    type Write = Result<(), AwsError>;
    /// What the read back after the write returned, if it was made.
    type ReadBack = Option<Result<Option<PublicAccessFlags>, AwsError>>;

    #[test]
    fn settling() {
        let ControlFlow::Continue(p) = examined(plan(None, false), None) else {
            panic!("a change was expected")
        };
        let gone = AwsError::of(
            "PutPublicAccessBlock",
            AwsErrorKind::Other,
            "NoSuchBucket",
            "m",
        )
        .into_not_found();
        let denied = AwsError::of(
            "GetPublicAccessBlock",
            AwsErrorKind::AccessDenied,
            "AccessDenied",
            "m",
        );
        let one_off = PublicAccessFlags {
            ignore_public_acls: false,
            ..PublicAccessFlags::ALL
        };
        let cases: Vec<(&str, Write, ReadBack, Outcome, &str)> = vec![
            (
                "all_four_read_back_is_remediated",
                Ok(()),
                Some(Ok(Some(PublicAccessFlags::ALL))),
                Outcome::Remediated,
                "turned on BlockPublicAcls",
            ),
            (
                "one_setting_still_off_fails_verification",
                Ok(()),
                Some(Ok(Some(one_off))),
                Outcome::Failed,
                "IgnorePublicAcls still off",
            ),
            (
                "no_configuration_read_back_fails_verification",
                Ok(()),
                Some(Ok(None)),
                Outcome::Failed,
                "still off",
            ),
            (
                "a_bucket_deleted_before_the_write_is_skipped",
                Err(gone.clone()),
                None,
                Outcome::Skipped,
                "no longer exists",
            ),
            (
                "a_bucket_deleted_before_the_read_back_is_skipped",
                Ok(()),
                Some(Err(gone)),
                Outcome::Skipped,
                "the settings were written, but reading them back failed",
            ),
            (
                "a_failed_read_back_fails_and_says_the_write_happened",
                Ok(()),
                Some(Err(denied)),
                Outcome::Failed,
                "the settings were written",
            ),
        ];
        for (name, write, read_back, outcome, reason) in cases {
            let r = settle(&p, write, read_back);
            assert_eq!(r.outcome, outcome, "{name}");
            assert!(r.reason.contains(reason), "{name}: {}", r.reason);
            assert_eq!(r.before, Some(p.before.clone()), "{name}");
        }
    }

    #[test]
    fn states_and_changes_serialise_with_a_type_tag() {
        let s = serde_json::to_value(State::BucketPublicAccessBlock(Settings::of(Some(
            PublicAccessFlags::ALL,
        ))))
        .unwrap();
        assert_eq!(s["type"], "bucket_public_access_block");
        assert_eq!(s["restrict_public_buckets"], true);
        let c = serde_json::to_value(Change::EnablePublicAccessBlock {
            settings: vec!["BlockPublicAcls"],
        })
        .unwrap();
        assert_eq!(
            c,
            serde_json::json!({"type": "enable_public_access_block", "settings": ["BlockPublicAcls"]})
        );
    }

    #[test]
    fn a_missing_configuration_is_recorded_as_such_and_four_falses_are_not() {
        let before = |read| match examined(plan(read, false), read) {
            ControlFlow::Continue(p) => p.before,
            ControlFlow::Break(r) => panic!("{r:?}"),
        };
        let none = before(None);
        assert_eq!(none["no_configuration"], true, "{none}");
        assert_eq!(none["block_public_acls"], false);
        let off = before(Some(OFF));
        assert!(off.get("no_configuration").is_none(), "{off}");
    }

    #[test]
    fn missing_flags_are_named_as_in_the_s3_api() {
        let flags = PublicAccessFlags {
            block_public_acls: true,
            ignore_public_acls: false,
            block_public_policy: true,
            restrict_public_buckets: false,
        };
        assert_eq!(
            flags.missing(),
            vec!["IgnorePublicAcls", "RestrictPublicBuckets"]
        );
        assert!(PublicAccessFlags::ALL.missing().is_empty());
    }
}

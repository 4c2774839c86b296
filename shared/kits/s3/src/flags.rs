//! Block Public Access settings, the same four at the bucket and the account
//! level: what they are, how audit records show them, and how a write of all
//! four settles after its read back.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment.

use remediation_shared::{AwsError, Outcome, Proposal, Report};
use serde::{Deserialize, Serialize};

/// The four Block Public Access settings (of a bucket, or of an account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessFlags {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

impl PublicAccessFlags {
    /// All four settings on.
    pub const ALL: PublicAccessFlags = PublicAccessFlags {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// All four settings off, as S3 reads a missing configuration.
    pub const OFF: PublicAccessFlags = PublicAccessFlags {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
    };

    /// The names (as in the S3 API) of the settings that are off.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

/// Block Public Access settings as audit records show them: the four
/// settings (a missing configuration reads as all four off), and
/// `no_configuration: true` when there was no configuration at all, so that
/// an undo can delete it rather than write four falses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The four settings.
    #[serde(flatten)]
    pub flags: PublicAccessFlags,
    /// There was no configuration (omitted when there was one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_configuration: bool,
}

impl Settings {
    /// The settings as read: `None` is no configuration.
    pub fn of(read: Option<PublicAccessFlags>) -> Self {
        Settings {
            flags: read.unwrap_or_default(),
            no_configuration: read.is_none(),
        }
    }
}

/// What a write of all four settings was made to: `what` names it in
/// reasons ("the bucket"), `state` is its state payload for given settings,
/// `changes` the changes recorded.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a, S, C> {
    /// The resource, in words.
    pub what: &'a str,
    /// Its state payload for given settings.
    pub state: fn(Settings) -> S,
    /// The changes to record.
    pub changes: &'a [C],
}

/// How a write of all four settings (turning on `proposal.work`) and its
/// read back ended, for any resource that has them (a bucket, an account):
/// remediated only if the read back shows all four on.
pub fn settle_write<W, S: Serialize, C: Serialize>(
    proposal: &Proposal<W>,
    write: Result<(), AwsError>,
    read_back: Option<Result<Option<PublicAccessFlags>, AwsError>>,
    written: Written<'_, S, C>,
) -> Report
where
    W: AsRef<[&'static str]>,
{
    let Written {
        what,
        state,
        changes,
    } = written;
    let before = proposal.before.clone();
    let report = match (write, read_back) {
        // A resource deleted since it was read has nothing left to protect.
        (Err(e), _) => return Report::read_failed(&e, what).before_json(before),
        // The write is only a success if S3 now says all four are on.
        (Ok(()), Some(Ok(Some(after)))) if after == PublicAccessFlags::ALL => Report::new(
            Outcome::Remediated,
            format!("turned on {}", proposal.work.as_ref().join(", ")),
        )
        .after(&state(Settings::of(Some(after)))),
        (Ok(()), Some(Ok(read))) => {
            let after = read.unwrap_or_default();
            Report::failure(
                "VerificationFailed",
                "Remediation.VerificationFailed",
                format!(
                    "read back after the write shows {} still off",
                    after.missing().join(", ")
                ),
            )
            .after(&state(Settings::of(read)))
        }
        (Ok(()), Some(Err(e))) => Report::read_failed(&e, what)
            .reason_prefixed("the settings were written, but reading them back failed: "),
        (Ok(()), None) => Report::failure(
            "VerificationFailed",
            "Remediation.VerificationFailed",
            "the settings were written but not read back",
        ),
    };
    report.before_json(before).changes(changes)
}

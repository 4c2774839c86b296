//! Undoing the S3 functions' fixes: a bucket's or the account's Block Public
//! Access settings put back as the record's `before` (the functions' own
//! [`Settings`]) says they were, or the configuration deleted where there
//! was none.
//!
//! Pure: the reads and writes are [`crate::aws`]'s. It must not decide what
//! the functions change: their plans do.

use remediation_shared::restore::{RecordError, Restore, Undoing};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::flags::{PublicAccessFlags as Flags, Settings};

/// Block Public Access settings as read: `None` is no configuration.
pub type Live = Option<Flags>;

/// Where the settings are: a bucket, or the account.
pub trait Holder: std::fmt::Debug + Clone + PartialEq + Eq + Send + Sync + 'static {
    /// Whether it lives in a region.
    const REGIONAL: bool;
    /// The holder a `remediated` record names.
    fn of(record: &Value) -> Result<Self, RecordError>;
}

/// A bucket, by name (from the record's bucket ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket(pub String);

impl Holder for Bucket {
    const REGIONAL: bool = true;

    fn of(record: &Value) -> Result<Self, RecordError> {
        let resource = record["resource"].as_str().unwrap_or_default();
        resource
            .strip_prefix("arn:")
            .and_then(|r| r.split_once(":s3:::"))
            .map(|(_, b)| Bucket(b.to_owned()))
            .filter(|Bucket(b)| !b.is_empty() && !b.contains('/'))
            .ok_or_else(|| {
                RecordError::new("resource", format!("{resource:?} is not a bucket ARN"))
            })
    }
}

/// The account, by id (the record's `account`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account(pub String);

impl Holder for Account {
    const REGIONAL: bool = false;

    fn of(record: &Value) -> Result<Self, RecordError> {
        record["account"]
            .as_str()
            .filter(|a| remediation_shared::resource::is_account_id(a))
            .map(|a| Account(a.to_owned()))
            .ok_or_else(|| RecordError::new("account", "missing or not a 12-digit account id"))
    }
}

/// Settings to put back where they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRestore<H> {
    /// Whose settings.
    pub of: H,
    /// The settings before the fix (`None`: delete the configuration).
    pub before: Live,
}

/// A bucket's settings to put back.
pub type BucketRestore = SettingsRestore<Bucket>;
/// The account's settings to put back.
pub type AccountRestore = SettingsRestore<Account>;

fn before_of(record: &Value) -> Result<Live, RecordError> {
    let before = Settings::deserialize(&record["before"])
        .map_err(|e| RecordError::new("before", e.to_string()))?;
    Ok((!before.no_configuration).then_some(before.flags))
}

fn describe(settings: Live) -> String {
    match settings {
        None => "no configuration".into(),
        Some(f) => format!(
            "BlockPublicAcls={}, IgnorePublicAcls={}, BlockPublicPolicy={}, RestrictPublicBuckets={}",
            f.block_public_acls, f.ignore_public_acls, f.block_public_policy, f.restrict_public_buckets
        ),
    }
}

impl<H: Holder> Restore for SettingsRestore<H> {
    type Live = Live;

    fn of(record: &Value) -> Result<Self, RecordError> {
        Ok(SettingsRestore {
            of: H::of(record)?,
            before: before_of(record)?,
        })
    }

    fn regional(&self) -> bool {
        H::REGIONAL
    }

    /// The fix left all four settings on: anything else now was changed since.
    fn decide(self, live: &Live, force: bool) -> Undoing<Self> {
        let now = *live;
        let before = self.before;
        if now == before {
            Undoing::AlreadyRestored(format!(
                "the settings already are as before: {}",
                describe(now)
            ))
        } else if now != Some(Flags::ALL) && !force {
            Undoing::Diverged(format!(
                "the settings changed since the remediation: now {}, the remediation left all four on; \
                 restoring would overwrite that (--force to restore {} anyway)",
                describe(now),
                describe(before)
            ))
        } else {
            Undoing::Restore(self)
        }
    }

    fn show(live: &Live) -> Value {
        match live {
            None => json!({"no_configuration": true}),
            Some(f) => json!(f),
        }
    }

    fn changes(&self) -> Vec<Value> {
        vec![match self.before {
            None => json!({"type": "delete_public_access_block"}),
            Some(f) => json!({"type": "put_public_access_block", "settings": f}),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: Flags = Flags::OFF;

    fn bucket_record(before: Value) -> Value {
        json!({"function": "any", "resource": "arn:aws:s3:::my-bucket", "before": before,
               "changes": [{"type": "enable_public_access_block", "settings": ["BlockPublicAcls"]}]})
    }

    #[test]
    fn what_each_record_restores_read_through_the_functions_own_settings() {
        let partial = json!({"type": "bucket_public_access_block", "block_public_acls": true, "ignore_public_acls": false, "block_public_policy": true, "restrict_public_buckets": false});
        let none = json!({"type": "bucket_public_access_block", "block_public_acls": false, "ignore_public_acls": false, "block_public_policy": false, "restrict_public_buckets": false, "no_configuration": true});
        assert_eq!(
            BucketRestore::of(&bucket_record(partial)),
            Ok(BucketRestore {
                of: Bucket("my-bucket".into()),
                before: Some(Flags {
                    block_public_acls: true,
                    block_public_policy: true,
                    ..OFF
                }),
            })
        );
        assert_eq!(
            BucketRestore::of(&bucket_record(none.clone())).map(|r| r.before),
            Ok(None)
        );
        let account = json!({"resource": "arn:aws:iam::111111111111:root", "account": "111111111111",
            "before": none, "changes": [{"type": "enable_account_public_access_block"}]});
        assert_eq!(
            AccountRestore::of(&account),
            Ok(AccountRestore {
                of: Account("111111111111".into()),
                before: None
            })
        );
    }

    #[test]
    fn records_that_cannot_be_undone_say_why() {
        let cases = [
            (
                "flags_missing",
                bucket_record(json!({"type": "bucket_public_access_block"})),
                "block_public_acls",
            ),
            (
                "not_a_bucket_arn",
                json!({"resource": "arn:aws:s3:::", "before": {}, "changes": [{}]}),
                "not a bucket ARN",
            ),
        ];
        for (name, record, part) in cases {
            let err = BucketRestore::of(&record).unwrap_err();
            assert!(err.to_string().contains(part), "{name}: {err}");
        }
        let err = AccountRestore::of(&json!({"account": "12"})).unwrap_err();
        assert!(err.to_string().contains("12-digit"), "{err}");
    }

    #[test]
    fn settings_are_restored_only_over_what_the_remediation_left() {
        let one_on = Some(Flags {
            block_public_acls: true,
            ..OFF
        });
        let cases = [
            ("as_left", Some(OFF), Some(Flags::ALL), false, "restore"),
            ("none_as_left", None, Some(Flags::ALL), false, "restore"),
            ("already_back", Some(OFF), Some(OFF), false, "already"),
            ("already_no_configuration", None, None, false, "already"),
            ("changed_since", Some(OFF), one_on, false, "diverged"),
            ("changed_since_forced", Some(OFF), one_on, true, "restore"),
            (
                "configuration_deleted_since",
                Some(OFF),
                None,
                false,
                "diverged",
            ),
        ];
        for (name, before, now, force, expected) in cases {
            let restore = BucketRestore {
                of: Bucket("b".into()),
                before,
            };
            let got = restore.decide(&now, force);
            let kind = match &got {
                Undoing::Restore(_) => "restore",
                Undoing::AlreadyRestored(_) => "already",
                Undoing::Diverged(_) => "diverged",
            };
            assert_eq!(kind, expected, "{name}: {got:?}");
        }
    }

    #[test]
    fn the_undos_record_shows_settings_and_writes_as_before() {
        let shown = |live| <BucketRestore as Restore>::show(&live);
        assert_eq!(shown(None), json!({"no_configuration": true}));
        assert_eq!(shown(Some(OFF))["block_public_acls"], false);
        let restore = |before| BucketRestore {
            of: Bucket("b".into()),
            before,
        };
        assert_eq!(
            restore(None).changes(),
            [json!({"type": "delete_public_access_block"})]
        );
        assert_eq!(
            restore(Some(OFF)).changes()[0]["type"],
            "put_public_access_block"
        );
    }
}

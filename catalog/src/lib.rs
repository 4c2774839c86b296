//! The catalog of functions: the only list of them in the code. Each entry
//! says what the rest of the project needs to know of a function without
//! naming it: its name (its package, binary and records' `function`), the
//! action its records carry, how its scope reads an event, the IAM
//! permissions its adapter declares, how a person plans and applies its
//! changes (its remediator, built as its Lambda `main` builds it), and how
//! its records are undone (the restore of its kit, which reads the records
//! through the function's own record types).
//!
//! The template test, the fuzz target, the benchmarks, the demo and undo
//! take the functions from here; a test (`tests/tests/catalog.rs`) fails when
//! a folder under `functions/` is missing from it, or when the template,
//! `member.yaml`, `events/` or `events/acted-on.json` lacks a function it
//! lists. It must not hold a rule of any function: each function's folder
//! does.

use remediation_runtime::person::{applier, planner, Applier, FromEnv, Planner};
use remediation_runtime::restore::{reader, Reader};
use remediation_shared::finding::{normalize, Item};
use remediation_shared::{FindingError, Permission, Resource, Scope};
use serde_json::Value;

use iam_detach_admin_policy::DetachAdminPolicy;
use s3_account_public_access_block::AccountPublicAccessBlock;
use s3_block_public_access::BlockPublicAccess;
use sg_revoke_open_ssh::RevokeOpenAdmin;

/// One item of an event as a function's scope reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A resource to examine, by its ARN.
    Target(String),
    /// An item not acted on, with the reason.
    Skip(String),
}

/// What the project knows of one function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Its name: its folder, package and binary, and `function` in its records.
    pub name: &'static str,
    /// `action` in its records.
    pub action: &'static str,
    /// The type of the resources it fixes, as AWS Config names it
    /// (`resource_type` in its records' findings; the sweep's kind).
    pub resource: &'static str,
    /// The IAM permissions its adapter's calls need.
    pub permissions: &'static [Permission],
    /// How its scope reads an event: the items, or why the event is malformed.
    pub read: fn(Value) -> Result<Vec<Read>, FindingError>,
    /// Whether its resources live in a region (else one per account).
    pub regional: bool,
    /// How `remediation plan` surveys a place with it.
    pub plan: Planner,
    /// How `remediation apply` applies one of its proposals.
    pub apply: Applier,
    /// How undo reads one of its `remediated` records: what it restores,
    /// through which port.
    pub restore: Reader,
    /// The IAM permissions that undo's calls need (a person's, never the
    /// function's role).
    pub undo_permissions: &'static [Permission],
}

/// `value` read by the scope `S`.
fn read<S: Scope>(value: Value) -> Result<Vec<Read>, FindingError> {
    let finding = normalize::<S>(value)?;
    Ok(finding
        .items
        .into_iter()
        .map(|item| match item {
            Item::Target(target) => Read::Target(target.arn()),
            Item::Skip(skip) => Read::Skip(skip.reason),
        })
        .collect())
}

const fn entry<R: FromEnv>(
    permissions: &'static [Permission],
    restore: Reader,
    undo_permissions: &'static [Permission],
) -> Function {
    Function {
        name: <R::Scope as Scope>::FUNCTION,
        action: <R::Scope as Scope>::ACTION,
        resource: <<R::Scope as Scope>::Resource as Resource>::CONFIG_TYPE,
        permissions,
        read: read::<R::Scope>,
        regional: <R::Scope as Scope>::REGIONAL,
        plan: planner::<R>,
        apply: applier::<R>,
        restore,
        undo_permissions,
    }
}

/// Turns on a bucket's four Block Public Access settings.
pub const BUCKET_PUBLIC_ACCESS: Function =
    entry::<BlockPublicAccess<s3_block_public_access::aws::S3Adapter>>(
        s3_block_public_access::aws::PERMISSIONS,
        reader::<remediation_s3::restore::BucketRestore, remediation_s3::aws::Restorer>,
        remediation_s3::aws::BUCKET_UNDO_PERMISSIONS,
    );
/// Revokes the ingress rules that open remote administration to the world.
pub const WORLD_OPEN_ADMIN: Function = entry::<RevokeOpenAdmin<sg_revoke_open_ssh::aws::Ec2Adapter>>(
    sg_revoke_open_ssh::aws::PERMISSIONS,
    reader::<remediation_ec2::restore::GroupRestore, remediation_ec2::aws::Restorer>,
    remediation_ec2::aws::UNDO_PERMISSIONS,
);
/// Detaches AWS managed AdministratorAccess from service roles.
pub const SERVICE_ROLE_ADMIN: Function =
    entry::<DetachAdminPolicy<iam_detach_admin_policy::aws::IamAdapter>>(
        iam_detach_admin_policy::aws::PERMISSIONS,
        reader::<remediation_iam::restore::RoleRestore, remediation_iam::aws::Restorer>,
        remediation_iam::aws::UNDO_PERMISSIONS,
    );
/// Turns on the account's four Block Public Access settings.
pub const ACCOUNT_PUBLIC_ACCESS: Function =
    entry::<AccountPublicAccessBlock<s3_account_public_access_block::aws::S3ControlAdapter>>(
        s3_account_public_access_block::aws::PERMISSIONS,
        reader::<remediation_s3::restore::AccountRestore, remediation_s3::aws::Restorer>,
        remediation_s3::aws::ACCOUNT_UNDO_PERMISSIONS,
    );

/// Every function, in the order the project lists them.
pub const ALL: &[Function] = &[
    BUCKET_PUBLIC_ACCESS,
    WORLD_OPEN_ADMIN,
    SERVICE_ROLE_ADMIN,
    ACCOUNT_PUBLIC_ACCESS,
];

/// The function named `name`, if the catalog lists it.
pub fn named(name: &str) -> Option<&'static Function> {
    ALL.iter().find(|f| f.name == name)
}

/// The function that fixes resources of the Config type `resource`.
pub fn fixing(resource: &str) -> Option<&'static Function> {
    ALL.iter().find(|f| f.resource == resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_actions_are_unique_and_every_function_declares_permissions() {
        let names: std::collections::BTreeSet<_> = ALL.iter().map(|f| f.name).collect();
        let actions: std::collections::BTreeSet<_> = ALL.iter().map(|f| f.action).collect();
        let kinds: std::collections::BTreeSet<_> = ALL.iter().map(|f| f.resource).collect();
        assert_eq!(
            (names.len(), actions.len(), kinds.len()),
            (ALL.len(), ALL.len(), ALL.len())
        );
        for f in ALL {
            assert!(!f.permissions.is_empty(), "{}", f.name);
            assert!(!f.undo_permissions.is_empty(), "{}", f.name);
            assert_eq!(named(f.name).map(|g| g.action), Some(f.action));
            assert_eq!(fixing(f.resource).map(|g| g.name), Some(f.name));
            assert!(f.resource.starts_with("AWS::"), "{}", f.resource);
        }
        assert!(fixing("AWS::S3::Bucket").is_some());
        assert!(named("no-such-function").is_none());
    }

    #[test]
    fn each_scope_reads_an_event_of_another_kind_as_a_skip_with_its_reason() {
        let other = serde_json::json!({
            "version": "0", "id": "e1", "detail-type": "Something Else", "source": "aws.other",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {}
        });
        for f in ALL {
            let items = (f.read)(other.clone()).expect("a well-formed event");
            assert!(
                matches!(items.as_slice(), [Read::Skip(reason)] if reason.contains(f.name)),
                "{}: {items:?}",
                f.name
            );
        }
        for f in ALL {
            assert!((f.read)(serde_json::json!([1])).is_err(), "{}", f.name);
        }
    }
}

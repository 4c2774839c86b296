//! The resources the benchmark misconfigures for each run, the sample both
//! systems receive for them, and the verdict on the state each leaves. It
//! seeds and reads the emulator only; it measures nothing.

use remediation_testing::emulator::{service_trust, unique, ADMIN_POLICY};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE, ROLE_ID};
use remediation_testing::{Emulator, Function, GroupRule};

use crate::{S3, SG};

/// The CloudTrail sample both systems receive, per function.
pub(crate) fn sample(f: Function) -> &'static str {
    match f {
        S3 => "cloudtrail-delete-public-access-block.json",
        SG => "cloudtrail-authorize-ingress.json",
        _ => "cloudtrail-attach-admin.json",
    }
}

/// A freshly misconfigured resource and how to read its state back.
pub(crate) enum Seeded {
    Bucket(String),
    Group(String),
    Role(String, String),
}

impl Seeded {
    pub(crate) fn ids(&self) -> Vec<(&'static str, &str)> {
        match self {
            Seeded::Bucket(b) => vec![(BUCKET, b)],
            Seeded::Group(g) => vec![(GROUP, g)],
            Seeded::Role(name, id) => vec![(ROLE, name), (ROLE_ID, id)],
        }
    }

    /// The state left, in words: "fixed", or what is still wrong.
    pub(crate) async fn verdict(&self, emu: &Emulator) -> String {
        match self {
            Seeded::Bucket(b) => match emu.flags(b).await {
                Some([true, true, true, true]) => "fixed".into(),
                other => format!("Block Public Access {other:?}"),
            },
            Seeded::Group(g) => {
                let open: Vec<String> = emu
                    .rules(g)
                    .await
                    .into_iter()
                    .filter(|r| !r.egress && r.from <= 22 && 22 <= r.to)
                    .filter_map(|r| match r.source {
                        remediation_testing::Source::Cidr(c) if c.ends_with("/0") => Some(c),
                        _ => None,
                    })
                    .collect();
                if open.is_empty() {
                    "fixed".into()
                } else {
                    format!("SSH still open to {}", open.join(", "))
                }
            }
            Seeded::Role(name, _) => {
                if emu.attached(name).await.contains(ADMIN_POLICY) {
                    "AdministratorAccess still attached".into()
                } else {
                    "fixed".into()
                }
            }
        }
    }
}

pub(crate) async fn seed(emu: &Emulator, f: Function, vpc: &str) -> Seeded {
    match f {
        S3 => {
            let b = unique("bench-bucket");
            emu.create_bucket(&b).await;
            Seeded::Bucket(b)
        }
        SG => {
            let g = emu.create_group(vpc, &unique("bench-sg")).await;
            emu.authorize(
                &g,
                &[
                    GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
                    GroupRule::cidr("tcp", 22, 22, "::/0"),
                    GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8"),
                ],
            )
            .await;
            Seeded::Group(g)
        }
        _ => {
            let r = emu
                .create_role(
                    &unique("bench-role"),
                    "/service-role/",
                    &service_trust(&["lambda.amazonaws.com"]),
                    &[ADMIN_POLICY],
                )
                .await;
            Seeded::Role(r.name, r.id)
        }
    }
}

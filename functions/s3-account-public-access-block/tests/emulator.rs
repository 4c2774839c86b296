//! `s3-account-public-access-block` against the emulator's S3 Control: dry run
//! unless told to enforce, with the buckets the change would make private
//! named; every trigger turns all four settings on; redelivery is already
//! compliant; an exempt account is left alone.
//!
//! The account's setting is one per account, so the cases run in order in one
//! test, and leave the account without a configuration as they found it.

use remediation_testing::emulator::{unique, Flags};
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::json;

const F: Function = Function::named("s3-account-public-access-block");
const ALL_ON: Flags = [true; 4];
const ACCOUNT: &str = "AWS::::Account:123456789012";

fn outcome(inv: &remediation_testing::function::Invocation) -> String {
    inv.record()["outcome"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_account_setting_is_dry_run_by_default_then_fixed_by_every_trigger_unless_exempt() {
    let emu = Emulator::from_env();
    emu.put_account_flags(None).await;

    // Buckets named to sort first, so that they are among those read.
    let by_acl = unique("0-acct-by-acl");
    let by_policy = unique("0-acct-by-policy");
    let private = unique("0-acct-private");
    for b in [&by_acl, &by_policy, &private] {
        emu.create_bucket(b).await;
    }
    emu.s3
        .put_bucket_acl()
        .bucket(&by_acl)
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    emu.put_bucket_policy(
        &by_policy,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{by_policy}/*")}]}),
    )
    .await;

    // No DRY_RUN: dry run, and the record names the public buckets.
    let mut dry = Deployment::start(&emu, F, &[]);
    let inv = dry.invoke(&F.sample("config-account-noncompliant.json", &[]));
    assert_eq!(outcome(&inv), "dry_run", "{:#?}", inv.records);
    assert_eq!(
        emu.account_flags().await,
        None,
        "a dry run changed the account"
    );
    let r = inv.record();
    assert_eq!(r["resource"], ACCOUNT);
    let public: Vec<(String, String)> = r["changes"][0]["buckets"]["public_now"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["bucket"].as_str().unwrap().to_owned(),
                b["public_by"].to_string(),
            )
        })
        .collect();
    assert!(
        public.contains(&(by_acl.clone(), r#"["acl"]"#.into())),
        "{public:?}"
    );
    assert!(
        public.contains(&(by_policy.clone(), r#"["policy"]"#.into())),
        "{public:?}"
    );
    assert!(!public.iter().any(|(b, _)| *b == private), "{public:?}");
    assert!(r["changes"][0]["buckets"]["total"].as_u64().unwrap() >= 3);
    drop(dry);

    // Enforcing: every trigger turns all four on from a partial state, and
    // the same event again finds the account compliant.
    let mut enforce = Deployment::start(&emu, F, &[("DRY_RUN", "false")]);
    for file in F.acted_on() {
        emu.put_account_flags(Some([true, false, true, false]))
            .await;
        let event = F.sample(&file, &[]);
        let first = enforce.invoke(&event);
        assert_eq!(
            outcome(&first),
            "remediated",
            "{file}: {:#?}",
            first.records
        );
        assert_eq!(emu.account_flags().await, Some(ALL_ON), "{file}");
        let r = first.record();
        assert_eq!(r["before"]["type"], "account_public_access_block", "{file}");
        assert_eq!(r["before"]["ignore_public_acls"], false, "{file}");
        assert_eq!(r["after"]["restrict_public_buckets"], true, "{file}");
        assert_eq!(
            r["changes"][0]["settings"],
            json!(["IgnorePublicAcls", "RestrictPublicBuckets"]),
            "{file}"
        );
        assert!(r.get("region").is_none_or(|v| v.is_null()), "{file}: {r}");
        let again = enforce.invoke(&event);
        assert_eq!(outcome(&again), "already_compliant", "{file}");
    }
    drop(enforce);

    // An exempt account is left alone, and the record says why.
    emu.put_account_flags(None).await;
    let mut exempt = Deployment::start(
        &emu,
        F,
        &[
            ("DRY_RUN", "false"),
            ("EXEMPT_ACCOUNTS", "111111111111,123456789012"),
        ],
    );
    let inv = exempt.invoke(&F.sample("securityhub-s3-1-failed.json", &[]));
    assert_eq!(outcome(&inv), "skipped", "{:#?}", inv.records);
    assert!(inv.record()["reason"]
        .as_str()
        .unwrap()
        .contains("EXEMPT_ACCOUNTS"));
    assert_eq!(emu.account_flags().await, None);

    // A malformed exemption list stops the function at start, naming it.
    let mut broken = Deployment::start(&emu, F, &[("EXEMPT_ACCOUNTS", "prod")]);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        broken.invoke_with_timeout(
            &F.sample("securityhub-s3-1-failed.json", &[]),
            std::time::Duration::from_secs(5),
        )
    }));
    let why = format!("{:?} {}", broken.runtime_api().init_error(), broken.logs());
    assert!(why.contains("EXEMPT_ACCOUNTS"), "{why}");
    assert_eq!(emu.account_flags().await, None);
}

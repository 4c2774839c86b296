//! The local AWS emulator (moto in server mode) as tests and the demo see it:
//! where it listens, SDK clients for it, and helpers that seed resources and
//! read back exactly the state the functions are responsible for.
//!
//! `scripts/with-emulator` starts the emulator on a free loopback port and
//! passes its address in [`URL_VARIABLE`]. This module refuses any address
//! that is not loopback, and builds its clients with placeholder keys, never
//! from the caller's AWS environment, so that no test can reach real AWS. It
//! must not decide anything about remediation: it only seeds and observes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, Tag, UserIdGroupPair,
};

/// The variable that holds the emulator's URL (`http://127.0.0.1:<port>`).
pub const URL_VARIABLE: &str = "REMEDIATION_EMULATOR_URL";

/// The region everything is seeded in; the Runtime API serves ARNs in it.
pub const REGION: &str = "us-east-1";

/// The emulator's default account; the Runtime API serves ARNs in it.
pub const ACCOUNT: &str = "123456789012";

/// A stand-in for an access key: the emulator accepts any value, and this one
/// grants nothing anywhere.
pub const PLACEHOLDER_KEY: &str = "local-test-placeholder";

/// The AWS managed AdministratorAccess policy.
pub const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// An AWS managed policy that must survive every remediation.
pub const READ_ONLY_POLICY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// The four Block Public Access settings, in the S3 API's order:
/// `BlockPublicAcls`, `IgnorePublicAcls`, `BlockPublicPolicy`, `RestrictPublicBuckets`.
pub type Flags = [bool; 4];

/// Where an ingress or egress rule lets traffic come from (or go to).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// An IPv4 or IPv6 CIDR.
    Cidr(String),
    /// Another security group, by id.
    Group(String),
    /// A managed prefix list, by id.
    PrefixList(String),
}

/// One rule of a security group as `DescribeSecurityGroupRules` lists it: one
/// source per rule. Ports are -1 when the protocol covers all of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupRule {
    /// Egress rules are never touched by the functions.
    pub egress: bool,
    /// `tcp`, `udp`, `icmp`, `-1`.
    pub protocol: String,
    /// First port.
    pub from: i32,
    /// Last port.
    pub to: i32,
    /// The source.
    pub source: Source,
}

impl GroupRule {
    /// An ingress rule from a CIDR.
    pub fn cidr(protocol: &str, from: i32, to: i32, cidr: &str) -> Self {
        Self::ingress(protocol, from, to, Source::Cidr(cidr.to_owned()))
    }

    /// An ingress rule from a source.
    pub fn ingress(protocol: &str, from: i32, to: i32, source: Source) -> Self {
        GroupRule {
            egress: false,
            protocol: protocol.to_owned(),
            from,
            to,
            source,
        }
    }

    /// The rule as the single-source `IpPermission` that creates it.
    fn permission(&self) -> IpPermission {
        let all_ports = self.protocol == "-1";
        let mut p = IpPermission::builder().ip_protocol(&self.protocol);
        if !all_ports {
            p = p.from_port(self.from).to_port(self.to);
        }
        p = match &self.source {
            Source::Cidr(c) if c.contains(':') => {
                p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).build())
            }
            Source::Cidr(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).build()),
            Source::Group(g) => {
                p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build())
            }
            Source::PrefixList(l) => {
                p.prefix_list_ids(PrefixListId::builder().prefix_list_id(l).build())
            }
        };
        p.build()
    }
}

/// A role as seeded.
#[derive(Debug, Clone)]
pub struct SeededRole {
    /// The role name.
    pub name: String,
    /// The unique role id (`AROA...`).
    pub id: String,
    /// The role ARN.
    pub arn: String,
}

/// The emulator and SDK clients for it.
#[derive(Debug, Clone)]
pub struct Emulator {
    url: String,
    /// S3, path-style.
    pub s3: aws_sdk_s3::Client,
    /// EC2.
    pub ec2: aws_sdk_ec2::Client,
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// SNS (notifications).
    pub sns: aws_sdk_sns::Client,
    /// SQS (to read what SNS delivered, and an organisation's sweep queue).
    pub sqs: aws_sdk_sqs::Client,
    /// Organizations (an organisation whose accounts a hub sweeps).
    pub organizations: aws_sdk_organizations::Client,
    /// S3 Control (account-level settings), through the emulator as proxy:
    /// it puts the account id in front of the host, which loopback does not resolve.
    pub s3control: aws_sdk_s3control::Client,
    /// The account these clients act in.
    account: String,
    /// The region they act in.
    region: String,
    /// The credentials they use.
    credentials: aws_sdk_s3::config::Credentials,
}

/// A client of the SDK crate `$sdk` for the emulator at `$url`.
macro_rules! client {
    ($sdk:ident, $url:expr, $region:expr, $credentials:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version_latest()
                .region($sdk::config::Region::new($region.to_owned()))
                .endpoint_url($url)
                .credentials_provider($credentials.clone())
                .build(),
        )
    };
}

/// The placeholder credentials of the emulator's default account: they sign
/// requests and grant nothing anywhere.
fn placeholder() -> aws_sdk_s3::config::Credentials {
    aws_sdk_s3::config::Credentials::new(PLACEHOLDER_KEY, PLACEHOLDER_KEY, None, None, "emulator")
}

/// A plain-HTTP client that sends every request through the proxy at `url`
/// (the emulator itself, which serves requests in absolute form), so that a
/// host name with a prefix (`123456789012.127.0.0.1`) needs no resolving.
fn through_proxy(url: &str) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    let proxy = ProxyConfig::http(url).expect("the emulator URL is a valid proxy URL");
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, _| {
        let mut connector =
            aws_smithy_http_client::Connector::builder().proxy_config(proxy.clone());
        connector.set_connector_settings(settings.cloned());
        connector.build_http()
    })
}

static NEXT_NAME: AtomicU32 = AtomicU32::new(0);

/// A name no other seeded resource of this run has: `prefix`, the process id and a counter.
pub fn unique(prefix: &str) -> String {
    let n = NEXT_NAME.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

impl Emulator {
    /// The emulator named by [`URL_VARIABLE`]. Panics with instructions when
    /// the variable is missing, and refuses any address that is not loopback.
    pub fn from_env() -> Self {
        let url = std::env::var(URL_VARIABLE).unwrap_or_else(|_| {
            panic!(
                "{URL_VARIABLE} is not set: these tests need the local AWS emulator. \
                 Run them with `make test`, or `scripts/with-emulator cargo test --workspace`."
            )
        });
        let host = url
            .strip_prefix("http://")
            .and_then(|rest| rest.split(':').next())
            .unwrap_or_default();
        assert!(
            host == "127.0.0.1" || host == "localhost",
            "{URL_VARIABLE}={url} is not a loopback http address; tests talk to loopback only"
        );
        Self::at(&url)
    }

    fn at(url: &str) -> Self {
        Self::with(url, ACCOUNT, REGION, placeholder())
    }

    /// The same emulator, acting in `account` of its own: credentials from
    /// STS `AssumeRole` act in the role's account (the role need not exist),
    /// so what is seeded there, and what a function run in it sees, is
    /// apart from every other test's. A sweep surveys a whole account:
    /// its tests run in one of their own.
    pub async fn in_account(&self, account: &str) -> Self {
        let sts: aws_sdk_sts::Client = client!(aws_sdk_sts, &self.url, REGION, placeholder());
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/remediation-test"))
            .role_session_name("remediation-test")
            .send()
            .await
            .unwrap();
        let c = assumed.credentials().unwrap();
        let credentials = aws_sdk_s3::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "emulator-assumed-role",
        );
        Self::with(&self.url, account, &self.region, credentials)
    }

    /// The account the clients act in.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The same emulator and account, acting in `region`.
    pub fn in_region(&self, region: &str) -> Self {
        Self::with(&self.url, &self.account, region, self.credentials.clone())
    }

    /// The region the clients act in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// `program` with an environment of its own that reaches this emulator
    /// only: its credentials and region, the emulator as endpoint, and as
    /// proxy for S3 Control's account-id host prefix; nothing inherited but
    /// `PATH`.
    pub fn command(&self, program: &std::path::Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL", self.url())
            .env("HTTP_PROXY", self.url())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("AWS_REGION", self.region())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(self.credential_env());
        cmd
    }

    /// The environment that gives a function these clients' credentials.
    pub fn credential_env(&self) -> Vec<(&'static str, String)> {
        let c = &self.credentials;
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID", c.access_key_id().to_owned()),
            ("AWS_SECRET_ACCESS_KEY", c.secret_access_key().to_owned()),
        ];
        env.extend(
            c.session_token()
                .map(|t| ("AWS_SESSION_TOKEN", t.to_owned())),
        );
        env
    }

    fn with(
        url: &str,
        account: &str,
        region: &str,
        credentials: aws_sdk_s3::config::Credentials,
    ) -> Self {
        use aws_sdk_s3::config::Region;
        let s3 = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(Region::new(region.to_owned()))
            .endpoint_url(url)
            .credentials_provider(credentials.clone())
            .force_path_style(true)
            .build();
        Emulator {
            url: url.to_owned(),
            s3: aws_sdk_s3::Client::from_conf(s3),
            ec2: client!(aws_sdk_ec2, url, region, credentials),
            iam: client!(aws_sdk_iam, url, region, credentials),
            sns: client!(aws_sdk_sns, url, region, credentials),
            sqs: client!(aws_sdk_sqs, url, region, credentials),
            organizations: client!(aws_sdk_organizations, url, region, credentials),
            s3control: aws_sdk_s3control::Client::from_conf(
                aws_sdk_s3control::Config::builder()
                    .behavior_version_latest()
                    .region(aws_sdk_s3control::config::Region::new(region.to_owned()))
                    .endpoint_url(url)
                    .credentials_provider(credentials.clone())
                    .http_client(through_proxy(url))
                    .build(),
            ),
            account: account.to_owned(),
            region: region.to_owned(),
            credentials,
        }
    }

    /// The emulator's URL, for the functions' `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    // ----- SNS, read through SQS -----

    /// A new SNS topic with a new SQS queue subscribed to it: the topic's
    /// ARN, for `NOTIFICATION_TOPIC_ARN`, and the queue's URL.
    pub async fn topic_with_queue(&self) -> (String, String) {
        let name = unique("notifications");
        let topic = self.sns.create_topic().name(&name).send().await.unwrap();
        let topic = topic.topic_arn().unwrap().to_owned();
        let queue = self
            .sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap();
        let queue_url = queue.queue_url().unwrap().to_owned();
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let queue_arn = attrs
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .unwrap()
            .clone();
        self.sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .unwrap();
        (topic, queue_url)
    }

    /// The SNS envelopes (`Subject`, `Message`, `MessageAttributes`) waiting
    /// in the queue at `queue_url`, taken off it.
    pub async fn delivered(&self, queue_url: &str) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = got.messages();
            if messages.is_empty() {
                return all;
            }
            for m in messages {
                all.push(serde_json::from_str(m.body().unwrap_or("null")).unwrap());
                self.sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    // ----- S3 -----

    /// The account's S3 Block Public Access settings; `None` when it has no configuration.
    pub async fn account_flags(&self) -> Option<Flags> {
        let out = self
            .s3control
            .get_public_access_block()
            .account_id(&self.account)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_public_access_block_configuration()) =>
            {
                return None
            }
            Err(e) => panic!("GetPublicAccessBlock (account): {e:?}"),
        };
        out.public_access_block_configuration().map(|c| {
            [
                c.block_public_acls().unwrap_or(false),
                c.ignore_public_acls().unwrap_or(false),
                c.block_public_policy().unwrap_or(false),
                c.restrict_public_buckets().unwrap_or(false),
            ]
        })
    }

    /// Sets the account's S3 Block Public Access settings (`None`: deletes the configuration).
    pub async fn put_account_flags(&self, flags: Option<Flags>) {
        use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
        let Some(flags) = flags else {
            self.s3control
                .delete_public_access_block()
                .account_id(&self.account)
                .send()
                .await
                .unwrap();
            return;
        };
        let config = PublicAccessBlockConfiguration::builder()
            .block_public_acls(flags[0])
            .ignore_public_acls(flags[1])
            .block_public_policy(flags[2])
            .restrict_public_buckets(flags[3])
            .build();
        self.s3control
            .put_public_access_block()
            .account_id(&self.account)
            .public_access_block_configuration(config)
            .send()
            .await
            .unwrap();
    }

    /// Creates a bucket with no Block Public Access configuration.
    pub async fn create_bucket(&self, name: &str) {
        self.s3.create_bucket().bucket(name).send().await.unwrap();
    }

    /// Sets the bucket's Block Public Access settings.
    pub async fn put_flags(&self, bucket: &str, flags: Flags) {
        use aws_sdk_s3::types::PublicAccessBlockConfiguration;
        let config = PublicAccessBlockConfiguration::builder()
            .block_public_acls(flags[0])
            .ignore_public_acls(flags[1])
            .block_public_policy(flags[2])
            .restrict_public_buckets(flags[3])
            .build();
        self.s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(config)
            .send()
            .await
            .unwrap();
    }

    /// Tags the bucket with one tag.
    pub async fn tag_bucket(&self, bucket: &str, key: &str, value: &str) {
        use aws_sdk_s3::types::{Tag, Tagging};
        let tagging = Tagging::builder()
            .tag_set(Tag::builder().key(key).value(value).build().unwrap())
            .build()
            .unwrap();
        self.s3
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .unwrap();
    }

    /// The bucket's tags, sorted; empty when it has none.
    pub async fn bucket_tags(&self, bucket: &str) -> Vec<(String, String)> {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        match self.s3.get_bucket_tagging().bucket(bucket).send().await {
            Ok(out) => {
                let mut tags: Vec<(String, String)> = out
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect();
                tags.sort();
                tags
            }
            Err(e) if e.code() == Some("NoSuchTagSet") => Vec::new(),
            Err(e) => panic!("GetBucketTagging {bucket}: {e:?}"),
        }
    }

    /// Sets the bucket's policy.
    pub async fn put_bucket_policy(&self, bucket: &str, policy: &serde_json::Value) {
        self.s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy.to_string())
            .send()
            .await
            .unwrap();
    }

    /// The bucket's policy as JSON, `None` when it has none.
    pub async fn bucket_policy(&self, bucket: &str) -> Option<serde_json::Value> {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        match self.s3.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => Some(serde_json::from_str(out.policy().unwrap_or("null")).unwrap()),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => None,
            Err(e) => panic!("GetBucketPolicy {bucket}: {e:?}"),
        }
    }

    /// The bucket's Block Public Access settings; `None` when it has no configuration.
    pub async fn flags(&self, bucket: &str) -> Option<Flags> {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        match self
            .s3
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => {
                let c = out.public_access_block_configuration().unwrap();
                Some([
                    c.block_public_acls().unwrap_or(false),
                    c.ignore_public_acls().unwrap_or(false),
                    c.block_public_policy().unwrap_or(false),
                    c.restrict_public_buckets().unwrap_or(false),
                ])
            }
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => None,
            Err(e) => panic!("GetPublicAccessBlock {bucket}: {e:?}"),
        }
    }

    /// Deletes an empty bucket.
    pub async fn delete_bucket(&self, name: &str) {
        self.s3.delete_bucket().bucket(name).send().await.unwrap();
    }

    // ----- EC2 -----

    /// Creates a VPC (not the default one) and returns its id.
    pub async fn create_vpc(&self) -> String {
        let out = self
            .ec2
            .create_vpc()
            .cidr_block("10.20.0.0/16")
            .send()
            .await
            .unwrap();
        out.vpc().unwrap().vpc_id().unwrap().to_owned()
    }

    /// Creates a security group in `vpc`, with its default egress rule, and returns its id.
    pub async fn create_group(&self, vpc: &str, name: &str) -> String {
        let out = self
            .ec2
            .create_security_group()
            .vpc_id(vpc)
            .group_name(name)
            .description("seeded by the integration tests")
            .send()
            .await
            .unwrap();
        out.group_id().unwrap().to_owned()
    }

    /// Creates a managed prefix list with one entry and returns its id.
    pub async fn create_prefix_list(&self, name: &str, cidr: &str) -> String {
        use aws_sdk_ec2::types::AddPrefixListEntry;
        let out = self
            .ec2
            .create_managed_prefix_list()
            .prefix_list_name(name)
            .address_family("IPv4")
            .max_entries(5)
            .entries(AddPrefixListEntry::builder().cidr(cidr).build())
            .send()
            .await
            .unwrap();
        out.prefix_list()
            .unwrap()
            .prefix_list_id()
            .unwrap()
            .to_owned()
    }

    /// Adds `rules` to the group, each with its own permission, ingress or egress as each says.
    pub async fn authorize(&self, group: &str, rules: &[GroupRule]) {
        let permissions = rules.iter().map(|r| (r.egress, r.permission())).collect();
        self.send_permissions(group, permissions).await;
    }

    /// Authorizes each `(egress, permission)`: ingress ones in one call, egress ones in another.
    async fn send_permissions(&self, group: &str, permissions: Vec<(bool, IpPermission)>) {
        let (egress, ingress): (Vec<_>, Vec<_>) = permissions.into_iter().partition(|(e, _)| *e);
        if !ingress.is_empty() {
            self.ec2
                .authorize_security_group_ingress()
                .group_id(group)
                .set_ip_permissions(Some(ingress.into_iter().map(|(_, p)| p).collect()))
                .send()
                .await
                .unwrap();
        }
        if !egress.is_empty() {
            self.ec2
                .authorize_security_group_egress()
                .group_id(group)
                .set_ip_permissions(Some(egress.into_iter().map(|(_, p)| p).collect()))
                .send()
                .await
                .unwrap();
        }
    }

    /// Adds one permission with several CIDRs (one rule per CIDR once created).
    pub async fn authorize_cidrs(
        &self,
        group: &str,
        protocol: &str,
        from: i32,
        to: i32,
        cidrs: &[&str],
    ) {
        let mut p = IpPermission::builder()
            .ip_protocol(protocol)
            .from_port(from)
            .to_port(to);
        for c in cidrs {
            p = if c.contains(':') {
                p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(*c).build())
            } else {
                p.ip_ranges(IpRange::builder().cidr_ip(*c).build())
            };
        }
        self.ec2
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(p.build())
            .send()
            .await
            .unwrap();
    }

    /// Adds `rules`, merging those of the same direction, protocol and ports
    /// into one permission with several sources, as a console user would.
    pub async fn authorize_merged(&self, group: &str, rules: &[GroupRule]) {
        let mut buckets: Vec<Vec<&GroupRule>> = Vec::new();
        for rule in rules {
            let same = |r: &&GroupRule| {
                (r.egress, &r.protocol, r.from, r.to)
                    == (rule.egress, &rule.protocol, rule.from, rule.to)
            };
            match buckets.iter_mut().find(|b| same(&b[0])) {
                Some(b) => b.push(rule),
                None => buckets.push(vec![rule]),
            }
        }
        let merged: Vec<(bool, IpPermission)> = buckets
            .iter()
            .map(|b| {
                let mut p = b[0].permission().clone();
                for r in &b[1..] {
                    let q = r.permission();
                    p.ip_ranges
                        .get_or_insert_with(Vec::new)
                        .extend(q.ip_ranges().iter().cloned());
                    p.ipv6_ranges
                        .get_or_insert_with(Vec::new)
                        .extend(q.ipv6_ranges().iter().cloned());
                    p.user_id_group_pairs
                        .get_or_insert_with(Vec::new)
                        .extend(q.user_id_group_pairs().iter().cloned());
                    p.prefix_list_ids
                        .get_or_insert_with(Vec::new)
                        .extend(q.prefix_list_ids().iter().cloned());
                }
                (b[0].egress, p)
            })
            .collect();
        self.send_permissions(group, merged).await;
    }

    /// Tags the group with one tag.
    pub async fn tag_group(&self, group: &str, key: &str, value: &str) {
        self.ec2
            .create_tags()
            .resources(group)
            .tags(Tag::builder().key(key).value(value).build())
            .send()
            .await
            .unwrap();
    }

    /// Every rule of the group, ingress and egress.
    pub async fn rules(&self, group: &str) -> BTreeSet<GroupRule> {
        let out = self
            .ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group).build())
            .send()
            .await
            .unwrap();
        out.security_group_rules()
            .iter()
            .map(|r| GroupRule {
                egress: r.is_egress().unwrap_or(false),
                protocol: r.ip_protocol().unwrap_or_default().to_owned(),
                from: r.from_port().unwrap_or(-1),
                to: r.to_port().unwrap_or(-1),
                source: if let Some(c) = r.cidr_ipv4().or(r.cidr_ipv6()) {
                    Source::Cidr(c.to_owned())
                } else if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
                    Source::Group(g.to_owned())
                } else {
                    Source::PrefixList(r.prefix_list_id().unwrap_or_default().to_owned())
                },
            })
            .collect()
    }

    /// Deletes the group.
    pub async fn delete_group(&self, group: &str) {
        self.ec2
            .delete_security_group()
            .group_id(group)
            .send()
            .await
            .unwrap();
    }

    // ----- IAM -----

    /// Creates a role under `path` with `trust` as its trust policy and
    /// `policies` (managed policy ARNs) attached.
    pub async fn create_role(
        &self,
        name: &str,
        path: &str,
        trust: &serde_json::Value,
        policies: &[&str],
    ) -> SeededRole {
        let out = self
            .iam
            .create_role()
            .role_name(name)
            .path(path)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .unwrap();
        let role = out.role().unwrap();
        for policy in policies {
            self.iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(*policy)
                .send()
                .await
                .unwrap();
        }
        SeededRole {
            name: role.role_name().to_owned(),
            id: role.role_id().to_owned(),
            arn: role.arn().to_owned(),
        }
    }

    /// Tags the role with one tag.
    pub async fn tag_role(&self, name: &str, key: &str, value: &str) {
        self.iam
            .tag_role()
            .role_name(name)
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// ARNs of the managed policies attached to the role.
    pub async fn attached(&self, name: &str) -> BTreeSet<String> {
        let out = self
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .unwrap();
        out.attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect()
    }

    /// Detaches every managed policy and deletes the role.
    pub async fn delete_role(&self, name: &str) {
        for policy in self.attached(name).await {
            self.iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(policy)
                .send()
                .await
                .unwrap();
        }
        self.iam.delete_role().role_name(name).send().await.unwrap();
    }
}

/// A trust policy that lets the listed AWS services assume the role, with
/// `Service` as a string for one service and a list for several.
pub fn service_trust(services: &[&str]) -> serde_json::Value {
    let service = match services {
        [one] => serde_json::json!(one),
        many => serde_json::json!(many),
    };
    trust_with(serde_json::json!({ "Service": service }))
}

/// A trust policy with one Allow statement for `principal`.
pub fn trust_with(principal: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole" }]
    })
}

//! A function as Lambda runs it: its built binary started as a bootstrap
//! behind the loopback Runtime API, with AWS pointed at the emulator, and fed
//! the `events/` samples rewritten for seeded resources.
//!
//! It owns where the binaries and samples are and which ids the samples use.
//! A function is known by its name alone, so a new function needs nothing
//! here. It must not judge outcomes: tests and the demo do.

pub use crate::repo::repo_root;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::emulator::Emulator;
use crate::runtime_api::{Answer, RuntimeApi};

/// The ids the samples in `events/` name; [`Function::sample`] replaces them.
pub mod sample_ids {
    /// The bucket.
    pub const BUCKET: &str = "example-public-bucket";
    /// The first security group.
    pub const GROUP: &str = "sg-0123456789abcdef0";
    /// The second security group (GuardDuty and Security Hub samples name two).
    pub const GROUP_2: &str = "sg-0fedcba9876543210";
    /// The role name.
    pub const ROLE: &str = "example-lambda-role";
    /// The role's unique id, as Config events name it.
    pub const ROLE_ID: &str = "AROAEXAMPLEROLEID0001";
    /// A bucket with a legacy us-east-1 name (capitals, underscores).
    pub const LEGACY_BUCKET: &str = "Example_Legacy_Bucket_2017";
    /// The CDK bootstrap's CloudFormation execution role.
    pub const CDK_ROLE: &str = "cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1";
}

/// A function, by its package, binary and `events/` folder name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Function(&'static str);

impl Function {
    /// The function named `name`.
    pub const fn named(name: &'static str) -> Self {
        Function(name)
    }

    /// The package, binary and `events/` folder name.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// The built binary. Cargo puts it next to this crate's own test and demo
    /// executables; `cargo test --workspace` (as `make test` and `make demo`
    /// run it) builds all of them in one go.
    pub fn binary(self) -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        let mut dir = exe.parent().unwrap();
        if dir.ends_with("deps") {
            dir = dir.parent().unwrap();
        }
        let path = dir.join(self.name());
        let built = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| {
                panic!(
                    "{} is not built: run `cargo test --workspace` (as `make test` does)",
                    path.display()
                )
            });
        // `cargo test -p integration-tests` or `--test emulator` alone does not
        // rebuild the functions: refuse a binary older than its sources rather
        // than test yesterday's code.
        let root = repo_root();
        let package = root.join("functions").join(self.name());
        let manifest = std::fs::read_to_string(package.join("Cargo.toml")).unwrap_or_default();
        let mut sources = vec![
            package.join("src"),
            root.join("shared/core/src"),
            root.join("shared/runtime/src"),
        ];
        // The kits it depends on (a kit it does not use does not rebuild it).
        let kits = std::fs::read_dir(root.join("shared/kits"))
            .into_iter()
            .flatten();
        for kit in kits.flatten().map(|k| k.path()) {
            let name = kit.file_name().unwrap_or_default().to_string_lossy();
            if manifest.contains(&format!("remediation-{name}")) {
                sources.push(kit.join("src"));
            }
        }
        for source in sources {
            if let Some((file, changed)) = newest(&source) {
                assert!(
                    changed <= built,
                    "{} is older than {}: rebuild with `cargo test --workspace` (as `make test` does)",
                    path.display(),
                    file.display()
                );
            }
        }
        path
    }

    /// The function's samples folder.
    pub fn events_dir(self) -> PathBuf {
        repo_root().join("events").join(self.name())
    }

    /// The file names of every sample of this function, sorted.
    pub fn samples(self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.events_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    }

    /// The samples of this function's folder that it acts on, as listed in
    /// `events/acted-on.json`.
    pub fn acted_on(self) -> Vec<String> {
        let path = repo_root().join("events/acted-on.json");
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let prefix = format!("{}/", self.name());
        let files: Vec<String> = manifest[self.name()]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f.as_str().unwrap().strip_prefix(&prefix))
            .map(str::to_owned)
            .collect();
        let samples = self.samples();
        for f in &files {
            assert!(
                samples.contains(f),
                "events/acted-on.json names {f}, which does not exist"
            );
        }
        files
    }

    /// The samples of this function's folder that it must not act on. Not
    /// the scheduled event: it starts a sweep of the whole account and
    /// region, which acts on every resource of the function's kind.
    pub fn not_acted_on(self) -> Vec<String> {
        let acted_on = self.acted_on();
        self.samples()
            .into_iter()
            .filter(|s| !acted_on.contains(s) && !self.is_schedule(s))
            .collect()
    }

    /// Whether the sample `file` is EventBridge's scheduled event.
    pub fn is_schedule(self, file: &str) -> bool {
        let text = std::fs::read_to_string(self.events_dir().join(file)).unwrap_or_default();
        serde_json::from_str(&text).is_ok_and(|v| remediation_shared::sweep::is_schedule(&v))
    }

    /// The sample `file`, with each sample id of `ids` (see [`sample_ids`])
    /// replaced by the seeded resource's.
    pub fn sample(self, file: &str, ids: &[(&str, &str)]) -> String {
        let path = self.events_dir().join(file);
        let mut text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (from, to) in ids {
            text = text.replace(from, to);
        }
        text
    }
}

/// The most recently modified file at or under `path`, with its time.
fn newest(path: &Path) -> Option<(PathBuf, std::time::SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return Some((path.to_owned(), meta.modified().ok()?));
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| newest(&e.ok()?.path()))
        .max_by_key(|(_, t)| *t)
}

/// A running function: its binary behind the Runtime API, against the emulator.
pub struct Deployment {
    function: Function,
    api: RuntimeApi,
    invocations: usize,
}

impl Deployment {
    /// Starts the function with `settings` (`DRY_RUN`, `EXEMPT_TAG_KEY`) in
    /// its environment, and AWS pointed at the emulator.
    pub fn start(emulator: &Emulator, function: Function, settings: &[(&str, &str)]) -> Self {
        Self::start_binary(emulator, function, &function.binary(), settings)
    }

    /// The same with another build of the function's binary (the benchmark's release build).
    pub fn start_binary(
        emulator: &Emulator,
        function: Function,
        binary: &Path,
        settings: &[(&str, &str)],
    ) -> Self {
        let credentials = emulator.credential_env();
        let mut env: Vec<(&str, &str)> = vec![
            ("AWS_ENDPOINT_URL", emulator.url()),
            // S3 Control puts the account id in front of the endpoint's host
            // (`123456789012.127.0.0.1`), which loopback does not resolve: such
            // requests go through a proxy, the emulator itself (it serves
            // requests in absolute form); every other one goes straight to it.
            ("HTTP_PROXY", emulator.url()),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ];
        env.extend(credentials.iter().map(|(k, v)| (*k, v.as_str())));
        env.extend_from_slice(settings);
        Deployment {
            function,
            api: RuntimeApi::start_in(binary, function.name(), &env, emulator.account()),
            invocations: 0,
        }
    }

    /// Delivers one event and returns the function's answer and the audit
    /// records of this invocation. Panics, with the function's logs, if it
    /// does not answer within a minute (or its timeout and ten seconds, when
    /// that is longer).
    pub fn invoke(&mut self, event: &str) -> Invocation {
        self.invoke_with_timeout(event, Duration::from_secs(60))
    }

    /// [`invoke`](Self::invoke) as a function whose timeout is
    /// `function_timeout` gets it: Lambda's deadline that far away.
    pub fn invoke_with_timeout(&mut self, event: &str, function_timeout: Duration) -> Invocation {
        self.invocations += 1;
        let request_id = format!("{}-{}", self.function.name(), self.invocations);
        let answer = self
            .api
            .invoke_with_timeout(
                &request_id,
                event,
                // A minute, or the function's own timeout when that is longer (a sweep).
                function_timeout.max(Duration::from_secs(50)) + Duration::from_secs(10),
                function_timeout,
            )
            .unwrap_or_else(|| {
                panic!(
                    "{} did not answer {request_id} (init error: {:?}); its logs:\n{}",
                    self.function.name(),
                    self.api.init_error(),
                    self.api.stderr()
                )
            });
        let answered_at = std::time::Instant::now();
        let records = self.api.settled_records(&request_id);
        // Each record's metric document is written right after it.
        let metrics = self.api.metric_documents(&request_id);
        let sweep = self.api.sweep_records(&request_id).into_iter().next();
        Invocation {
            function: self.function,
            request_id,
            answer,
            answered_at,
            records,
            metrics,
            sweep,
        }
    }

    /// The Runtime API the function runs behind (timings, memory).
    pub fn runtime_api(&self) -> &RuntimeApi {
        &self.api
    }

    /// The function's logs so far (stderr).
    pub fn logs(&self) -> String {
        self.api.stderr()
    }

    /// Everything the function wrote to stdout so far: audit records, and
    /// whatever else the runtime writes there.
    pub fn output(&self) -> String {
        self.api.stdout()
    }
}

/// What one invocation produced.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function that ran.
    pub function: Function,
    /// The request id the Runtime API gave it.
    pub request_id: String,
    /// The response or error it posted.
    pub answer: Answer,
    /// When the answer arrived.
    pub answered_at: std::time::Instant,
    /// Its audit records, in the order written.
    pub records: Vec<Value>,
    /// Their metric documents (CloudWatch Embedded Metric Format), in order.
    pub metrics: Vec<Value>,
    /// A sweep's summary record (a scheduled event), if one was written.
    pub sweep: Option<Value>,
}

impl Invocation {
    /// Whether the function answered with a response rather than an error.
    pub fn succeeded(&self) -> bool {
        matches!(self.answer, Answer::Response(_))
    }

    /// The outcome of each record, in order.
    pub fn outcomes(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| r["outcome"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The one record of an invocation that examined one resource; checks the
    /// fields every record must carry.
    pub fn record(&self) -> &Value {
        assert_eq!(
            self.records.len(),
            1,
            "expected one audit record, got {:#?} (answer {:?})",
            self.records,
            self.answer
        );
        let r = &self.records[0];
        assert_eq!(r["schema_version"], 1);
        assert_eq!(r["function"], self.function.name());
        assert_eq!(r["request_id"], self.request_id.as_str());
        r
    }
}

//! The evaluator's side of the IAM evaluation test: a request and the
//! decision it must get ([`Case`]), the run of `tests/iam/evaluate.mjs` under
//! `node` over many of them, and the assertion that each got its decision.
//!
//! It must not build requests from the templates (`requests.rs` does) or
//! evaluate a policy itself.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value as Json};

/// The decisions the evaluator gives, by its names.
pub const ALLOWED: &str = "Allowed";
pub const IMPLICITLY_DENIED: &str = "ImplicitlyDenied";
pub const EXPLICITLY_DENIED: &str = "ExplicitlyDenied";

/// One request to evaluate, and the decision it must get.
#[derive(Clone)]
pub struct Case {
    pub name: String,
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub resource_account: String,
    pub context: BTreeMap<String, Json>,
    pub identity: Json,
    pub resource_policy: Option<Json>,
    pub expect: &'static str,
}

impl Case {
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.context.insert(key.to_owned(), value.into());
        self
    }

    pub fn request(&self) -> Json {
        json!({
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "resourceAccount": self.resource_account,
            "context": self.context,
            "identityPolicies": self.identity,
            "resourcePolicy": self.resource_policy,
        })
    }
}

impl Case {
    pub fn with_action(mut self, action: &str) -> Self {
        action.clone_into(&mut self.action);
        self.context.remove("iam:PolicyARN");
        self
    }

    pub fn with_resource(mut self, resource: &str) -> Self {
        resource.clone_into(&mut self.resource);
        self
    }
}

pub fn run(cases: &[Case]) -> Vec<Json> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/iam");
    assert!(
        std::path::Path::new(root)
            .join("node_modules/@cloud-copilot/iam-simulate")
            .exists(),
        "the evaluator is not installed: run `make iam-evaluator` (npm ci in tests/iam)"
    );
    let mut child = Command::new("node")
        .arg("evaluate.mjs")
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    let requests = Json::Array(cases.iter().map(Case::request).collect());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(requests.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the driver failed");
    let answers: Vec<Json> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answers.len(), cases.len());
    answers
}

/// Every case evaluated; each must get its decision, with no context key
/// set aside as not applying (a key set aside would make a case vacuous).
pub fn assert_decisions(cases: &[Case]) {
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "two cases share a name");
    let answers = run(cases);
    let allowed = cases.iter().filter(|c| c.expect == ALLOWED).count();
    eprintln!(
        "{} cases: {allowed} allowed, {} denied",
        cases.len(),
        cases.len() - allowed
    );
    let mut wrong = Vec::new();
    for (case, answer) in cases.iter().zip(&answers) {
        if let Some(error) = answer.get("error") {
            wrong.push(format!("{}: the evaluator refused it: {error}", case.name));
        } else if answer["decision"] != case.expect {
            wrong.push(format!(
                "{}: {} on {} was {}, not {}",
                case.name, case.action, case.resource, answer["decision"], case.expect
            ));
        } else if answer["ignoredContextKeys"] != json!([]) {
            wrong.push(format!(
                "{}: context keys set aside: {}",
                case.name, answer["ignoredContextKeys"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

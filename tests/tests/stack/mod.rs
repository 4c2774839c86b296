//! A CloudFormation template as deployed, for the tests that read
//! `template.yaml` and `member.yaml` (`template/`, `iam_evaluation/`):
//! parameters given or at their defaults, conditions decided, and intrinsic
//! functions (`!Ref`, `!Sub`, `!GetAtt`, `!If`, `!Join`, `!Split`,
//! `!Equals`, `!And`, `!Or`, `!Not`, `!Condition`) resolved to the values
//! CloudFormation would give them, with representative physical names for
//! the resources CloudFormation names (`<stack>-<LogicalId>-<suffix>`).
//!
//! It must not judge a template: the tests do. No AWS: the account, region
//! and partition are the ones the caller names.

// Each test target uses part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};
use serde_norway::Value;

/// A template file of the repository, read as YAML with CloudFormation's
/// short-form tags kept as tags.
pub fn read(file: &str) -> Value {
    let path = format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"));
    serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A short-form intrinsic function (`!If [...]`) as its name (`If`) and argument.
pub fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        _ => None,
    }
}

/// The suffix CloudFormation appends to the names it generates, here fixed.
const SUFFIX: &str = "1A2B3C4D5E6F";

/// A stack of the template deployed with some parameters given, the others
/// at their defaults: what CloudFormation makes of a value and a condition.
pub struct Deployed<'a> {
    /// The template.
    pub t: &'a Value,
    /// The parameters given.
    pub given: BTreeMap<&'a str, &'a str>,
}

/// Where a stack is deployed: the pseudo parameters.
pub struct Place<'a> {
    /// `AWS::AccountId`.
    pub account: &'a str,
    /// `AWS::Region`.
    pub region: &'a str,
    /// `AWS::StackName`.
    pub stack: &'a str,
}

/// Where [`Deployed::value`] and [`Deployed::holds`] place a stack when the
/// caller does not say.
pub const SOMEWHERE: Place<'static> = Place {
    account: "111111111111",
    region: "us-east-1",
    stack: "remediation",
};

/// A scalar parameter value or default as CloudFormation reads it: a string.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Deployed<'_> {
    /// A parameter's value: given, else its default.
    pub fn parameter(&self, name: &str) -> String {
        match self.given.get(name) {
            Some(value) => (*value).to_owned(),
            None => scalar(&self.t["Parameters"][name]["Default"])
                .unwrap_or_else(|| panic!("no parameter {name} with a default")),
        }
    }

    /// A string, `!Ref` of a parameter, or `!If` on a condition of the template.
    pub fn value(&self, v: &Value) -> String {
        match self.resolve(v, &SOMEWHERE) {
            Json::String(s) => s,
            other => panic!("not a string: {other:?} from {v:?}"),
        }
    }

    /// Whether the template's condition `condition` holds.
    pub fn holds(&self, condition: &str) -> bool {
        self.holds_at(condition, &SOMEWHERE)
    }

    fn holds_at(&self, condition: &str, at: &Place<'_>) -> bool {
        let v = self.t["Conditions"]
            .get(condition)
            .unwrap_or_else(|| panic!("no condition {condition}"));
        self.truth(v, at)
    }

    fn truth(&self, v: &Value, at: &Place<'_>) -> bool {
        let (function, arg) = intrinsic(v).unwrap_or_else(|| panic!("not a condition: {v:?}"));
        let all = || arg.as_sequence().unwrap().iter();
        match function.as_str() {
            "Not" => !self.truth(&arg[0], at),
            "Equals" => self.resolve(&arg[0], at) == self.resolve(&arg[1], at),
            "And" => all().all(|c| self.truth(c, at)),
            "Or" => all().any(|c| self.truth(c, at)),
            "Condition" => self.holds_at(arg.as_str().unwrap(), at),
            other => panic!("unexpected !{other} {arg:?}"),
        }
    }

    /// Whether the resource `id` exists in the stack (its `Condition` holds).
    pub fn exists(&self, id: &str, at: &Place<'_>) -> bool {
        let r = &self.t["Resources"][id];
        assert!(!r.is_null(), "no resource {id}");
        r.get("Condition")
            .and_then(Value::as_str)
            .is_none_or(|c| self.holds_at(c, at))
    }

    /// `v` with every intrinsic function resolved, as JSON; `!Ref
    /// AWS::NoValue` is `null`, and drops the list item or the key that holds it.
    pub fn resolve(&self, v: &Value, at: &Place<'_>) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => json!(b),
            Value::Number(n) => serde_json::from_str(&n.to_string()).unwrap(),
            Value::String(s) => json!(s),
            Value::Sequence(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i, at))
                    .filter(|i| !i.is_null())
                    .collect(),
            ),
            Value::Mapping(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (scalar(k).unwrap(), self.resolve(v, at)))
                    .filter(|(_, v)| !v.is_null())
                    .collect(),
            ),
            Value::Tagged(_) => self.function(v, at),
        }
    }

    fn function(&self, v: &Value, at: &Place<'_>) -> Json {
        let (function, arg) = intrinsic(v).unwrap();
        match function.as_str() {
            "Ref" => self.reference(arg.as_str().unwrap(), at),
            "GetAtt" => {
                let (id, attribute) = match arg {
                    Value::String(s) => s.split_once('.').unwrap(),
                    _ => (arg[0].as_str().unwrap(), arg[1].as_str().unwrap()),
                };
                json!(self.attribute(id, attribute, at))
            }
            "Sub" => {
                let (text, vars) = match arg {
                    Value::String(s) => (s.as_str(), BTreeMap::new()),
                    _ => (
                        arg[0].as_str().unwrap(),
                        arg[1]
                            .as_mapping()
                            .unwrap()
                            .iter()
                            .map(|(k, v)| (scalar(k).unwrap(), self.resolve(v, at)))
                            .collect(),
                    ),
                };
                json!(self.substitute(text, &vars, at))
            }
            "If" => {
                let branch = if self.holds_at(arg[0].as_str().unwrap(), at) {
                    1
                } else {
                    2
                };
                self.resolve(&arg[branch], at)
            }
            "Join" => {
                let parts = self.resolve(&arg[1], at);
                let parts: Vec<&str> = parts
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect();
                json!(parts.join(arg[0].as_str().unwrap()))
            }
            "Split" => {
                let whole = self.resolve(&arg[1], at);
                json!(whole
                    .as_str()
                    .unwrap()
                    .split(arg[0].as_str().unwrap())
                    .collect::<Vec<_>>())
            }
            "Equals" | "And" | "Or" | "Not" | "Condition" => json!(self.truth(v, at)),
            other => panic!("unexpected !{other} {arg:?}"),
        }
    }

    /// `${Name}` and `${Resource.Attribute}` of a `!Sub` string replaced.
    fn substitute(&self, text: &str, vars: &BTreeMap<String, Json>, at: &Place<'_>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').unwrap() + start;
            let name = &rest[start + 2..end];
            let value = match (vars.get(name), name.split_once('.')) {
                (Some(v), _) => v.clone(),
                (None, Some((id, attribute))) => json!(self.attribute(id, attribute, at)),
                (None, None) => self.reference(name, at),
            };
            out.push_str(
                value
                    .as_str()
                    .unwrap_or_else(|| panic!("${{{name}}}: {value}")),
            );
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// `!Ref name`: a pseudo parameter, a parameter (a `CommaDelimitedList`
    /// as a list), or a resource's physical id.
    fn reference(&self, name: &str, at: &Place<'_>) -> Json {
        match name {
            "AWS::NoValue" => return Json::Null,
            "AWS::AccountId" => return json!(at.account),
            "AWS::Region" => return json!(at.region),
            "AWS::Partition" => return json!("aws"),
            "AWS::StackName" => return json!(at.stack),
            _ => {}
        }
        if let Some(p) = self.t["Parameters"].get(name) {
            let value = self.parameter(name);
            return if p["Type"] == "CommaDelimitedList" {
                json!(value.split(',').map(str::trim).collect::<Vec<_>>())
            } else {
                json!(value)
            };
        }
        let r = &self.t["Resources"][name];
        json!(match r["Type"].as_str().unwrap() {
            "AWS::SQS::Queue" => format!(
                "https://sqs.{}.amazonaws.com/{}/{}",
                at.region,
                at.account,
                self.name(name, at)
            ),
            _ => self.name(name, at),
        })
    }

    /// A resource's name: its own name property, else the one CloudFormation generates.
    pub fn name(&self, id: &str, at: &Place<'_>) -> String {
        let r = &self.t["Resources"][id];
        assert!(!r.is_null(), "no resource {id}");
        let property = match r["Type"].as_str().unwrap() {
            "AWS::IAM::Role" => "RoleName",
            "AWS::SQS::Queue" => "QueueName",
            "AWS::Logs::LogGroup" => "LogGroupName",
            "AWS::Events::EventBus" => "Name",
            "AWS::Serverless::Function" => "FunctionName",
            other => panic!("{id}: no name for a {other}"),
        };
        match r["Properties"].get(property) {
            Some(v) => self.resolve(v, at).as_str().unwrap().to_owned(),
            None => format!("{}-{id}-{SUFFIX}", at.stack),
        }
    }

    /// `!GetAtt id.attribute`: the ARNs the templates read.
    pub fn attribute(&self, id: &str, attribute: &str, at: &Place<'_>) -> String {
        assert_eq!(attribute, "Arn", "{id}.{attribute}");
        let r = &self.t["Resources"][id];
        let (account, region, name) = (at.account, at.region, self.name(id, at));
        match r["Type"]
            .as_str()
            .unwrap_or_else(|| panic!("no resource {id}"))
        {
            "AWS::IAM::Role" => format!("arn:aws:iam::{account}:role/{name}"),
            "AWS::SQS::Queue" => format!("arn:aws:sqs:{region}:{account}:{name}"),
            // CloudFormation's log group ARN ends with `:*`.
            "AWS::Logs::LogGroup" => format!("arn:aws:logs:{region}:{account}:log-group:{name}:*"),
            "AWS::Events::EventBus" => {
                format!("arn:aws:events:{region}:{account}:event-bus/{name}")
            }
            "AWS::Serverless::Function" => {
                format!("arn:aws:lambda:{region}:{account}:function:{name}")
            }
            other => panic!("{id}: no ARN for a {other}"),
        }
    }
}

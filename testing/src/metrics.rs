//! The CloudWatch Embedded Metric Format specification's rules, as a check
//! of the metric documents the functions write
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
//! It checks the shape every document must have; what each metric says is
//! the tests' to check.

use serde_json::Value;

/// The rules of the EMF specification a document must satisfy: the
/// root's `_aws` with an integer `Timestamp` and `CloudWatchMetrics`;
/// each directive's `Namespace`, `Dimensions` (sets of at most 30 names,
/// each a string member of the root) and `Metrics` (each `Name` a
/// number member of the root, `Unit` one of CloudWatch's units).
pub fn check_emf(doc: &Value) -> Result<(), String> {
    const UNITS: &[&str] = &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];
    let root = doc.as_object().ok_or("the document is not an object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no _aws object")?;
    aws.get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("_aws.Timestamp is not a non-negative integer")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics is not an array")?;
    for d in directives {
        let ns = d["Namespace"]
            .as_str()
            .ok_or("a directive has no Namespace")?;
        if ns.is_empty() || ns.len() > 1024 {
            return Err(format!("namespace {ns:?} is not 1 to 1024 characters"));
        }
        for set in d["Dimensions"]
            .as_array()
            .ok_or("Dimensions is not an array")?
        {
            let set = set.as_array().ok_or("a dimension set is not an array")?;
            if set.len() > 30 {
                return Err("a dimension set has more than 30 dimensions".into());
            }
            for name in set {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                if !root.get(name).is_some_and(Value::is_string) {
                    return Err(format!(
                        "dimension {name} is not a string member of the root"
                    ));
                }
            }
        }
        for m in d["Metrics"].as_array().ok_or("Metrics is not an array")? {
            let name = m["Name"].as_str().ok_or("a metric has no Name")?;
            if !root.get(name).is_some_and(Value::is_number) {
                return Err(format!("metric {name} has no number value in the root"));
            }
            if let Some(unit) = m.get("Unit") {
                let unit = unit.as_str().unwrap_or_default();
                if !UNITS.contains(&unit) {
                    return Err(format!("unit {unit:?} is not a CloudWatch unit"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"_aws": {"Timestamp": 1_763_640_000_123_u64, "CloudWatchMetrics": [
                {"Namespace": "AutoRemediation", "Dimensions": [["Function", "Outcome"]],
                 "Metrics": [{"Name": "Remediations", "Unit": "Count"}]}]},
               "Function": "f", "Outcome": "remediated", "Remediations": 1})
    }

    #[test]
    fn a_document_as_the_specification_shows_it_is_accepted() {
        assert_eq!(check_emf(&good()), Ok(()));
    }

    #[test]
    fn what_the_specification_refuses_is_refused() {
        type Breaks = (&'static str, fn(&mut Value));
        let broken: [Breaks; 5] = [
            ("a dimension without a value", |d| {
                d.as_object_mut().map(|o| o.remove("Outcome"));
            }),
            ("a metric without a number", |d| {
                d["Remediations"] = json!("one")
            }),
            ("a unit CloudWatch lacks", |d| {
                d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Fixes");
            }),
            ("a timestamp that is not an integer", |d| {
                d["_aws"]["Timestamp"] = json!("now")
            }),
            ("an empty namespace", |d| {
                d["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!("");
            }),
        ];
        for (what, breaks) in broken {
            let mut doc = good();
            breaks(&mut doc);
            assert!(check_emf(&doc).is_err(), "{what} was accepted");
        }
    }
}

//! `remediation plan`: surveys accounts and regions as the sweep does and
//! lists what each function would change, changing nothing.
//!
//! Owns the places a plan visits ([`places`]: each regional function in
//! each region, each global one once per account), the sequence over them,
//! and the table a person reads ([`table`]). The survey, the decisions and
//! the proposals are the functions' own, through the catalog.

use std::collections::BTreeMap;

use remediation_catalog::Function;
use remediation_shared::audit::{Outcome, RecordingSink};
use remediation_shared::{Config, Home, Mode};
use serde_json::Value;

use crate::{AccountAccess, Caller};

/// One place a plan surveys with one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The function.
    pub function: &'static str,
    /// The account.
    pub account: String,
    /// The region (for a global function, the region its clients use).
    pub region: String,
}

/// The places of a plan: each of `functions` in each of `accounts`, a
/// regional one in each of `regions`, a global one once per account, in the
/// first region.
pub fn places(
    functions: &[&'static Function],
    accounts: &[String],
    regions: &[String],
) -> Vec<Place> {
    let mut out = Vec::new();
    for f in functions {
        for account in accounts {
            let regions = if f.regional {
                regions
            } else {
                &regions[..1.min(regions.len())]
            };
            for region in regions {
                out.push(Place {
                    function: f.name,
                    account: account.clone(),
                    region: region.clone(),
                });
            }
        }
    }
    out
}

/// What a plan found: every record its surveys wrote, and the places it
/// could not survey, with why.
#[derive(Debug, Default)]
pub struct Planned {
    /// The records (proposals, and what was exempt, protected or failed).
    pub records: Vec<Value>,
    /// Places not surveyed, and why.
    pub unreached: Vec<(Place, String)>,
}

impl Planned {
    /// The proposals alone, as `apply` reads them.
    pub fn proposals(&self) -> impl Iterator<Item = &Value> {
        self.records
            .iter()
            .filter(|r| r["outcome"] == Outcome::Proposed.as_str())
    }

    /// How many records ended with each outcome.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for r in &self.records {
            let outcome = r["outcome"].as_str().unwrap_or("unknown").to_owned();
            *counts.entry(outcome).or_default() += 1;
        }
        counts
    }

    /// Whether anything failed or could not be surveyed.
    pub fn troubled(&self) -> bool {
        !self.unreached.is_empty() || self.records.iter().any(|r| r["outcome"] == "failed")
    }
}

/// Surveys each of `places` with the person's credentials (or the member
/// role), in propose mode whatever the functions' deployed mode, telling
/// `progress` before each place.
pub async fn plan<R: AccountAccess>(
    places: &[Place],
    exempt_tag_key: &str,
    caller: &Caller,
    reach: &R,
    progress: &mut impl FnMut(usize, &Place),
) -> Planned {
    let mut planned = Planned::default();
    let config = Config {
        mode: Mode::Propose,
        exempt_tag_key: exempt_tag_key.to_owned(),
        stack: None,
    };
    for (n, place) in places.iter().enumerate() {
        progress(n, place);
        let Some(function) = remediation_catalog::named(place.function) else {
            continue;
        };
        let sdk = match reach.config(&place.account, Some(&place.region)).await {
            Ok(sdk) => sdk,
            Err(why) => {
                planned.unreached.push((place.clone(), why));
                continue;
            }
        };
        let home = Home {
            account: place.account.clone(),
            region: place.region.clone(),
        };
        let trigger = caller.trigger("Plan", &caller.run_id, None);
        let sink = RecordingSink::default();
        if let Err(why) = (function.plan)(&sdk, home, &config, &sink, trigger, &caller.run_id).await
        {
            planned.unreached.push((place.clone(), why));
            continue;
        }
        planned.records.extend(sink.records());
    }
    planned
}

/// The table a person reads: one row per resource that is not compliant
/// (proposed, exempt or protected, failed), with what would change or why not.
pub fn table(records: &[Value]) -> String {
    let rows: Vec<[String; 3]> = records
        .iter()
        .filter(|r| r["outcome"] != Outcome::AlreadyCompliant.as_str())
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            let reason = text("reason");
            let detail = reason
                .strip_prefix("proposed: ")
                .map_or(reason.clone(), |d| {
                    d.trim_end_matches(" once a person approves").to_owned()
                });
            [text("resource"), text("outcome"), detail]
        })
        .collect();
    if rows.is_empty() {
        return "Nothing to change: every resource surveyed is compliant.\n".into();
    }
    let head = ["RESOURCE", "OUTCOME", "WHAT WOULD CHANGE, OR WHY NOT"].map(str::to_owned);
    let width = |i: usize| {
        rows.iter()
            .chain([&head])
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let mut out = String::new();
    for row in [&head].into_iter().chain(rows.iter()) {
        out.push_str(&format!("{:<w0$}  {:<w1$}  {}\n", row[0], row[1], row[2]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_regional_function_is_planned_in_each_region_and_a_global_one_once_per_account() {
        let functions: Vec<&'static Function> = remediation_catalog::ALL.iter().collect();
        let accounts = ["111111111111".to_owned(), "222222222222".to_owned()];
        let regions = ["eu-west-1".to_owned(), "us-east-1".to_owned()];
        let planned = places(&functions, &accounts, &regions);
        for f in remediation_catalog::ALL {
            let of_f: Vec<_> = planned.iter().filter(|p| p.function == f.name).collect();
            let want = if f.regional { 4 } else { 2 };
            assert_eq!(of_f.len(), want, "{}", f.name);
            if !f.regional {
                assert!(of_f.iter().all(|p| p.region == "eu-west-1"), "{}", f.name);
            }
        }
        assert!(places(&functions, &accounts, &[]).is_empty());
    }

    #[test]
    fn the_table_lists_what_is_wrong_and_leaves_out_what_is_right() {
        let records = [
            json!({"resource": "arn:aws:s3:::open", "outcome": "proposed",
                   "reason": "proposed: would turn on all four settings once a person approves"}),
            json!({"resource": "arn:aws:s3:::kept", "outcome": "skipped",
                   "reason": "exempt: tagged auto-remediation:exempt=true"}),
            json!({"resource": "arn:aws:s3:::fine", "outcome": "already_compliant", "reason": "ok"}),
        ];
        let t = table(&records);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[0].starts_with("RESOURCE"), "{t}");
        assert!(
            lines[1].contains("arn:aws:s3:::open") && lines[1].contains("proposed  would turn on"),
            "{t}"
        );
        assert!(lines[2].contains("exempt: tagged"), "{t}");
        assert!(!t.contains("fine"), "{t}");
        assert!(table(&records[2..]).starts_with("Nothing to change"));
    }
}

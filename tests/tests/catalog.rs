//! The catalog (`catalog/src/lib.rs`) is the one list of the functions: a
//! folder under `functions/` it lacks, or a function it lists that the
//! template, `member.yaml`'s role, `events/`, `events/acted-on.json` or the
//! audit schema's actions lack, fails here. No AWS, no emulator.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use remediation_catalog::{Read, ALL};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn listed() -> BTreeSet<&'static str> {
    ALL.iter().map(|f| f.name).collect()
}

#[test]
fn every_folder_under_functions_is_in_the_catalog_and_nothing_else_is() {
    let folders: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = listed().into_iter().map(str::to_owned).collect();
    assert_eq!(folders, listed);
}

#[test]
fn every_function_the_catalog_lists_is_deployed_granted_and_sampled() {
    let template = read("template.yaml");
    let member = read("member.yaml");
    let acted_on: serde_json::Value = serde_json::from_str(&read("events/acted-on.json")).unwrap();
    let mut missing = Vec::new();
    for f in ALL {
        let name = f.name;
        if !template.contains(&format!("Binary: {name}\n")) {
            missing.push(format!("template.yaml builds no binary {name}"));
        }
        if !member.contains(&format!("PolicyName: {name}\n")) {
            missing.push(format!("member.yaml's role has no policy {name}"));
        }
        let samples = root().join("events").join(name);
        let count = std::fs::read_dir(&samples).map_or(0, |d| d.count());
        if count == 0 {
            missing.push(format!("events/{name}/ holds no sample"));
        }
        if acted_on[name].as_array().is_none_or(|a| a.is_empty()) {
            missing.push(format!("events/acted-on.json lists nothing {name} acts on"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn the_audit_schema_names_every_functions_action() {
    let schema = read("docs/schema.md");
    let row = schema
        .lines()
        .find(|l| l.starts_with("| `action` |"))
        .expect("docs/schema.md has an `action` row");
    for f in ALL {
        assert!(
            row.contains(&format!("`{}`", f.action)),
            "docs/schema.md's action row lacks {} ({})",
            f.action,
            f.name
        );
    }
}

#[test]
fn each_functions_scope_reads_the_samples_it_acts_on_as_targets() {
    let acted_on: serde_json::Value = serde_json::from_str(&read("events/acted-on.json")).unwrap();
    for f in ALL {
        for sample in acted_on[f.name].as_array().unwrap() {
            let path = format!("events/{}", sample.as_str().unwrap());
            let event: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
            let items = (f.read)(event).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                items.iter().any(|i| matches!(i, Read::Target(_))),
                "{}: {path} read as {items:?}",
                f.name
            );
        }
    }
}

/// Whether `path` (relative to the repository) may spell a function's name:
/// the function's own folder, the catalog, the template and `member.yaml`,
/// the samples, the docs and the README, tests, and Cargo's lock files
/// (which list packages by name).
fn may_name_functions(path: &str) -> bool {
    const PLACES: &[&str] = &["functions/", "catalog/", "events/", "docs/"];
    const FILES: &[&str] = &["template.yaml", "member.yaml", "README.md"];
    PLACES.iter().any(|p| path.starts_with(p))
        || FILES.contains(&path)
        || path.starts_with("tests/")
        || path.contains("/tests/")
        || path.ends_with("Cargo.lock")
}

#[test]
fn no_file_outside_the_allowed_places_spells_a_functions_name() {
    let listed = std::process::Command::new("git")
        .args(["ls-files", "--cached", "--others", "--exclude-standard"])
        .current_dir(root())
        .output()
        .expect("git lists the repository's files");
    assert!(listed.status.success(), "git ls-files failed");
    let files = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(files.lines().count() > 50, "{files}");
    let mut wrong = Vec::new();
    for path in files.lines().filter(|p| !may_name_functions(p)) {
        let Ok(text) = std::fs::read_to_string(root().join(path)) else {
            continue;
        };
        for f in ALL.iter().filter(|f| text.contains(f.name)) {
            wrong.push(format!("{path}: {}", f.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "function names spelled outside the catalog: {wrong:#?}"
    );
    // The rule itself: these may, those may not.
    assert!(may_name_functions("cli/tests/emulator.rs") && may_name_functions("docs/x.md"));
    assert!(!may_name_functions("bench/sweep_bench.py") && !may_name_functions("Makefile"));
}

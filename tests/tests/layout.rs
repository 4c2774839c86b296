//! The layout the project's boundaries rest on, checked on the tree: a
//! function is a folder of five files, only its `aws.rs` names an AWS SDK
//! crate, the shared crate names no function, and every source file opens
//! with a module doc saying what it owns.
//!
//! Owns only reading source files as text; it must not judge the code.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use remediation_testing::function::repo_root;

/// The files of every function's `src/`, and nothing else.
const FUNCTION_FILES: [&str; 5] = ["aws.rs", "lib.rs", "main.rs", "plan.rs", "scope.rs"];

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    out.sort();
    out
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("a named entry")
        .to_string_lossy()
        .into_owned()
}

/// Every function's folder under `functions/`.
fn functions() -> Vec<PathBuf> {
    let all: Vec<_> = entries(&repo_root().join("functions"))
        .into_iter()
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    assert!(all.len() >= 4, "functions found: {all:?}");
    all
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in entries(dir) {
        if entry.is_dir() {
            out.extend(sources(&entry));
        } else if entry.extension().is_some_and(|x| x == "rs") {
            out.push(entry);
        }
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_function_is_a_folder_of_five_files() {
    for function in functions() {
        let files: Vec<_> = entries(&function.join("src"))
            .iter()
            .map(|p| name(p))
            .collect();
        assert_eq!(files, FUNCTION_FILES, "{}", function.display());
    }
}

#[test]
fn only_the_adapter_names_an_sdk_crate() {
    let mut wrong = Vec::new();
    for function in functions() {
        for file in sources(&function.join("src")) {
            if name(&file) != "aws.rs" && read(&file).contains("aws_sdk_") {
                wrong.push(file.display().to_string());
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "an AWS SDK crate named outside aws.rs: {wrong:?}"
    );
}

#[test]
fn the_shared_crate_names_no_function() {
    let names: Vec<String> = functions().iter().map(|f| name(f)).collect();
    let mut wrong = Vec::new();
    for file in sources(&repo_root().join("shared")) {
        let text = read(&file);
        for function in &names {
            let as_crate = function.replace('-', "_");
            if text.contains(function.as_str()) || text.contains(&as_crate) {
                wrong.push(format!("{} names {function}", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_source_file_opens_with_its_module_doc() {
    let mut dirs = vec![
        repo_root().join("shared/src"),
        repo_root().join("testing/src"),
    ];
    dirs.extend(functions().iter().map(|f| f.join("src")));
    dirs.push(repo_root().join("undo/src"));
    let mut wrong = Vec::new();
    let mut seen = 0;
    for dir in dirs {
        for file in sources(&dir) {
            seen += 1;
            if !read(&file).trim_start().starts_with("//!") {
                wrong.push(file.display().to_string());
            }
        }
    }
    assert!(seen > 20, "source files read: {seen}");
    assert!(wrong.is_empty(), "no module doc at the top: {wrong:#?}");
}

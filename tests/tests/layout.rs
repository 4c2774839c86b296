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
    let mut crates = functions();
    crates.extend(entries(&repo_root().join("shared/kits")));
    for function in crates {
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
fn the_shared_crates_name_no_function() {
    let names: Vec<String> = functions().iter().map(|f| name(f)).collect();
    let mut wrong = Vec::new();
    let files = sources(&repo_root().join("shared"));
    for file in files {
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
        repo_root().join("shared"),
        repo_root().join("catalog/src"),
        repo_root().join("testing/src"),
    ];
    dirs.extend(functions().iter().map(|f| f.join("src")));
    dirs.push(repo_root().join("cli/src"));
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

/// The modules of the crate whose sources are in `src`, each with the
/// modules of the same crate it refers to in code (comments are not read):
/// `crate::m`, `crate::{m, …}`, `super::m` from a folder's file, and a name
/// that `lib.rs` re-exports (`crate::Name`), by the module it comes from.
fn module_graph(
    src: &Path,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    use std::collections::{BTreeMap, BTreeSet};
    let code = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // Names lib.rs re-exports, by the module they come from.
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    let lib = code(&read(&src.join("lib.rs")));
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim_start_matches("crate::");
        if let Some((module, names)) = rest.split_once("::") {
            for name in words(names) {
                reexported.insert(name, module.to_owned());
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(src) {
        let rel = file
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let module = rel
            .trim_end_matches(".rs")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = code(&read(&file));
        let deps = graph.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let after = &text[i + "crate::".len()..];
            let named: Vec<String> = if let Some(group) = after.strip_prefix('{') {
                words(group.split('}').next().unwrap_or_default())
            } else {
                words(after).into_iter().take(1).collect()
            };
            for name in named {
                let target = reexported.get(&name).cloned().unwrap_or(name);
                if target != module {
                    deps.insert(target);
                }
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

/// A cycle among the modules of `graph`, if there is one: its path.
fn a_cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for d in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let mut crates = vec![
        repo_root().join("shared/core/src"),
        repo_root().join("shared/runtime/src"),
        repo_root().join("testing/src"),
        repo_root().join("cli/src"),
    ];
    crates.extend(
        entries(&repo_root().join("shared/kits"))
            .iter()
            .map(|k| k.join("src")),
    );
    crates.extend(functions().iter().map(|f| f.join("src")));
    for src in crates {
        let graph = module_graph(&src);
        assert!(!graph.is_empty(), "{}: {graph:?}", src.display());
        if let Some(cycle) = a_cycle(&graph) {
            panic!("{}: {}", src.display(), cycle.join(" -> "));
        }
    }
    // The check itself: a graph with a cycle is caught.
    let looped = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(m, d)| {
            (
                m.to_owned(),
                std::collections::BTreeSet::from([d.to_owned()]),
            )
        })
        .collect();
    assert!(a_cycle(&looped).is_some());
}

#[test]
fn the_input_side_imports_no_side_channel() {
    let graph = module_graph(&repo_root().join("shared/core/src"));
    for input in ["event", "resource", "scope", "finding", "control"] {
        let deps = &graph[input];
        for channel in ["notify", "workflow", "metrics", "handler"] {
            assert!(
                !deps.contains(channel),
                "{input} imports {channel}: {deps:?}"
            );
        }
    }
}

/// The dependencies of `[dependencies]` in a crate's `Cargo.toml`, by name.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = read(manifest);
    let section = text
        .split("\n[")
        .find(|s| s.starts_with("dependencies]"))
        .unwrap_or_default();
    section
        .lines()
        .skip(1)
        .filter_map(|l| l.split(['=', '.', ' ']).next())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_core_names_no_aws_sdk_and_no_http_crate() {
    let deps = dependencies(&repo_root().join("shared/core/Cargo.toml"));
    assert!(deps.len() >= 5, "dependencies read: {deps:?}");
    let sdk_or_http = |d: &&String| {
        d.starts_with("aws-") && d.as_str() != "aws_lambda_events"
            || [
                "lambda_runtime",
                "hyper",
                "http",
                "reqwest",
                "rustls",
                "webpki-root-certs",
            ]
            .contains(&d.as_str())
    };
    let wrong: Vec<&String> = deps.iter().filter(sdk_or_http).collect();
    assert!(wrong.is_empty(), "the core depends on {wrong:?}");
    // The check itself: the runtime, which must, does.
    let runtime = dependencies(&repo_root().join("shared/runtime/Cargo.toml"));
    assert!(runtime.iter().any(|d| sdk_or_http(&d)), "{runtime:?}");
}

#[test]
fn no_file_of_the_shared_crates_is_longer_than_500_lines() {
    let mut wrong = Vec::new();
    for dir in ["shared", "catalog"] {
        for file in sources(&repo_root().join(dir)) {
            let lines = read(&file).lines().count();
            if lines > 500 {
                wrong.push(format!("{}: {lines} lines", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

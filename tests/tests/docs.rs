//! The newcomer's pages hold together: the README stays a short page, and
//! every relative link in it and in `docs/` names a file of the repository
//! and, where it names a section, a heading of that file.
//!
//! Owns only reading the Markdown files as text; it must not judge prose.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use remediation_testing::function::repo_root;

/// The README is a newcomer's page; detail lives in `docs/`.
const README_MOST_LINES: usize = 150;

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo_root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("docs"))
        .expect("docs/ is readable")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation
/// other than `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown text outside fenced code.
fn prose(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// The anchors of a Markdown file's headings.
fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .filter(|line| line.starts_with('#'))
        .map(|line| slug(line.trim_start_matches('#')))
        .collect()
}

/// The targets of the inline links `[text](target)` of a Markdown text.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

/// What is wrong with one link of `page`, if anything.
fn broken(page: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (file, anchor) = match target.split_once('#') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (target, None),
    };
    let file = if file.is_empty() {
        page.to_path_buf()
    } else {
        page.parent().expect("a page has a folder").join(file)
    };
    if !file.exists() {
        return Some(format!("{target}: no file {}", file.display()));
    }
    let anchor = anchor?;
    let text = std::fs::read_to_string(&file).ok()?;
    (!anchors(&text).contains(anchor))
        .then(|| format!("{target}: no heading with anchor #{anchor}"))
}

#[test]
fn the_readme_is_a_short_page() {
    let text = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let lines = text.lines().count();
    assert!(
        lines <= README_MOST_LINES,
        "README.md has {lines} lines, more than {README_MOST_LINES}: move detail to docs/"
    );
    assert!(
        text.contains("make demo") && text.contains("make test"),
        "README.md opens with its two commands"
    );
}

#[test]
fn every_relative_link_reaches_a_file_and_heading() {
    let mut wrong = Vec::new();
    let mut seen = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("a page");
        for target in links(&text) {
            seen += 1;
            if let Some(why) = broken(&page, &target) {
                wrong.push(format!("{}: {why}", page.display()));
            }
        }
    }
    assert!(seen > 10, "links were read ({seen})");
    assert!(wrong.is_empty(), "broken links:\n{}", wrong.join("\n"));
}

#[test]
fn anchors_follow_github() {
    for (heading, anchor) in [
        (
            "## Timeouts and Lambda's deadline",
            "timeouts-and-lambdas-deadline",
        ),
        (
            "## Hub mode: every account and region of an organisation",
            "hub-mode-every-account-and-region-of-an-organisation",
        ),
        ("### `make bench`", "make-bench"),
    ] {
        assert_eq!(slug(heading.trim_start_matches('#')), anchor, "{heading}");
    }
    assert_eq!(
        links("see [a](x.md#y) and [b](https://e.example) ```"),
        ["x.md#y", "https://e.example"]
    );
    let page = repo_root().join("README.md");
    assert!(broken(&page, "docs/nothing-here.md").is_some());
    assert!(broken(&page, "docs/deploying.md#no-such-heading").is_some());
    assert!(broken(&page, "docs/deploying.md#the-scheduled-sweep").is_none());
}

//! No listening-context item (`searcher/data/tag_contexts.tsv`) repeats an evaluation query.
//!
//! The contexts join the tag vectors, so an item that is verbatim a query of a file the method is
//! scored on hands that query its graded tags: the score would measure the data, not the method.
//! Every query file in the repository (`fixtures/eval/*.tsv`) and beside it (`../shared/eval/*.tsv`,
//! the dev file) is checked; `scripts/eval/strip_query_items.py` removes such items, with the
//! same comparison (lower case, white space collapsed).

mod common;

use std::path::PathBuf;

use musearch_searcher::eval::parse_judgements;
use musearch_searcher::tag_space::{parse_contexts, CONTEXTS_TSV};

/// Lower case, white space collapsed.
fn norm(text: &str) -> String {
    text.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every `*.tsv` judgement file under `dir`, sorted; catalog manifests (`*.manifest.tsv`, one line
/// per audio file) are not query files.
fn query_files(dir: &PathBuf) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".manifest.tsv"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn no_context_item_is_an_evaluation_query() {
    let root = common::repo_root();
    let shared = root.join("../shared/eval");
    assert!(
        shared.join("queries-dev.tsv").is_file(),
        "the dev queries are missing: {} (the shared evaluation files belong beside the clone)",
        shared.join("queries-dev.tsv").display()
    );
    let mut files = query_files(&root.join("fixtures/eval"));
    files.extend(query_files(&shared));
    assert!(files.len() >= 3, "too few query files: {files:?}");

    let mut queries = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let judgements = parse_judgements(&text)
            .unwrap_or_else(|e| panic!("{}:{}: {}", file.display(), e.line, e.message));
        assert!(!judgements.is_empty(), "{}: no queries", file.display());
        queries.extend(
            judgements
                .into_iter()
                .map(|j| (norm(&j.query), file.clone())),
        );
    }

    let contexts = parse_contexts(CONTEXTS_TSV).expect("data/tag_contexts.tsv parses");
    let mut leaks = Vec::new();
    for (tag, items) in &contexts {
        for item in items {
            if let Some((_, file)) = queries.iter().find(|(q, _)| *q == norm(item)) {
                leaks.push(format!("{tag}: {item:?} is a query of {}", file.display()));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} listening-context items repeat an evaluation query (remove them with \
         scripts/eval/strip_query_items.py):\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

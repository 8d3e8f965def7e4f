//! End-to-end: `musearch eval-search` on the fixture index (the real indexer on fixtures/audio,
//! as the server tests use it) with `fixtures/eval/search-fixture.judgements.json`, whose grades
//! come from each clip's source package (fixtures/README.md), not from a tagger. The engine's
//! nDCG@10 must not drop below the seed ranking's.
//!
//! Needs the unpacked musicnn wheel and the spaCy vectors (`scripts/serve-fixture.sh` fetches
//! or makes them when missing).

#![cfg(feature = "torch")]

mod common;

use std::path::Path;
use std::process::Command;

use common::server::{copy_dir, fixture_index};

/// Runs `musearch eval-search --json` with `method` on a copy of the fixture index.
fn eval_search(method: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    copy_dir(fixture_index(), &index);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let judgements = root.join("fixtures/eval/search-fixture.judgements.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_musearch"));
    cmd.arg("eval-search")
        .arg(&judgements)
        .arg("--index")
        .arg(&index)
        .args(["--method", method, "--json"]);
    // serve-fixture.sh indexes with these vectors' default; the test asks for the same file.
    if std::env::var_os("MUSEARCH_VECTORS").is_none() {
        let home = std::env::var("HOME").unwrap();
        cmd.env(
            "MUSEARCH_VECTORS",
            Path::new(&home).join(".cache/musearch/test-assets/vectors/spacy-md.fifu"),
        );
    }
    let out = cmd.output().expect("running musearch eval-search");
    assert!(
        out.status.success(),
        "eval-search --method {method} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reports: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("eval-search --json prints a JSON array");
    assert_eq!(reports.len(), 1);
    reports.remove(0)["report"].take()
}

#[test]
fn engine_is_not_worse_than_the_seed_ranking_on_the_fixture_index() {
    let seed = eval_search("seed");
    let current = eval_search("current");
    for (name, r) in [("seed", &seed), ("current", &current)] {
        // Nothing vacuous: every query resolved to indexed clips and was scored on a full page.
        assert_eq!(r["queries_total"], 6, "{name}: {r}");
        assert_eq!(
            r["queries_scored"], 6,
            "{name}: every query has judged clips in the index"
        );
        let found = r["files_found"].as_u64().unwrap();
        assert!(
            found >= 12,
            "{name}: only {found} of 13 judged clips resolved"
        );
        for q in r["queries"].as_array().unwrap() {
            let page = q["page"].as_array().unwrap();
            assert_eq!(page.len(), 10, "{name}: {} got a short page", q["query"]);
            assert!(
                page.iter().all(|e| e["file"].is_string()),
                "{name}: a result of {} is not a judged clip",
                q["query"]
            );
        }
        let ndcg = r["ndcg"].as_f64().unwrap();
        assert!(ndcg > 0.0 && ndcg <= 1.0, "{name}: nDCG@10 = {ndcg}");
    }
    let (s, c) = (
        seed["ndcg"].as_f64().unwrap(),
        current["ndcg"].as_f64().unwrap(),
    );
    assert!(
        c >= s,
        "the engine's nDCG@10 ({c:.4}) dropped below the seed ranking's ({s:.4})"
    );
}

//! Tests on the real imported vectors (`musearch models import-vectors` first, or
//! `MUSEARCH_VECTORS=path.fifu`). They fail, with instructions, when the vectors are missing.

mod common;

use musearch_searcher::eval;
use musearch_searcher::tag_space::TagSpaceConfig;

/// The seed method reproduces the figure DESIGN.md gives for en_core_web_md (nDCG@5 = 0.46),
/// which checks the import, and the tuned method beats it clearly on every query file: the dev
/// file (measured 0.678 since issue 19; floor 0.66, below issue 5's 0.70 target) and both
/// held-out files. The figures are
/// those of the spaCy vectors scripts/test.sh provides, and the dev file is `../shared/eval/
/// queries-dev.tsv` beside the clone (as CI has it): without either the test fails, saying why.
#[test]
fn tuned_method_beats_the_seed() {
    let dev = common::repo_root().join("../shared/eval/queries-dev.tsv");
    let heldout = common::repo_root().join("fixtures/eval/queries-heldout.tsv");
    let heldout2 = common::repo_root().join("fixtures/eval/queries-heldout2.tsv");
    assert!(
        dev.is_file(),
        "the dev queries are missing: {} (the shared evaluation files belong beside the clone, \
         in ../shared/eval)",
        dev.display()
    );
    let vectors = common::real_vectors();
    assert_eq!(
        vectors.dims(),
        300,
        "these floors are for en_core_web_md's 300-d vectors, which scripts/test.sh provides \
         (MUSEARCH_VECTORS names {}-d vectors)",
        vectors.dims()
    );
    let seed = common::space_with(common::real_vectors(), TagSpaceConfig::seed());
    let tuned = common::space(vectors);
    let files = [dev, heldout, heldout2];
    for file in files {
        let judgements = eval::read_judgements(&file).unwrap();
        let s = eval::evaluate(&judgements, |q| seed.weigh(q).ranking());
        let t = eval::evaluate(&judgements, |q| tuned.weigh(q).ranking());
        eprintln!(
            "{}: seed nDCG@5 {:.3}, tuned nDCG@5 {:.3} (@10 {:.3} → {:.3})",
            file.display(),
            s.ndcg5,
            t.ndcg5,
            s.ndcg10,
            t.ndcg10
        );
        if file.ends_with("queries-dev.tsv") {
            assert!((s.ndcg5 - 0.455).abs() < 0.01, "seed nDCG@5 {}", s.ndcg5);
            // Issue 5's target was 0.70. With listening contexts that no longer quote evaluation
            // queries (issue 19) the dev file measures 0.678 (2026-12-04): the target is NOT met,
            // and this floor guards the measured figure with a margin of 0.02 (the noise of a
            // 29-query file), not the target.
            assert!(t.ndcg5 >= 0.66, "tuned nDCG@5 on the dev file {}", t.ndcg5);
        }
        assert!(
            t.ndcg5 > s.ndcg5 + 0.1,
            "{}: {} vs {}",
            file.display(),
            t.ndcg5,
            s.ndcg5
        );
        // The situational set (held-out 2, contaminated) is the hardest: only the margin over the seed.
        assert!(
            file.ends_with("queries-heldout2.tsv") || t.ndcg5 > 0.5,
            "{}: tuned nDCG@5 {}",
            file.display(),
            t.ndcg5
        );
    }
}

#[test]
fn negation_and_literals_on_real_vectors() {
    let space = common::space(common::real_vectors());
    let n = space.tags().len();
    assert_eq!(space.weigh("piano").tags[0].tag, "piano");
    let r = space.weigh("relaxing without vocals");
    assert!(r.rank("vocals").unwrap() > n / 2);
    assert!(r.rank("no vocals").unwrap() < 5);
    let r = space.weigh("not sad");
    assert_eq!(r.tags[0].tag, "happy");
    assert!(r.weight("sad").unwrap() < 0.0);
    let r = space.weigh("rock music by qwxzzy");
    assert_eq!(r.tags[0].tag, "rock");
    assert_eq!(r.parsed.text_terms(), vec!["qwxzzy"]);
}

//! Query → weighted tags on the tiny GloVe fixture: literal tags, negation, unknown words,
//! neighbours and "did you mean". Runs without the big import.

mod common;

use musearch_searcher::neighbours::VocabIndex;
use musearch_searcher::query::TermKind;

#[test]
fn literal_tags_rank_first() {
    let space = common::space(common::tiny_vectors());
    for tag in [
        "piano",
        "heavy metal",
        "female vocalists",
        "hip-hop",
        "new age",
        "80s",
    ] {
        let r = space.weigh(tag);
        assert_eq!(r.tags[0].tag, tag, "query {tag:?}: {:?}", &r.tags[..5]);
        assert_eq!(r.parsed.terms[0].kind, TermKind::Tag);
    }
    // A spelling variant of a tag name is that tag.
    assert_eq!(space.weigh("hip hop").tags[0].tag, "hip-hop");
    // A literal tag stays on top when other words come with it.
    let r = space.weigh("piano for a calm evening");
    assert_eq!(r.tags[0].tag, "piano");
}

#[test]
fn negation_pushes_tags_down_not_up() {
    let space = common::space(common::tiny_vectors());
    let n = space.tags().len();

    // "not sad": sad goes to the bottom half with a negative weight; happy comes first.
    let plain = space.weigh("sad");
    assert_eq!(plain.tags[0].tag, "sad");
    let negated = space.weigh("not sad");
    assert!(negated.weight("sad").unwrap() < 0.0);
    assert!(
        negated.rank("sad").unwrap() > n / 2,
        "{:?}",
        negated.rank("sad")
    );
    assert_eq!(negated.tags[0].tag, "happy");

    // "without drums": drums lose weight compared with the same query without the cue.
    let with = space.weigh("happy drums");
    let without = space.weigh("happy without drums");
    assert!(without.weight("drums").unwrap() < with.weight("drums").unwrap());
    assert!(without.rank("drums").unwrap() > n / 2);
    assert_eq!(without.tags[0].tag, "happy");

    // "without vocals" / "no vocals": the absence tags come first, the vocal tags last.
    for q in ["without vocals", "no vocals", "without singing"] {
        let r = space.weigh(q);
        let top: Vec<&str> = r.tags[..4].iter().map(|t| t.tag.as_str()).collect();
        for absence in ["no vocals", "no vocal", "no voice", "instrumental"] {
            assert!(top.contains(&absence), "{q:?}: {top:?}");
        }
        assert!(r.rank("vocals").unwrap() > n / 2, "{q:?}");
    }

    // "not fast" asks for slow, and fast sinks.
    let r = space.weigh("not fast");
    assert_eq!(r.tags[0].tag, "slow");
    assert!(r.rank("fast").unwrap() > n / 2);
}

#[test]
fn unknown_words_fall_back_to_text_search() {
    let space = common::space(common::tiny_vectors());
    // Nothing the vectors know: no error, a text-only result with the words to search for.
    let r = space.weigh("zxqvbert blorptastic");
    assert!(r.text_only);
    assert_eq!(r.parsed.text_terms(), vec!["zxqvbert", "blorptastic"]);
    assert_eq!(r.tags.len(), space.tags().len());
    // Mixed: the known part ranks tags, the unknown part is kept for metadata search.
    let r = space.weigh("piano zxqvbert");
    assert!(!r.text_only);
    assert_eq!(r.tags[0].tag, "piano");
    assert_eq!(r.parsed.text_terms(), vec!["zxqvbert"]);
    // Empty and stop-word-only queries are not errors either.
    assert!(space.weigh("").text_only);
    assert!(space.weigh("the of a").text_only);
}

#[test]
fn neighbours_and_did_you_mean() {
    let space = common::space(common::tiny_vectors());
    let index = VocabIndex::build(&space, 10_000);
    assert!(index.len() > space.tags().len());
    let near = index.neighbours(&space, "sad", 5);
    assert_eq!(near.len(), 5);
    assert!(near.iter().all(|n| n.item != "sad"));
    assert!(near
        .windows(2)
        .all(|w| w[0].similarity >= w[1].similarity - 1e-6));
    assert!(index.neighbours(&space, "zxqvbert", 5).is_empty());
    let suggestions = index.did_you_mean("pianno", 3);
    assert_eq!(suggestions.first().map(String::as_str), Some("piano"));
    assert!(index
        .did_you_mean("heavy mteal", 3)
        .contains(&"heavy metal".to_string()));
}

#[test]
fn ensemble_of_spaces() {
    use musearch_searcher::tag_space::weigh_ensemble;
    let spaces = [
        common::space(common::tiny_vectors()),
        common::space(common::tiny_vectors()),
    ];
    let single = spaces[0].weigh("calm piano").ranking();
    let both = weigh_ensemble(&spaces, "calm piano").unwrap();
    assert_eq!(both.ranking()[..5], single[..5]);
    assert!(weigh_ensemble(&spaces, "zxqvbert").unwrap().text_only);
    assert!(weigh_ensemble(&[], "piano").is_none());
}

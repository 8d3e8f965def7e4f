use super::*;

fn parser() -> QueryParser {
    QueryParser::new(&musearch_models::tags::union_vocabulary())
}

/// Pretend the vectors know every plain lower-case ASCII word except "zxqv"-like gibberish.
fn known(w: &str) -> bool {
    !w.contains("zx") && w.chars().all(|c| c.is_ascii_lowercase())
}

fn summary(q: &ParsedQuery) -> Vec<String> {
    q.terms
        .iter()
        .map(|t| {
            let kind = match t.kind {
                TermKind::Tag => "tag",
                TermKind::Word => "word",
                TermKind::Unknown => "unknown",
            };
            format!("{}{}:{kind}", if t.negated { "-" } else { "" }, t.text)
        })
        .collect()
}

#[test]
fn literal_tags_and_phrases() {
    let p = parser();
    let q = p.parse("Piano and heavy metal, easy listening", &known);
    assert_eq!(
        summary(&q),
        vec!["piano:tag", "heavy metal:tag", "easy listening:tag"]
    );
    let q = p.parse("female vocalists singing new age", &known);
    assert_eq!(
        summary(&q),
        vec!["female vocalists:tag", "singing:tag", "new age:tag"]
    );
    // Spelling variants of tag names.
    assert_eq!(summary(&p.parse("hip hop", &known)), vec!["hip-hop:tag"]);
    assert_eq!(summary(&p.parse("R&B", &known)), vec!["rnb:tag"]);
    assert_eq!(
        summary(&p.parse("1980s synth-pop", &known)),
        vec!["80s:tag", "synth:tag", "pop:tag"]
    );
}

#[test]
fn no_vocals_is_a_tag_not_a_negation() {
    let p = parser();
    assert_eq!(
        summary(&p.parse("no vocals", &known)),
        vec!["no vocals:tag"]
    );
    assert_eq!(
        summary(&p.parse("no voice please", &known)),
        vec!["no voice:tag"]
    );
}

#[test]
fn negation_scope() {
    let p = parser();
    assert_eq!(
        summary(&p.parse("without drums", &known)),
        vec!["-drums:tag"]
    );
    assert_eq!(summary(&p.parse("not sad", &known)), vec!["-sad:tag"]);
    assert_eq!(summary(&p.parse("not too sad", &known)), vec!["-sad:tag"]);
    assert_eq!(
        summary(&p.parse("without drums or bass, upbeat", &known)),
        vec!["-drums:tag", "-bass:word", "upbeat:word"]
    );
    assert_eq!(
        summary(&p.parse("no guitar but happy", &known)),
        vec!["-guitar:tag", "happy:tag"]
    );
    assert_eq!(
        summary(&p.parse("sad songs without piano", &known)),
        vec!["sad:tag", "-piano:tag"]
    );
    assert_eq!(
        summary(&p.parse("don't want vocals", &known)),
        vec!["-vocals:tag"]
    );
    assert_eq!(
        summary(&p.parse("non-vocal chill", &known)),
        vec!["-vocal:tag", "chill:tag"]
    );
    assert_eq!(
        summary(&p.parse("vocal-free ambient", &known)),
        vec!["-vocal:tag", "ambient:tag"]
    );
    // A cue with nothing after it negates nothing.
    assert_eq!(summary(&p.parse("rock, not", &known)), vec!["rock:tag"]);
}

#[test]
fn stop_words_dropped_unknown_words_kept_as_text() {
    let p = parser();
    let q = p.parse("play me some music by zxqvbert", &known);
    assert_eq!(summary(&q), vec!["zxqvbert:unknown"]);
    assert_eq!(q.text_terms(), vec!["zxqvbert"]);
    let q = p.parse("the a of", &known);
    assert!(q.is_empty());
    // Negated unknown words are not searched for.
    let q = p.parse("no zxqv", &known);
    assert!(q.text_terms().is_empty());
}

//! Splitting query text into lower-case words and clause boundaries.

/// A token of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A lower-case word; inner `-`, `'`, `&` and `.` are kept ("hip-hop", "r&b").
    Word(String),
    /// Punctuation that ends a clause (`,` `;` `:` `.` `!` `?` `(` `)` `/` `|`).
    Boundary,
}

impl Token {
    /// The word, if this is one.
    pub fn word(self) -> Option<String> {
        match self {
            Token::Word(w) => Some(w),
            Token::Boundary => None,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '\'' | '’' | '&' | '.')
}

/// Tokenize `text`: lower case; letters and digits form words, `-`, `'`, `&` and `.` join
/// two word characters; other punctuation that ends a clause becomes [`Token::Boundary`];
/// everything else separates words. Contractions are expanded so that a negation shows:
/// "don't" → "do" "not"; a possessive `'s` is dropped; "80's" → "80s".
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            push_word(std::mem::take(word), out);
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if is_word_char(c) {
            word.push(c);
        } else if is_joiner(c)
            && !word.is_empty()
            && chars.get(i + 1).is_some_and(|&n| is_word_char(n))
        {
            word.push(if c == '’' { '\'' } else { c });
        } else {
            flush(&mut word, &mut out);
            let ends_clause =
                matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '(' | ')' | '/' | '|');
            if ends_clause && out.last() != Some(&Token::Boundary) {
                out.push(Token::Boundary);
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

fn push_word(word: String, out: &mut Vec<Token>) {
    if let Some(stem) = word.strip_suffix("n't") {
        let stem = match stem {
            "ca" => "can",
            "wo" => "will",
            "sha" => "shall",
            s => s,
        };
        if !stem.is_empty() {
            out.push(Token::Word(stem.to_string()));
        }
        out.push(Token::Word("not".into()));
        return;
    }
    if let Some(stem) = word.strip_suffix("'s") {
        if stem.chars().all(|c| c.is_ascii_digit()) {
            out.push(Token::Word(format!("{stem}s")));
        } else {
            out.push(Token::Word(stem.to_string()));
        }
        return;
    }
    out.push(Token::Word(word));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .into_iter()
            .map(|t| t.word().unwrap_or_else(|| "|".into()))
            .collect()
    }

    #[test]
    fn splits_and_lowercases() {
        assert_eq!(words("Beach  Vibes!"), vec!["beach", "vibes", "|"]);
        assert_eq!(words("hip-hop, R&B"), vec!["hip-hop", "|", "r&b"]);
        assert_eq!(
            words("don't want SAD songs"),
            vec!["do", "not", "want", "sad", "songs"]
        );
        assert_eq!(
            words("80's rock - grandma's"),
            vec!["80s", "rock", "grandma"]
        );
        assert_eq!(words("--x--"), vec!["x"]);
        assert!(tokenize("  ").is_empty());
    }
}

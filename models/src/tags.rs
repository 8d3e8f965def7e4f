//! The tag vocabularies of the pretrained taggers.
//!
//! Both lists are in the order of the networks' output units, as published with musicnn
//! (`musicnn/configuration.py`, ISC licence). MagnaTagATune (MTT) tags describe instruments,
//! voices and tempo; Million Song Dataset (MSD) tags add genres, decades and moods.
//! MSD's list mixes cases in the original (`Mellow`, `Hip-Hop`); [`normalize_tag`] gives the
//! lower-case form used everywhere in musearch (queries, the index, the API).

/// The 50 MagnaTagATune tags of musicnn's `MTT_*` models, in output order.
pub const MTT_TAGS: [&str; 50] = [
    "guitar",
    "classical",
    "slow",
    "techno",
    "strings",
    "drums",
    "electronic",
    "rock",
    "fast",
    "piano",
    "ambient",
    "beat",
    "violin",
    "vocal",
    "synth",
    "female",
    "indian",
    "opera",
    "male",
    "singing",
    "vocals",
    "no vocals",
    "harpsichord",
    "loud",
    "quiet",
    "flute",
    "woman",
    "male vocal",
    "no vocal",
    "pop",
    "soft",
    "sitar",
    "solo",
    "man",
    "classic",
    "choir",
    "voice",
    "new age",
    "dance",
    "male voice",
    "female vocal",
    "beats",
    "harp",
    "cello",
    "no voice",
    "weird",
    "country",
    "metal",
    "female voice",
    "choral",
];

/// The 50 Million Song Dataset (last.fm) tags of musicnn's `MSD_*` models, in output order and
/// in their original spelling.
pub const MSD_TAGS: [&str; 50] = [
    "rock",
    "pop",
    "alternative",
    "indie",
    "electronic",
    "female vocalists",
    "dance",
    "00s",
    "alternative rock",
    "jazz",
    "beautiful",
    "metal",
    "chillout",
    "male vocalists",
    "classic rock",
    "soul",
    "indie rock",
    "Mellow",
    "electronica",
    "80s",
    "folk",
    "90s",
    "chill",
    "instrumental",
    "punk",
    "oldies",
    "blues",
    "hard rock",
    "ambient",
    "acoustic",
    "experimental",
    "female vocalist",
    "guitar",
    "Hip-Hop",
    "70s",
    "party",
    "country",
    "easy listening",
    "sexy",
    "catchy",
    "funk",
    "electro",
    "heavy metal",
    "Progressive rock",
    "60s",
    "rnb",
    "indie pop",
    "sad",
    "House",
    "happy",
];

/// A tag vocabulary a network was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Vocabulary {
    /// MagnaTagATune's top-50 tags ([`MTT_TAGS`]).
    #[serde(rename = "mtt")]
    MagnaTagATune,
    /// The Million Song Dataset's top-50 last.fm tags ([`MSD_TAGS`]).
    #[serde(rename = "msd")]
    MillionSong,
}

impl Vocabulary {
    /// The tags in network output order, original spelling.
    pub fn tags(self) -> &'static [&'static str] {
        match self {
            Vocabulary::MagnaTagATune => &MTT_TAGS,
            Vocabulary::MillionSong => &MSD_TAGS,
        }
    }

    /// Short lower-case name: `mtt` or `msd`.
    pub fn short_name(self) -> &'static str {
        match self {
            Vocabulary::MagnaTagATune => "mtt",
            Vocabulary::MillionSong => "msd",
        }
    }
}

/// The canonical form of a tag: lower case, single spaces, trimmed.
pub fn normalize_tag(tag: &str) -> String {
    tag.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every tag of both vocabularies in canonical form, without duplicates, MTT first.
///
/// Tags shared by both vocabularies (`rock`, `guitar`, `electronic` …) appear once.
pub fn union_vocabulary() -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(100);
    for tag in MTT_TAGS.iter().chain(MSD_TAGS.iter()) {
        let tag = normalize_tag(tag);
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_have_fifty_distinct_tags() {
        for vocab in [Vocabulary::MagnaTagATune, Vocabulary::MillionSong] {
            let mut tags: Vec<String> = vocab.tags().iter().map(|t| normalize_tag(t)).collect();
            tags.sort();
            tags.dedup();
            assert_eq!(tags.len(), 50, "{vocab:?}");
        }
    }

    #[test]
    fn union_merges_shared_tags() {
        let union = union_vocabulary();
        // rock, pop, electronic, dance, metal, ambient, guitar, country are in both lists.
        assert_eq!(union.len(), 92);
        assert!(union.contains(&"mellow".to_string()));
        assert!(union.contains(&"hip-hop".to_string()));
        assert_eq!(union.iter().filter(|t| *t == "rock").count(), 1);
    }
}

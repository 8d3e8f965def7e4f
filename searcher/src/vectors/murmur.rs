//! spaCy's string hash: 64-bit MurmurHash2 (variant "64A", Austin Appleby's public-domain
//! algorithm) of the UTF-8 bytes with seed 1, as `spacy.strings.hash_string` computes it.

const M: u64 = 0xc6a4_a793_5bd1_e995;
const R: u32 = 47;

/// MurmurHash64A of `data` with `seed`.
pub fn murmur_hash64a(data: &[u8], seed: u64) -> u64 {
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().expect("8-byte block"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The key spaCy uses for a string in `vocab/key2row` and its string store.
pub fn spacy_key(word: &str) -> u64 {
    murmur_hash64a(word.as_bytes(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_spacy_keys() {
        // Keys read from en_core_web_md 3.7.1's vocab/key2row (and Python's murmurhash package).
        assert_eq!(spacy_key("piano"), 964_127_177_486_857_783);
        assert_eq!(spacy_key("music"), 13_617_878_141_848_112_644);
        assert_eq!(spacy_key("chillout"), 4_668_531_408_170_374_761);
        assert_eq!(spacy_key("hip-hop"), 5_862_237_016_165_279_151);
    }
}

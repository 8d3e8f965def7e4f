//! A deterministic, bounded sample of a catalog's tracks for the track map.
//!
//! Each track gets a priority, the BLAKE3 hash of the seed and its id; the `max` tracks of
//! lowest priority are kept. The choice depends only on the set of ids and the seed (not on
//! their order), and is stable as a catalog grows: a kept track stays kept unless one of the new
//! tracks outranks it.

/// The positions in `ids` of at most `max` tracks, ordered by id. Every track is kept when
/// there are at most `max`.
pub fn sample_by_id(ids: &[&str], max: usize, seed: u64) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..ids.len()).collect();
    if ids.len() > max {
        let priority = |i: usize| {
            let mut h = blake3::Hasher::new();
            h.update(&seed.to_le_bytes());
            h.update(ids[i].as_bytes());
            *h.finalize().as_bytes()
        };
        let mut ranked: Vec<([u8; 32], usize)> = keep.iter().map(|&i| (priority(i), i)).collect();
        ranked.sort_unstable();
        keep = ranked.into_iter().take(max).map(|(_, i)| i).collect();
    }
    keep.sort_by(|&a, &b| ids[a].cmp(ids[b]).then(a.cmp(&b)));
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{:032x}", i * 7919)).collect()
    }

    #[test]
    fn bounded_deterministic_and_order_free() {
        let owned = ids(500);
        let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
        let a = sample_by_id(&ids, 100, 1);
        assert_eq!(a.len(), 100);
        assert_eq!(a, sample_by_id(&ids, 100, 1));
        assert!(a.windows(2).all(|w| ids[w[0]] < ids[w[1]]));
        // Another seed, another sample.
        assert_ne!(a, sample_by_id(&ids, 100, 2));
        // The same ids in reverse order: the same tracks are chosen.
        let reversed: Vec<&str> = ids.iter().rev().copied().collect();
        let b: Vec<&str> = sample_by_id(&reversed, 100, 1)
            .into_iter()
            .map(|i| reversed[i])
            .collect();
        let a_ids: Vec<&str> = a.iter().map(|&i| ids[i]).collect();
        assert_eq!(a_ids, b);
        // Small catalogs are kept whole.
        assert_eq!(sample_by_id(&ids[..50], 100, 1).len(), 50);
        assert!(sample_by_id(&ids, 0, 1).is_empty());
    }

    #[test]
    fn growing_catalog_keeps_most_of_its_sample() {
        let owned = ids(1100);
        let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
        let before: Vec<&str> = sample_by_id(&ids[..1000], 100, 3)
            .into_iter()
            .map(|i| ids[i])
            .collect();
        let after: Vec<&str> = sample_by_id(&ids, 100, 3)
            .into_iter()
            .map(|i| ids[i])
            .collect();
        let kept = before.iter().filter(|id| after.contains(id)).count();
        // 100 new tracks out of 1100 can displace only those they outrank (about 9 in 100).
        assert!(kept >= 80, "{kept} of 100 kept");
    }
}

//! The `Range` header of an audio request, read as RFC 9110 §14 says.
//!
//! * A header that is not a syntactically valid `bytes=` range set is ignored: the whole file
//!   with 200 (§14.2: "A server MAY ignore the Range header field"; a syntactically invalid one
//!   SHOULD be ignored). Invalid means: another unit (`items=0-5`), no digits (`a-b`), a last
//!   position before the first (`5-2`), an empty set (`bytes=`).
//! * One range: 206 with that part when it is satisfiable, else 416 with
//!   `Content-Range: bytes */LENGTH`.
//! * Several ranges (`bytes=0-0,5-10`): the whole file with 200. This server never sends
//!   `multipart/byteranges`: media players ask for one range at a time, and answering several
//!   with the whole representation is what §14.2 allows.
//! * Numbers larger than `u64` are read as "larger than any file": a first position that large
//!   is unsatisfiable (416), a last position that large means "to the end" (206), so
//!   `bytes=0-99999999999999999999` and `bytes=0-18446744073709551615` answer the same.

/// What to send for a request's `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole file, 200 (no header, an ignored one, or several ranges).
    Whole,
    /// Bytes `start ..= end` of the file, 206.
    Part {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// 416: the one range asked for lies outside the file.
    Unsatisfiable,
}

/// One syntactically valid range-spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-` or `first-last` (`last` saturated to `u64::MAX`).
    FromTo { first: u64, last: Option<u64> },
    /// `-suffix`: the last `suffix` bytes.
    Suffix(u64),
}

/// The answer for the `Range` header `header` (none when absent) on a file of `len` bytes.
pub fn resolve(header: Option<&[u8]>, len: u64) -> RangeAnswer {
    let Some(specs) = header.and_then(parse) else {
        return RangeAnswer::Whole;
    };
    let [spec] = specs.as_slice() else {
        return RangeAnswer::Whole;
    };
    match *spec {
        Spec::FromTo { first, last } => {
            if first >= len {
                return RangeAnswer::Unsatisfiable;
            }
            let end = last.map_or(len - 1, |l| l.min(len - 1));
            RangeAnswer::Part { start: first, end }
        }
        Spec::Suffix(0) => RangeAnswer::Unsatisfiable,
        Spec::Suffix(_) if len == 0 => RangeAnswer::Unsatisfiable,
        Spec::Suffix(n) => RangeAnswer::Part {
            start: len - n.min(len),
            end: len - 1,
        },
    }
}

/// The range specs of a valid `bytes=` header, or `None` when the header is to be ignored.
fn parse(header: &[u8]) -> Option<Vec<Spec>> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (unit, set) = text.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for part in set.split(',') {
        let part = part.trim();
        if part.is_empty() {
            // RFC 9110's list syntax allows empty elements; they carry nothing.
            continue;
        }
        let (first, last) = part.split_once('-')?;
        let spec = match (first.is_empty(), last.is_empty()) {
            (true, true) => return None,
            (true, false) => Spec::Suffix(number(last)?),
            (false, true) => Spec::FromTo {
                first: number(first)?,
                last: None,
            },
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                if last < first {
                    return None;
                }
                Spec::FromTo {
                    first,
                    last: Some(last),
                }
            }
        };
        specs.push(spec);
    }
    (!specs.is_empty()).then_some(specs)
}

/// A run of ASCII digits as a `u64`, saturating at `u64::MAX`; `None` for anything else.
fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(header: &str, len: u64) -> RangeAnswer {
        resolve(Some(header.as_bytes()), len)
    }

    fn part(start: u64, end: u64) -> RangeAnswer {
        RangeAnswer::Part { start, end }
    }

    #[test]
    fn one_satisfiable_range_is_a_part() {
        assert_eq!(answer("bytes=0-99", 1000), part(0, 99));
        assert_eq!(answer("bytes=0-", 1000), part(0, 999));
        assert_eq!(answer("bytes=-10", 1000), part(990, 999));
        assert_eq!(answer("bytes=-5000", 1000), part(0, 999));
        assert_eq!(answer("bytes=900-5000", 1000), part(900, 999));
        assert_eq!(answer("Bytes = 1-1", 1000), part(1, 1));
        assert_eq!(answer("bytes=0-0,", 1000), part(0, 0));
    }

    #[test]
    fn syntactically_invalid_ranges_are_ignored() {
        for bad in [
            "bytes=5-2",
            "items=0-5",
            "bytes=a-b",
            "bytes=",
            "bytes=-",
            "bytes=1-2-3",
            "bytes=0x10-",
            "bytes=+1-2",
            "0-5",
            "bytes=0-5,7-3",
        ] {
            assert_eq!(answer(bad, 1000), RangeAnswer::Whole, "{bad}");
        }
        assert_eq!(resolve(None, 1000), RangeAnswer::Whole);
        assert_eq!(resolve(Some(b"bytes=\xff-1"), 1000), RangeAnswer::Whole);
    }

    #[test]
    fn several_ranges_get_the_whole_file() {
        assert_eq!(answer("bytes=0-0,5-10", 1000), RangeAnswer::Whole);
        assert_eq!(answer("bytes=0-0, -1", 1000), RangeAnswer::Whole);
        assert_eq!(answer("bytes=5000-,6000-", 1000), RangeAnswer::Whole);
    }

    #[test]
    fn ranges_outside_the_file_are_unsatisfiable() {
        assert_eq!(answer("bytes=1000-", 1000), RangeAnswer::Unsatisfiable);
        assert_eq!(answer("bytes=1010-2000", 1000), RangeAnswer::Unsatisfiable);
        assert_eq!(answer("bytes=-0", 1000), RangeAnswer::Unsatisfiable);
        assert_eq!(answer("bytes=0-", 0), RangeAnswer::Unsatisfiable);
        assert_eq!(answer("bytes=-3", 0), RangeAnswer::Unsatisfiable);
    }

    #[test]
    fn huge_numbers_are_consistent() {
        assert_eq!(answer("bytes=0-18446744073709551615", 1000), part(0, 999));
        assert_eq!(answer("bytes=0-99999999999999999999", 1000), part(0, 999));
        assert_eq!(
            answer("bytes=99999999999999999999-", 1000),
            RangeAnswer::Unsatisfiable
        );
        assert_eq!(
            answer("bytes=18446744073709551615-", 1000),
            RangeAnswer::Unsatisfiable
        );
        assert_eq!(answer("bytes=-99999999999999999999", 1000), part(0, 999));
    }
}

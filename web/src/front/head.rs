//! The checks on one HTTP/1 request head, before actix-http sees it: where the head ends, its
//! size against the limits, and whether actix-http's own decoder reads it.

use actix_codec::Decoder;
use actix_http::error::ParseError;
use actix_http::h1::{Codec, Message, MessageType};
use actix_http::StatusCode;
use bytes::BytesMut;

use crate::error::ApiError;

/// Bytes a request line may hold besides its target: the method, two spaces, `HTTP/1.1` and the
/// line end. A line longer than the target limit plus this, with no end in sight, is refused
/// with 414 without waiting for the rest.
pub const REQUEST_LINE_SLACK: usize = 64;

/// The most header fields actix-http's decoder reads (its `MAX_HEADERS`); a head with more is
/// refused with 431 here, as actix would.
pub const MAX_HEADER_FIELDS: usize = 96;

/// The size limits of a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// The longest request target (path and query string), in bytes: `max_uri_bytes`.
    pub max_target_bytes: usize,
    /// The largest header block (every header line after the request line), in bytes:
    /// `max_header_bytes`.
    pub max_header_bytes: usize,
}

/// What the bytes received so far make of the next request head.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadScan {
    /// The head is not complete yet and within the limits so far.
    Incomplete,
    /// The head is complete and within the limits: its first `len` bytes (up to and with the
    /// empty line).
    Complete {
        /// Bytes of the head.
        len: usize,
    },
    /// The head breaks a limit: the refusal to answer.
    Refused(ApiError),
}

/// Finds the end of the head at the start of `buf` and checks its sizes. Empty lines before a
/// request line are skipped, as HTTP/1.1 allows (and actix-http does).
pub fn scan(buf: &[u8], limits: HeadLimits) -> HeadScan {
    let lead = buf
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(buf.len());
    let Some(line_len) = buf[lead..].iter().position(|b| *b == b'\n') else {
        if buf.len() - lead > limits.max_target_bytes + REQUEST_LINE_SLACK {
            return HeadScan::Refused(uri_too_long(limits));
        }
        return HeadScan::Incomplete;
    };
    let line_end = lead + line_len + 1;
    let target_len = buf[lead..line_end]
        .split(|b| *b == b' ')
        .nth(1)
        .map_or(0, <[u8]>::len);
    if target_len > limits.max_target_bytes {
        return HeadScan::Refused(uri_too_long(limits));
    }
    // The head ends at the first empty line: `\n\n` or `\n\r\n`, counted from the request
    // line's own `\n`.
    let mut at = line_end - 1;
    let end = loop {
        let rest = &buf[at + 1..];
        if rest.first() == Some(&b'\n') {
            break Some(at + 2);
        }
        if rest.starts_with(b"\r\n") {
            break Some(at + 3);
        }
        match rest.iter().position(|b| *b == b'\n') {
            Some(next) => at += 1 + next,
            None => break None,
        }
    };
    let header_bytes = end.unwrap_or(buf.len()) - line_end;
    if header_bytes > limits.max_header_bytes {
        return HeadScan::Refused(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request headers are larger than {} bytes",
                limits.max_header_bytes
            ),
        ));
    }
    match end {
        Some(len) => HeadScan::Complete { len },
        None => HeadScan::Incomplete,
    }
}

/// The 414 for a target over the limit.
fn uri_too_long(limits: HeadLimits) -> ApiError {
    ApiError::new(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        format!(
            "the request target is longer than {} bytes",
            limits.max_target_bytes
        ),
    )
}

/// Decodes a complete head (`head`, as [`scan`] delimited it) with the connection's own
/// actix-http codec, so that what passes here is exactly what actix-http reads, and the codec
/// knows what follows the head. Returns what follows (no body, a body, or the rest of the
/// connection), or the refusal for a head actix-http would refuse with an empty answer.
pub fn decode(codec: &mut Codec, head: &[u8]) -> Result<MessageType, ApiError> {
    let mut bytes = BytesMut::from(head);
    match codec.decode(&mut bytes) {
        Ok(Some(Message::Item(_))) if bytes.is_empty() => Ok(codec.message_type()),
        Ok(_) => Err(malformed(
            "the request head is not one HTTP/1.1 request head",
        )),
        Err(ParseError::TooLarge) => Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request has more than {MAX_HEADER_FIELDS} header fields"),
        )),
        Err(err) => Err(malformed(&format!("the request head is malformed: {err}"))),
    }
}

/// A 400 `malformed_request`.
pub fn malformed(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "malformed_request", message)
}

/// The method token at the start of `buf` (for the metrics' closed `method` label), or "" while
/// the request line has not reached its first space.
pub fn method(buf: &[u8]) -> &str {
    let start = buf
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    rest.iter()
        .position(|b| *b == b' ')
        .and_then(|end| std::str::from_utf8(&rest[..end]).ok())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HeadLimits = HeadLimits {
        max_target_bytes: 100,
        max_header_bytes: 200,
    };

    fn codec() -> Codec {
        Codec::new(actix_http::ServiceConfig::default())
    }

    #[test]
    fn heads_are_delimited() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
        assert_eq!(scan(head, LIMITS), HeadScan::Complete { len: 27 });
        assert_eq!(scan(&head[..20], LIMITS), HeadScan::Incomplete);
        assert_eq!(
            scan(b"\r\nGET / HTTP/1.1\n\nx", LIMITS),
            HeadScan::Complete { len: 18 }
        );
        assert_eq!(
            scan(b"GET / HTTP/1.1\r\n\r\n", LIMITS),
            HeadScan::Complete { len: 18 }
        );
        assert_eq!(scan(b"", LIMITS), HeadScan::Incomplete);
        assert_eq!(method(b"\r\nGET / HTTP/1.1"), "GET");
        assert_eq!(method(b"GE"), "");
    }

    #[test]
    fn limits_give_414_and_431() {
        let code = |scan: HeadScan| match scan {
            HeadScan::Refused(err) => (err.status.as_u16(), err.code),
            other => panic!("{other:?}"),
        };
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100));
        assert_eq!(code(scan(long.as_bytes(), LIMITS)), (414, "uri_too_long"));
        // No line end yet, but already too long to be a line with an allowed target.
        let open = "GET /".to_string() + &"a".repeat(200);
        assert_eq!(code(scan(open.as_bytes(), LIMITS)), (414, "uri_too_long"));
        let fat = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "b".repeat(200));
        assert_eq!(
            code(scan(fat.as_bytes(), LIMITS)),
            (431, "headers_too_large")
        );
        // Incomplete, but already past the limit.
        assert_eq!(
            code(scan(&fat.as_bytes()[..220], LIMITS)),
            (431, "headers_too_large")
        );
    }

    // A codec's settings start a date timer: they need an actix runtime.
    #[actix_rt::test]
    async fn the_codec_decides_what_is_malformed() {
        let mut c = codec();
        assert_eq!(
            decode(&mut c, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap(),
            MessageType::None
        );
        assert_eq!(
            decode(
                &mut c,
                b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
            )
            .unwrap(),
            MessageType::Payload
        );
        for bad in [
            &b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"[..],
            b"GET /\0 HTTP/1.1\r\n\r\n",
            b"\x16\x03\x01\x02\x00\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
            // HTTP/1.1 without Host, as actix-http refuses it.
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        ] {
            let err = decode(&mut codec(), bad).unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (400, "malformed_request"));
        }
        let many: String = (0..MAX_HEADER_FIELDS + 1)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect();
        let err = decode(
            &mut codec(),
            format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(),
        )
        .unwrap_err();
        assert_eq!((err.status.as_u16(), err.code), (431, "headers_too_large"));
    }

    /// What checking one head costs (scan and actix-http's decode of a typical search request),
    /// printed: `cargo test -p musearch-web --lib head_check_cost -- --ignored --nocapture`.
    #[actix_rt::test]
    #[ignore = "a measurement, not a check"]
    async fn head_check_cost() {
        let head =
            b"GET /api/v1/search?q=beach%20vibes&limit=20 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
                     User-Agent: wrk\r\nAccept: */*\r\nAccept-Encoding: gzip\r\n\r\n";
        let limits = HeadLimits {
            max_target_bytes: 4096,
            max_header_bytes: 32 * 1024,
        };
        let mut c = codec();
        let n = 200_000;
        let started = std::time::Instant::now();
        for _ in 0..n {
            let HeadScan::Complete { len } = scan(std::hint::black_box(head), limits) else {
                panic!("not complete");
            };
            decode(&mut c, &head[..len]).unwrap();
        }
        let per = started.elapsed().as_secs_f64() / n as f64;
        println!("head check: {:.2} µs per head ({n} heads)", per * 1e6);
    }
}

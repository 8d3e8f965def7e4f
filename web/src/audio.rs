//! Serving an indexed track's audio file: conditional requests on an ETag made of the track's
//! content id and the file's length (nothing of the file system: no inode, no path), Last-Modified,
//! and byte ranges as [`crate::range`] reads them. The file is streamed in chunks read on the
//! blocking pool.

use std::fs::File;
use std::future::Future as _;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{self, EntityTag, HttpDate, IfMatch, IfModifiedSince, IfNoneMatch};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::range::{resolve, RangeAnswer};

/// Bytes read from the file per chunk of the body.
const CHUNK: u64 = 64 * 1024;

/// The strong ETag of a track's audio: its content id and the file's length.
pub fn etag(id: &str, len: u64) -> EntityTag {
    EntityTag::new_strong(format!("{id}-{len}"))
}

/// The answer to `req` for the track `id` whose audio is the open `file` at `path` (only for the
/// log) with `content_type`.
pub fn respond(
    req: &HttpRequest,
    id: &str,
    file: File,
    path: &Path,
    content_type: &str,
) -> std::io::Result<HttpResponse> {
    let meta = file.metadata()?;
    let len = meta.len();
    let tag = etag(id, len);
    let modified = meta.modified().ok().map(HttpDate::from);

    let mut builder = HttpResponse::Ok();
    builder
        .insert_header((header::ETAG, tag.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    if let Some(m) = modified {
        builder.insert_header(header::LastModified(m));
    }

    if let Some(IfMatch::Items(items)) = req.get_header::<IfMatch>() {
        if !items.iter().any(|t| t.strong_eq(&tag)) {
            return Ok(builder.status(StatusCode::PRECONDITION_FAILED).finish());
        }
    }
    if not_modified(req, &tag, modified) {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).finish());
    }

    let range = req
        .headers()
        .get(header::RANGE)
        .filter(|_| if_range_holds(req, &tag, modified))
        .map(|v| v.as_bytes());
    builder.insert_header((header::CONTENT_TYPE, content_type));
    builder.insert_header((header::CONTENT_DISPOSITION, "inline"));
    let (start, end) = match resolve(range, len) {
        RangeAnswer::Whole => (0, len),
        RangeAnswer::Part { start, end } => {
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
            (start, end + 1)
        }
        RangeAnswer::Unsatisfiable => {
            tracing::debug!(path = %path.display(), len, "unsatisfiable range");
            return Ok(builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                .finish());
        }
    };
    Ok(builder.body(FileBody {
        file: Arc::new(file),
        next: start,
        end,
        reading: None,
    }))
}

/// `If-None-Match` (when present, it alone decides), else `If-Modified-Since`.
fn not_modified(req: &HttpRequest, tag: &EntityTag, modified: Option<HttpDate>) -> bool {
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => return true,
        Some(IfNoneMatch::Items(items)) => return items.iter().any(|t| t.weak_eq(tag)),
        None if req.headers().contains_key(header::IF_NONE_MATCH) => return false,
        None => {}
    }
    match (req.get_header::<IfModifiedSince>(), modified) {
        (Some(IfModifiedSince(since)), Some(m)) => {
            let secs = |d: HttpDate| {
                SystemTime::from(d)
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            };
            secs(m) <= secs(since)
        }
        _ => false,
    }
}

/// Whether the `Range` header applies: no `If-Range`, or one naming the current ETag (strong
/// comparison) or the current Last-Modified date exactly.
fn if_range_holds(req: &HttpRequest, tag: &EntityTag, modified: Option<HttpDate>) -> bool {
    let Some(value) = req.headers().get(header::IF_RANGE) else {
        return true;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    if let Ok(t) = text.trim().parse::<EntityTag>() {
        return t.strong_eq(tag);
    }
    match (text.trim().parse::<HttpDate>(), modified) {
        (Ok(d), Some(m)) => d == m,
        _ => false,
    }
}

/// Bytes `next .. end` of a file, read a chunk at a time on the blocking pool.
struct FileBody {
    file: Arc<File>,
    next: u64,
    end: u64,
    reading: Option<actix_web::rt::task::JoinHandle<std::io::Result<Vec<u8>>>>,
}

impl MessageBody for FileBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.end - self.next)
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = &mut *self;
        if this.reading.is_none() {
            if this.next >= this.end {
                return Poll::Ready(None);
            }
            let (file, offset) = (Arc::clone(&this.file), this.next);
            let n = CHUNK.min(this.end - this.next) as usize;
            this.reading = Some(actix_web::rt::task::spawn_blocking(move || {
                let mut buf = vec![0; n];
                file.read_exact_at(&mut buf, offset)?;
                Ok(buf)
            }));
        }
        let Some(reading) = this.reading.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(reading).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(joined) => {
                this.reading = None;
                let chunk = joined.map_err(std::io::Error::other).and_then(|read| read);
                Poll::Ready(Some(chunk.map(|buf| {
                    this.next += buf.len() as u64;
                    Bytes::from(buf)
                })))
            }
        }
    }
}

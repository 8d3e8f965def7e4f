//! [`FrontStream`]: the connection as actix-http reads it. Every request head that arrives is
//! checked ([`super::head`]) before one byte of it reaches actix-http; bodies are framed by the
//! connection's own actix-http codec, so the next head is found exactly where actix-http will
//! look for it. A refused head is answered here, after actix-http has answered every request
//! before it on the connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use actix_codec::{AsyncRead, AsyncWrite, Decoder, ReadBuf};
use actix_http::h1::{Codec, Message, MessageType};
use actix_http::StatusCode;
use actix_rt::time::{sleep, Sleep};
use bytes::{Buf, BytesMut};

use super::head::{self, HeadScan};
use super::{Front, Refusal};
use crate::error::ApiError;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 8 * 1024;

/// How long a refused connection is read and discarded after its answer (so that a client still
/// sending, say, a 1 MB target, gets the answer rather than a reset), and how much of it.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 4 << 20;

/// Where the connection is in its request stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request head.
    Head,
    /// Inside a request body: the codec frames it.
    Body,
    /// After an upgrade or `CONNECT`: the rest of the connection is not HTTP/1 requests.
    Passthrough,
    /// A head was refused (or the client closed): actix-http reads end of stream.
    Closed,
}

/// The answer to a refused head and how far it has been written.
struct Answer {
    bytes: Vec<u8>,
    written: usize,
}

/// An accepted connection with its request heads checked; see the module documentation.
pub struct FrontStream<T> {
    io: T,
    front: Arc<Front>,
    peer: Option<std::net::SocketAddr>,
    codec: Codec,
    /// Received, not yet checked.
    pending: BytesMut,
    /// Checked, for actix-http.
    checked: BytesMut,
    phase: Phase,
    /// When the head now awaited started: the connection's start for the first, its first byte
    /// for a later one.
    head_start: Option<Instant>,
    /// The deadline of that head.
    timer: Option<Pin<Box<Sleep>>>,
    /// No head has passed yet.
    first: bool,
    /// The answer to write before the connection is shut down.
    answer: Option<Answer>,
    /// The linger after an answer: its deadline and the bytes discarded.
    linger: Option<(Pin<Box<Sleep>>, usize)>,
}

impl<T> FrontStream<T> {
    /// Wraps a freshly accepted connection. `codec` is the worker's codec settings (cloning
    /// one is cheap; making one starts a date timer, so each worker makes one).
    pub(crate) fn new(
        io: T,
        front: Arc<Front>,
        codec: &actix_http::ServiceConfig,
        peer: Option<std::net::SocketAddr>,
    ) -> Self {
        FrontStream {
            io,
            codec: Codec::new(codec.clone()),
            front,
            peer,
            pending: BytesMut::new(),
            checked: BytesMut::new(),
            phase: Phase::Head,
            head_start: Some(Instant::now()),
            timer: None,
            first: true,
            answer: None,
            linger: None,
        }
    }

    /// Refuses the head now awaited: logs and counts it once, and keeps its answer for
    /// [`AsyncWrite::poll_shutdown`]. actix-http then reads end of stream.
    fn refuse(&mut self, err: ApiError) {
        let latency = self.head_start.map_or(Duration::ZERO, |s| s.elapsed());
        let method = head::method(&self.pending).to_owned();
        let refusal = Refusal {
            err,
            method,
            latency,
            peer: self.peer,
        };
        self.answer = Some(Answer {
            bytes: self.front.refuse(&refusal),
            written: 0,
        });
        self.pending.clear();
        self.phase = Phase::Closed;
        self.timer = None;
    }

    /// Checks what `pending` holds; returns true when it made progress (bytes checked, a
    /// phase changed, a refusal).
    fn check(&mut self) -> bool {
        match self.phase {
            Phase::Head => {
                if self.pending.is_empty() {
                    return false;
                }
                match head::scan(&self.pending, self.front.limits) {
                    HeadScan::Incomplete => false,
                    HeadScan::Refused(err) => {
                        self.refuse(err);
                        true
                    }
                    HeadScan::Complete { len } => {
                        match head::decode(&mut self.codec, &self.pending[..len]) {
                            Ok(kind) => {
                                self.checked.extend_from_slice(&self.pending[..len]);
                                self.pending.advance(len);
                                self.first = false;
                                self.head_start = None;
                                self.timer = None;
                                self.phase = match kind {
                                    MessageType::None => Phase::Head,
                                    MessageType::Payload => Phase::Body,
                                    MessageType::Stream => Phase::Passthrough,
                                };
                            }
                            Err(err) => self.refuse(err),
                        }
                        true
                    }
                }
            }
            Phase::Body => {
                if self.pending.is_empty() {
                    return false;
                }
                // The codec consumes what it frames; it frames a copy, and the original bytes
                // go on to actix-http.
                let mut scratch = BytesMut::from(&self.pending[..]);
                let mut ended = false;
                loop {
                    match self.codec.decode(&mut scratch) {
                        Ok(Some(Message::Chunk(Some(_)))) => {}
                        Ok(Some(Message::Chunk(None))) | Ok(Some(Message::Item(_))) => {
                            ended = true;
                            break;
                        }
                        Ok(None) => break,
                        Err(err) => {
                            self.refuse(head::malformed(&format!(
                                "the request body is malformed: {err}"
                            )));
                            return true;
                        }
                    }
                }
                let used = self.pending.len() - scratch.len();
                self.checked.extend_from_slice(&self.pending[..used]);
                self.pending.advance(used);
                if ended {
                    self.phase = Phase::Head;
                }
                used > 0 || ended
            }
            Phase::Passthrough => {
                if self.pending.is_empty() {
                    return false;
                }
                let rest = self.pending.split();
                self.checked.unsplit(rest);
                true
            }
            Phase::Closed => false,
        }
    }
}

impl<T: AsyncRead + Unpin> FrontStream<T> {
    /// The deadline of the head now awaited, armed when the head has started (the first head
    /// starts with the connection; a later one with its first byte). An idle keep-alive
    /// connection has none here: actix-http's keep-alive timer closes it.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.phase != Phase::Head || (!self.first && self.pending.is_empty()) {
            return Poll::Pending;
        }
        let start = *self.head_start.get_or_insert_with(Instant::now);
        let timeout = self.front.head_timeout;
        let timer = self.timer.get_or_insert_with(|| {
            let left = timeout.saturating_sub(start.elapsed());
            Box::pin(sleep(left))
        });
        timer.as_mut().poll(cx)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for FrontStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.checked.is_empty() {
                let n = buf.remaining().min(this.checked.len());
                buf.put_slice(&this.checked[..n]);
                this.checked.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.phase == Phase::Closed {
                return Poll::Ready(Ok(()));
            }
            if this.check() {
                continue;
            }
            if this.poll_deadline(cx).is_ready() {
                this.refuse(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                        "the request head did not arrive within {} ms",
                        this.front.head_timeout.as_millis()
                    ),
                ));
                continue;
            }
            let mut chunk = [0u8; READ_CHUNK];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                // The client closed its side. A body in flight goes on to actix-http as it is
                // (it sees the end too); a partial head is dropped unanswered, as no one reads.
                if this.phase == Phase::Body {
                    let rest = this.pending.split();
                    this.checked.unsplit(rest);
                }
                this.pending.clear();
                this.phase = Phase::Closed;
                continue;
            }
            if this.phase == Phase::Head && this.pending.is_empty() && this.head_start.is_none() {
                this.head_start = Some(Instant::now());
            }
            this.pending.extend_from_slice(read.filled());
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for FrontStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// actix-http is done with the connection: answers a refused head (or a head that was still
    /// arriving when actix-http's keep-alive timer closed the connection: 408), then lingers
    /// briefly so the client reads the answer, then shuts the socket down.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.phase == Phase::Head && !this.pending.is_empty() && this.checked.is_empty() {
            this.refuse(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request head did not arrive before the connection's keep-alive time ran out",
            ));
        }
        if let Some(answer) = &mut this.answer {
            while answer.written < answer.bytes.len() {
                let n =
                    ready!(Pin::new(&mut this.io).poll_write(cx, &answer.bytes[answer.written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                answer.written += n;
            }
            ready!(Pin::new(&mut this.io).poll_flush(cx))?;
            ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            this.answer = None;
            this.linger = Some((Box::pin(sleep(LINGER)), 0));
        }
        if let Some((deadline, discarded)) = &mut this.linger {
            loop {
                if deadline.as_mut().poll(cx).is_ready() || *discarded > LINGER_BYTES {
                    break;
                }
                let mut chunk = [0u8; READ_CHUNK];
                let mut read = ReadBuf::new(&mut chunk);
                match ready!(Pin::new(&mut this.io).poll_read(cx, &mut read)) {
                    Ok(()) if !read.filled().is_empty() => *discarded += read.filled().len(),
                    _ => break,
                }
            }
            this.linger = None;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

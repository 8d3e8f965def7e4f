//! Decoding audio files to mono PCM, a packet at a time.
//!
//! symphonia probes the container from the file's *content* (the extension is only a hint), so a
//! Vorbis file named `.mp3` decodes as Vorbis. Formats: MP3, Ogg (Vorbis, Opus, FLAC), FLAC,
//! WAV (8/16/24/32-bit integer, 32/64-bit float, A-law, µ-law, ADPCM), MP4/M4A (AAC-LC, ALAC),
//! Matroska/WebM. Opus goes through libopus ([`super::opus`]). Channels are averaged to mono,
//! as librosa's `to_mono` does.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use symphonia::core::audio::{AudioBufferRef, SampleBuffer};
use symphonia::core::codecs::{
    CodecRegistry, Decoder, DecoderOptions, CODEC_TYPE_AAC, CODEC_TYPE_NULL,
};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, MetadataRevision, StandardTagKey};
use symphonia::core::probe::Hint;

use super::error::AudioError;
use super::guard;
use super::ogg_end::ogg_cut;
use super::opus::OpusDecoder;

/// Stop after this many consecutive undecodable packets: the stream is not audio any more.
const MAX_CONSECUTIVE_DECODE_ERRORS: usize = 64;
/// Largest sample magnitude accepted: 120 dB over full scale. Beyond it a float file is not audio,
/// and its values would overflow the resampler's f32 arithmetic.
const MAX_SAMPLE_MAGNITUDE: f32 = 1e6;
/// Sample rates outside this range are treated as a broken header.
const SAMPLE_RATE_RANGE: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// The codec registry: symphonia's decoders plus libopus.
fn codec_registry() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_all::<OpusDecoder>();
        registry
    })
}

/// Text metadata of a track, from ID3v1/v2, Vorbis comments, MP4 atoms or RIFF INFO chunks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrackMetadata {
    /// Track title.
    pub title: Option<String>,
    /// Performing artist.
    pub artist: Option<String>,
    /// Album (or game/soundtrack) title.
    pub album: Option<String>,
    /// Genre as written in the file.
    pub genre: Option<String>,
    /// Release year or date as written in the file.
    pub date: Option<String>,
    /// Track number as written in the file (`"3"` or `"3/12"`).
    pub track_number: Option<String>,
}

impl TrackMetadata {
    fn absorb(&mut self, revision: &MetadataRevision) {
        for tag in revision.tags() {
            let Some(key) = tag.std_key else { continue };
            let slot = match key {
                StandardTagKey::TrackTitle => &mut self.title,
                StandardTagKey::Artist => &mut self.artist,
                StandardTagKey::AlbumArtist if self.artist.is_none() => &mut self.artist,
                StandardTagKey::Album => &mut self.album,
                StandardTagKey::Genre => &mut self.genre,
                StandardTagKey::Date
                | StandardTagKey::ReleaseDate
                | StandardTagKey::OriginalDate => &mut self.date,
                StandardTagKey::TrackNumber => &mut self.track_number,
                _ => continue,
            };
            let value = tag.value.to_string();
            let value = value.trim();
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value.to_string());
            }
        }
    }
}

/// What the container says about the audio stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamInfo {
    /// Sample rate of the stream in Hz.
    pub sample_rate: u32,
    /// Number of channels in the stream (before the down-mix).
    pub channels: usize,
    /// Short codec name (`mp3`, `vorbis`, `opus`, `flac`, `aac`, `pcm_s16le` …).
    pub codec: String,
    /// Length in samples per channel, when the container declares it.
    pub declared_frames: Option<u64>,
    /// Text metadata.
    pub metadata: TrackMetadata,
}

impl StreamInfo {
    /// Declared duration in seconds, when known.
    pub fn declared_secs(&self) -> Option<f64> {
        self.declared_frames
            .map(|n| n as f64 / self.sample_rate as f64)
    }
}

/// A streaming decoder: opens a file, then yields mono `f32` samples a packet at a time.
///
/// Memory use is one packet's worth of samples whatever the length of the file.
pub struct AudioDecoder {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    info: StreamInfo,
    sample_buf: Option<SampleBuffer<f32>>,
    decoded_frames: u64,
    decode_errors: usize,
    finished: bool,
    /// Leading samples per channel still to drop (AAC encoder priming from an MP4 edit list).
    skip_remaining: u64,
    /// Where the container shows the file was cut, when it does (an Ogg stream's last page);
    /// checked at the end of the stream as the declared length is for other containers.
    cut: Option<String>,
    /// Whether a truncated stream ends normally (the truncation kept in `truncation`) rather than
    /// with an error.
    keep_truncated: bool,
    /// The truncation found at the end of the stream, when `keep_truncated`.
    truncation: Option<AudioError>,
}

impl std::fmt::Debug for AudioDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioDecoder")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish()
    }
}

impl AudioDecoder {
    /// Opens `path`, probes its content and prepares a decoder for its first audio track.
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let file = File::open(path).map_err(|source| AudioError::Io {
            path: path.to_owned(),
            source,
        })?;
        let meta = file.metadata().map_err(|source| AudioError::Io {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            return Err(AudioError::Io {
                path: path.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "is a directory"),
            });
        }
        let priming = || {
            File::open(path)
                .ok()
                .and_then(|mut f| super::mp4::audio_priming(&mut f))
        };
        let cut = File::open(path)
            .ok()
            .and_then(|mut f| ogg_cut(&mut f, meta.len()));
        let mut decoder = Self::from_source(path, Box::new(file), meta.len(), &priming)?;
        decoder.cut = cut;
        Ok(decoder)
    }

    /// Decodes audio held in memory; `label` names it in errors and its extension is a hint.
    pub fn from_bytes(label: &Path, bytes: Vec<u8>) -> Result<Self, AudioError> {
        let len = bytes.len() as u64;
        let cut = ogg_cut(&mut std::io::Cursor::new(&bytes), len);
        let copy = bytes.clone();
        let priming = move || super::mp4::audio_priming(&mut std::io::Cursor::new(&copy));
        let mut decoder =
            Self::from_source(label, Box::new(std::io::Cursor::new(bytes)), len, &priming)?;
        decoder.cut = cut;
        Ok(decoder)
    }

    /// `priming` reads the MP4 edit list's priming count; it is called only for AAC streams.
    fn from_source(
        path: &Path,
        source: Box<dyn MediaSource>,
        len: u64,
        priming: &dyn Fn() -> Option<(u64, u32)>,
    ) -> Result<Self, AudioError> {
        if len == 0 {
            return Err(AudioError::Empty {
                path: path.to_owned(),
            });
        }
        let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format_opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probe = || {
            symphonia::default::get_probe().format(
                &hint,
                mss,
                &format_opts,
                &MetadataOptions::default(),
            )
        };
        let mut probed = guard::contain(probe)
            .map_err(|panic| AudioError::Corrupt {
                path: path.to_owned(),
                reason: format!("container reader failed: {panic}"),
            })?
            .map_err(|err| AudioError::UnsupportedFormat {
                path: path.to_owned(),
                reason: match err {
                    SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                        "no known audio container or stream was recognised in its content"
                            .to_string()
                    }
                    SymphoniaError::IoError(e) => format!("read error while probing: {e}"),
                    SymphoniaError::Unsupported(_) => {
                        "no known audio container or stream was recognised in its content"
                            .to_string()
                    }
                    other => other.to_string(),
                },
            })?;

        let mut metadata = TrackMetadata::default();
        if let Some(rev) = probed.metadata.get().as_ref().and_then(|m| m.current()) {
            metadata.absorb(rev);
        }
        if let Some(rev) = probed.format.metadata().current() {
            metadata.absorb(rev);
        }

        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| {
                t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some()
            })
            .or_else(|| {
                format
                    .tracks()
                    .iter()
                    .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            })
            .ok_or_else(|| {
                if format.tracks().is_empty() {
                    AudioError::NoAudioTrack {
                        path: path.to_owned(),
                    }
                } else {
                    // The container has tracks, but in codecs symphonia does not even name.
                    AudioError::UnsupportedCodec {
                        path: path.to_owned(),
                        codec: "not one musearch can decode (the container does not even name it)"
                            .into(),
                    }
                }
            })?;
        let params = track.codec_params.clone();
        let track_id = track.id;

        let codec = codec_registry()
            .get_codec(params.codec)
            .map(|d| d.short_name.to_string())
            .unwrap_or_else(|| format!("{:?}", params.codec));
        let decoder = codec_registry()
            .make(&params, &DecoderOptions::default())
            .map_err(|err| match err {
                SymphoniaError::Unsupported(what) => AudioError::UnsupportedCodec {
                    path: path.to_owned(),
                    codec: if codec_registry().get_codec(params.codec).is_some() {
                        what.to_string()
                    } else {
                        format!("{codec} ({what})")
                    },
                },
                other => AudioError::Corrupt {
                    path: path.to_owned(),
                    reason: other.to_string(),
                },
            })?;

        let sample_rate = params
            .sample_rate
            .ok_or_else(|| AudioError::InvalidStream {
                path: path.to_owned(),
                reason: "no sample rate".into(),
            })?;
        if !SAMPLE_RATE_RANGE.contains(&sample_rate) {
            return Err(AudioError::InvalidStream {
                path: path.to_owned(),
                reason: format!("sample rate {sample_rate} Hz is out of range"),
            });
        }
        let channels = params.channels.map(|c| c.count()).unwrap_or(0);
        // symphonia trims MP3 and Ogg itself (gapless mode) but not AAC in MP4.
        let skip_remaining = if params.codec == CODEC_TYPE_AAC {
            priming()
                .map(|(skip, timescale)| skip * sample_rate as u64 / timescale.max(1) as u64)
                .unwrap_or(0)
        } else {
            0
        };
        let info = StreamInfo {
            sample_rate,
            channels,
            codec,
            declared_frames: params.n_frames.map(|n| n.saturating_sub(skip_remaining)),
            metadata,
        };
        Ok(AudioDecoder {
            path: path.to_owned(),
            format,
            decoder,
            track_id,
            info,
            sample_buf: None,
            decoded_frames: 0,
            decode_errors: 0,
            finished: false,
            skip_remaining,
            cut: None,
            keep_truncated: false,
            truncation: None,
        })
    }

    /// With `true`, a stream that ends before its container says it should ends normally: what
    /// decoded is kept and the truncation ([`AudioError::Truncated`] or [`AudioError::Cut`]) is
    /// returned by [`truncation`](Self::truncation) instead of ending the decode with it (the
    /// default).
    pub fn keep_truncated(&mut self, keep: bool) {
        self.keep_truncated = keep;
    }

    /// The truncation found at the end of the stream, when [`keep_truncated`](Self::keep_truncated)
    /// was set and the stream was cut.
    pub fn truncation(&self) -> Option<&AudioError> {
        self.truncation.as_ref()
    }

    /// What the container declares about the stream.
    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// The file being decoded.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Samples per channel decoded so far.
    pub fn decoded_frames(&self) -> u64 {
        self.decoded_frames
    }

    /// Packets that failed to decode and were skipped so far.
    pub fn decode_errors(&self) -> usize {
        self.decode_errors
    }

    /// Decodes the next packet and *appends* its samples, down-mixed to mono, to `out`.
    ///
    /// Returns `Ok(false)` at the end of the stream. A packet that fails to decode is skipped
    /// (counted in [`decode_errors`](Self::decode_errors)); a run of such packets, non-finite
    /// samples, or a stream shorter than its header declares end the decode with an error.
    pub fn next_mono(&mut self, out: &mut Vec<f32>) -> Result<bool, AudioError> {
        let mut consecutive_errors = 0usize;
        loop {
            if self.finished {
                return Ok(false);
            }
            let next = guard::contain(|| self.format.next_packet());
            let next =
                next.map_err(|panic| self.fail(format!("container reader failed: {panic}")))?;
            let packet = match next {
                Ok(packet) => packet,
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return self.finish();
                }
                Err(SymphoniaError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(SymphoniaError::IoError(source)) => {
                    return Err(AudioError::Io {
                        path: self.path.clone(),
                        source,
                    })
                }
                Err(err) => {
                    // The container broke down mid-stream. What was decoded is kept if there is
                    // some and `finish` finds it as long as the header declares (else: truncated).
                    if self.decoded_frames > 0 {
                        tracing::warn!(path = %self.path.display(), "stream ends with a container error: {err}");
                        return self.finish();
                    }
                    return Err(AudioError::Corrupt {
                        path: self.path.clone(),
                        reason: err.to_string(),
                    });
                }
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoder = &mut self.decoder;
            let decoded = guard::contain(|| decoder.decode(&packet).map(|_| ()));
            let decoded = decoded.map_err(|panic| self.fail(format!("decoder failed: {panic}")))?;
            let decoded = match decoded.map(|()| self.decoder.last_decoded()) {
                Ok(decoded) => decoded,
                Err(SymphoniaError::DecodeError(reason)) => {
                    self.decode_errors += 1;
                    consecutive_errors += 1;
                    tracing::debug!(path = %self.path.display(), "skipping undecodable packet: {reason}");
                    if consecutive_errors >= MAX_CONSECUTIVE_DECODE_ERRORS {
                        return Err(AudioError::Corrupt {
                            path: self.path.clone(),
                            reason: format!("{consecutive_errors} consecutive packets failed to decode (last: {reason})"),
                        });
                    }
                    continue;
                }
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return self.finish();
                }
                Err(SymphoniaError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(SymphoniaError::Unsupported(what)) => {
                    return Err(AudioError::UnsupportedCodec {
                        path: self.path.clone(),
                        codec: what.to_string(),
                    })
                }
                Err(err) => {
                    return Err(AudioError::Corrupt {
                        path: self.path.clone(),
                        reason: err.to_string(),
                    })
                }
            };
            let spec = *decoded.spec();
            let frames = decoded.frames();
            if frames == 0 {
                continue;
            }
            let channels = spec.channels.count();
            if channels == 0 {
                return Err(AudioError::InvalidStream {
                    path: self.path.clone(),
                    reason: "zero channels".into(),
                });
            }
            let start = out.len();
            let scale = 1.0 / channels as f32;
            if let AudioBufferRef::F32(buf) = &decoded {
                // Most lossy decoders (MP3, Vorbis, AAC, Opus) give planar f32: mix straight from it.
                let planes = buf.planes();
                let planes = planes.planes();
                match planes {
                    [mono] => out.extend_from_slice(&mono[..frames]),
                    [left, right] => out.extend(
                        left[..frames]
                            .iter()
                            .zip(&right[..frames])
                            .map(|(l, r)| (l + r) * 0.5),
                    ),
                    _ => out.extend(
                        (0..frames).map(|i| planes.iter().map(|p| p[i]).sum::<f32>() * scale),
                    ),
                }
            } else {
                let needed = (frames * channels) as u64;
                let buf = match &mut self.sample_buf {
                    Some(buf) if buf.capacity() as u64 >= needed => buf,
                    slot => slot.insert(SampleBuffer::new(
                        decoded.capacity().max(frames) as u64,
                        spec,
                    )),
                };
                buf.copy_interleaved_ref(decoded);
                let samples = buf.samples();
                if channels == 1 {
                    out.extend_from_slice(samples);
                } else {
                    out.extend(
                        samples
                            .chunks_exact(channels)
                            .map(|frame| frame.iter().sum::<f32>() * scale),
                    );
                }
            }
            if self.info.channels == 0 {
                // Some containers (MP4/AAC) only reveal the channel count once decoding starts.
                self.info.channels = channels;
            }
            let mut frames = frames;
            if self.skip_remaining > 0 {
                let drop = self.skip_remaining.min(frames as u64) as usize;
                out.drain(start..start + drop);
                self.skip_remaining -= drop as u64;
                frames -= drop;
            }
            // NaN, ±inf and absurd magnitudes alike end the decode.
            if let Some(bad) = out[start..]
                .iter()
                .position(|s| !s.is_finite() || s.abs() > MAX_SAMPLE_MAGNITUDE)
            {
                let value = out[start + bad];
                let seconds =
                    (self.decoded_frames + bad as u64) as f64 / self.info.sample_rate as f64;
                let path = self.path.clone();
                return Err(if value.is_finite() {
                    AudioError::OutOfRangeSamples {
                        path,
                        seconds,
                        magnitude: value.abs(),
                    }
                } else {
                    AudioError::NonFiniteSamples { path, seconds }
                });
            }
            self.decoded_frames += frames as u64;
            return Ok(true);
        }
    }

    /// Stops decoding after a contained panic: the reader's state can no longer be trusted.
    fn fail(&mut self, reason: String) -> AudioError {
        self.finished = true;
        AudioError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    /// End of stream: check that something was decoded and that it is as long as declared.
    fn finish(&mut self) -> Result<bool, AudioError> {
        self.finished = true;
        if self.decoded_frames == 0 {
            return Err(if self.decode_errors > 0 {
                AudioError::Corrupt {
                    path: self.path.clone(),
                    reason: format!(
                        "none of its {} audio packets could be decoded",
                        self.decode_errors
                    ),
                }
            } else {
                AudioError::NoSamples {
                    path: self.path.clone(),
                }
            });
        }
        let truncation = if let Some(declared) = self
            .info
            .declared_frames
            // Tolerate encoder padding and rounding in headers: half a second or 1 %.
            .filter(|&d| self.decoded_frames + (self.info.sample_rate as u64 / 2).max(d / 100) < d)
        {
            let rate = self.info.sample_rate as f64;
            Some(AudioError::Truncated {
                path: self.path.clone(),
                decoded_secs: self.decoded_frames as f64 / rate,
                declared_secs: declared as f64 / rate,
            })
        } else {
            self.cut.take().map(|reason| AudioError::Cut {
                path: self.path.clone(),
                decoded_secs: self.decoded_frames as f64 / self.info.sample_rate as f64,
                reason,
            })
        };
        match truncation {
            Some(err) if !self.keep_truncated => return Err(err),
            found => self.truncation = found,
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/audio");
        std::fs::read(root.join(name)).unwrap()
    }

    /// Decodes `bytes` to the end.
    fn decode_all(name: &str, bytes: Vec<u8>) -> Result<u64, AudioError> {
        let mut decoder = AudioDecoder::from_bytes(Path::new(name), bytes)?;
        let mut out = Vec::new();
        while decoder.next_mono(&mut out)? {
            out.clear();
        }
        Ok(decoder.decoded_frames())
    }

    #[test]
    fn whole_ogg_and_opus_files_are_not_cut() {
        for name in ["real_48k_stereo.ogg", "real_48k_stereo.opus"] {
            let bytes = fixture(name);
            assert_eq!(
                ogg_cut(&mut std::io::Cursor::new(&bytes), bytes.len() as u64),
                None
            );
            assert!(decode_all(name, bytes).is_ok(), "{name}");
        }
    }

    #[test]
    fn ogg_and_opus_files_cut_anywhere_are_truncated() {
        for name in ["real_48k_stereo.ogg", "real_48k_stereo.opus"] {
            let whole = fixture(name);
            for percent in [60, 75, 90] {
                let bytes = whole[..whole.len() * percent / 100].to_vec();
                match decode_all(name, bytes) {
                    Err(err @ AudioError::Cut { .. }) => assert_eq!(err.code(), "truncated"),
                    other => panic!("{name} cut at {percent} %: {other:?}"),
                }
            }
            // Cut exactly after a whole page: only the missing end-of-stream flag shows it.
            let last = (0..whole.len() - 4)
                .rev()
                .find(|&p| &whole[p..p + 4] == b"OggS")
                .unwrap();
            let reason = ogg_cut(&mut std::io::Cursor::new(&whole[..last]), last as u64);
            assert!(
                reason
                    .as_deref()
                    .is_some_and(|r| r.contains("end-of-stream")),
                "{name}: {reason:?}"
            );
        }
    }
}

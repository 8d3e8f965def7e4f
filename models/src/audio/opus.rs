//! An Opus decoder for symphonia, backed by libopus.
//!
//! symphonia demuxes Ogg Opus (and Matroska/WebM Opus) but has no Opus decoder; this module
//! plugs libopus (through the `opus` crate) into symphonia's codec registry, so Opus files go
//! through the same decode path as every other format. The decoder removes the stream's
//! pre-skip (the encoder's look-ahead, RFC 7845 §4.2) and honours symphonia's per-packet
//! gapless trims, so sample 0 is the first real sample, as with libopusfile.

use symphonia::core::audio::{
    AsAudioBufferRef, AudioBuffer, AudioBufferRef, Channels, Signal, SignalSpec,
};
use symphonia::core::codecs::{
    CodecDescriptor, CodecParameters, Decoder, DecoderOptions, FinalizeResult, CODEC_TYPE_OPUS,
};
use symphonia::core::errors::{decode_error, unsupported_error, Error, Result};
use symphonia::core::formats::Packet;
use symphonia::core::support_codec;

/// Opus always decodes at 48 kHz (RFC 7845 §5.1: the output rate of Ogg Opus).
const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz, per channel.
const MAX_FRAMES_PER_PACKET: usize = 5760;

/// A symphonia [`Decoder`] for Opus streams of one or two channels (channel mapping family 0,
/// or family 1 with one or two channels). Multistream surround Opus is refused as unsupported.
pub struct OpusDecoder {
    params: CodecParameters,
    /// libopus' decoder is `Send` but not `Sync`; symphonia's trait wants both.
    inner: std::sync::Mutex<opus::Decoder>,
    channels: usize,
    /// Interleaved scratch output of libopus.
    interleaved: Vec<f32>,
    buf: AudioBuffer<f32>,
    /// Pre-skip samples (per channel) still to drop from the start of the stream.
    skip_remaining: usize,
    pre_skip: usize,
}

impl OpusDecoder {
    fn make_decoder(channels: usize) -> Result<opus::Decoder> {
        let ch = match channels {
            1 => opus::Channels::Mono,
            2 => opus::Channels::Stereo,
            _ => {
                return unsupported_error(
                    "opus: multistream (more than 2 channels) is not supported",
                )
            }
        };
        opus::Decoder::new(OPUS_RATE, ch)
            .map_err(|_| Error::Unsupported("opus: libopus refused the stream parameters"))
    }
}

impl Decoder for OpusDecoder {
    fn try_new(params: &CodecParameters, _options: &DecoderOptions) -> Result<Self> {
        let channels = params.channels.map(|c| c.count()).unwrap_or(0);
        if channels == 0 {
            return decode_error("opus: stream declares no channels");
        }
        // The OpusHead packet (kept as extra data) states the channel mapping family; family 1
        // with more than two channels and families 2/255 use multistream packets.
        if let Some(head) = params.extra_data.as_deref() {
            if head.len() >= 19 && head[18] != 0 && channels > 2 {
                return unsupported_error("opus: multistream (surround) streams are not supported");
            }
        }
        let inner = Self::make_decoder(channels)?;
        let pre_skip = params.delay.unwrap_or(0) as usize;
        let spec = SignalSpec::new(OPUS_RATE, params.channels.unwrap_or(Channels::FRONT_LEFT));
        Ok(OpusDecoder {
            params: params.clone(),
            inner: std::sync::Mutex::new(inner),
            channels,
            interleaved: vec![0.0; MAX_FRAMES_PER_PACKET * channels],
            buf: AudioBuffer::new(MAX_FRAMES_PER_PACKET as u64, spec),
            skip_remaining: pre_skip,
            pre_skip,
        })
    }

    fn supported_codecs() -> &'static [CodecDescriptor] {
        &[support_codec!(CODEC_TYPE_OPUS, "opus", "Opus (libopus)")]
    }

    fn reset(&mut self) {
        // After a seek the pre-skip no longer applies; libopus' state must be cleared.
        let _ = self.inner.get_mut().map(|d| d.reset_state());
        self.skip_remaining = 0;
        self.buf.clear();
    }

    fn codec_params(&self) -> &CodecParameters {
        &self.params
    }

    fn decode(&mut self, packet: &Packet) -> Result<AudioBufferRef<'_>> {
        self.buf.clear();
        let inner = match self.inner.get_mut() {
            Ok(inner) => inner,
            Err(_) => return decode_error("opus: decoder state was poisoned"),
        };
        let frames = match inner.decode_float(&packet.data, &mut self.interleaved, false) {
            Ok(n) => n,
            Err(_) => return decode_error("opus: libopus could not decode a packet"),
        };
        // Drop what is left of the pre-skip, then symphonia's gapless trims.
        let skip = self.skip_remaining.min(frames);
        self.skip_remaining -= skip;
        let start = (skip + packet.trim_start as usize).min(frames);
        let end = frames.saturating_sub(packet.trim_end as usize).max(start);
        let kept = end - start;
        self.buf.render_reserved(Some(kept));
        for ch in 0..self.channels {
            let plane = self.buf.chan_mut(ch);
            for (i, out) in plane.iter_mut().enumerate() {
                *out = self.interleaved[(start + i) * self.channels + ch];
            }
        }
        Ok(self.buf.as_audio_buffer_ref())
    }

    fn finalize(&mut self) -> FinalizeResult {
        FinalizeResult::default()
    }

    fn last_decoded(&self) -> AudioBufferRef<'_> {
        self.buf.as_audio_buffer_ref()
    }
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("channels", &self.channels)
            .field("pre_skip", &self.pre_skip)
            .finish()
    }
}

//! Fuzzes the whole front-end (probe, demux, decode, resample, log-mel) on arbitrary bytes.
//! Any outcome but a panic, a hang or a crash is fine: bad input must become an `AudioError`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use musearch_models::audio::{stream_log_mel_from, AudioDecoder};

/// Extension hints the probe may be given; the content decides, but hints steer the order.
const HINTS: [&str; 8] = ["mp3", "ogg", "opus", "flac", "wav", "m4a", "mka", "bin"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let label = format!("fuzz.{}", HINTS[selector as usize % HINTS.len()]);
    if let Ok(decoder) = AudioDecoder::from_bytes(Path::new(&label), bytes.to_vec()) {
        let mut frames = 0usize;
        let _ = stream_log_mel_from(decoder, &mut |frame| {
            assert_eq!(frame.len(), 96);
            assert!(
                frame.iter().all(|v| v.is_finite() && *v >= 0.0),
                "log-mel must be finite and non-negative"
            );
            frames += 1;
        });
    }
});

//! Bad input gets a typed error naming the file and the cause, never a panic; odd but valid
//! input (wrong extension, six channels, shorter than a patch) gets correct output.

#![cfg(feature = "audio")]

use std::path::{Path, PathBuf};

use musearch_models::audio::{self, AudioDecoder, AudioError, PATCH_FRAMES};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/audio")
        .join(name)
}

/// Runs the whole front-end on `name` and returns its error, checking that the error names the file.
fn error_of(name: &str) -> AudioError {
    let path = fixture(name);
    let err = audio::log_mel_file(&path).expect_err(&format!("{name} should fail"));
    assert_eq!(err.path(), path, "error must name the file");
    let message = err.to_string();
    assert!(
        message.contains(path.to_str().unwrap()),
        "message should name the file: {message}"
    );
    err
}

#[test]
fn empty_file() {
    assert!(matches!(
        error_of("bad/empty.mp3"),
        AudioError::Empty { .. }
    ));
}

#[test]
fn garbage_bytes() {
    assert!(matches!(
        error_of("bad/garbage.ogg"),
        AudioError::UnsupportedFormat { .. }
    ));
}

#[test]
fn text_file_with_audio_extension() {
    assert!(matches!(
        error_of("bad/text.wav"),
        AudioError::UnsupportedFormat { .. }
    ));
}

#[test]
fn unsupported_container() {
    assert!(matches!(
        error_of("bad/unsupported_container.wma"),
        AudioError::UnsupportedFormat { .. }
    ));
}

#[test]
fn unsupported_codec() {
    let err = error_of("bad/unsupported_codec.mka");
    assert!(matches!(err, AudioError::UnsupportedCodec { .. }), "{err}");
}

#[test]
fn header_without_samples() {
    assert!(matches!(
        error_of("bad/header_only.wav"),
        AudioError::NoSamples { .. }
    ));
}

#[test]
fn nan_and_infinite_samples() {
    match error_of("bad/nan_inf_f32.wav") {
        AudioError::NonFiniteSamples { seconds, .. } => assert!(seconds >= 0.0),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn truncated_flac_and_mp3() {
    for name in ["bad/truncated.flac", "bad/truncated.mp3"] {
        match error_of(name) {
            AudioError::Truncated {
                decoded_secs,
                declared_secs,
                ..
            } => {
                assert!(
                    decoded_secs < declared_secs,
                    "{name}: {decoded_secs} vs {declared_secs}"
                )
            }
            other => panic!("{name}: unexpected {other}"),
        }
    }
}

#[test]
fn missing_file_and_directory() {
    let missing = fixture("no/such/file.ogg");
    assert!(matches!(
        audio::log_mel_file(&missing),
        Err(AudioError::Io { .. })
    ));
    let dir = fixture("bad");
    assert!(matches!(
        audio::log_mel_file(&dir),
        Err(AudioError::Io { .. })
    ));
}

#[test]
fn wrong_extension_is_decoded_by_content() {
    let decoder = AudioDecoder::open(&fixture("ogg_named.mp3")).unwrap();
    assert_eq!(decoder.info().codec, "vorbis");
}

#[test]
fn six_channels_are_downmixed() {
    let (mel, summary) = audio::log_mel_file(&fixture("surround_6ch_48k.wav")).unwrap();
    assert_eq!(summary.info.channels, 6);
    assert_eq!(mel.n_frames, 1 + (summary.samples_16k as usize) / 256);
}

#[test]
fn clip_shorter_than_a_patch_fills_one_patch() {
    let (mel, _) = audio::log_mel_file(&fixture("short_2s_16k.wav")).unwrap();
    assert!(mel.n_frames < PATCH_FRAMES);
    assert_eq!(mel.patches().len(), PATCH_FRAMES * 96);
}

#[test]
fn every_bad_fixture_fails_cleanly_from_memory_too() {
    // The in-memory path (used by the fuzzer) must agree with the file path.
    for entry in std::fs::read_dir(fixture("bad")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let from_file = audio::log_mel_file(&path).err().map(|e| e.code());
        let from_memory = AudioDecoder::from_bytes(&path, bytes)
            .and_then(|d| audio::stream_log_mel_from(d, &mut |_| {}))
            .err()
            .map(|e| e.code());
        assert!(from_file.is_some(), "{} should fail", path.display());
        assert_eq!(from_file, from_memory, "{}", path.display());
    }
}

#[test]
fn random_corruptions_never_panic() {
    // Flip bytes of every good fixture at pseudo-random places: the decoder may recover or
    // fail, but must return.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in [
        "real_44k_stereo.mp3",
        "real_48k_stereo.ogg",
        "real_48k_stereo.opus",
        "real_44k_stereo.flac",
        "real_44k_stereo.m4a",
        "pcm_s24_48k.wav",
    ] {
        let original = std::fs::read(fixture(name)).unwrap();
        for _ in 0..8 {
            let mut bytes = original.clone();
            for _ in 0..16 {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            let cut = bytes.len() - (next() as usize) % (bytes.len() / 2);
            bytes.truncate(cut);
            let _ = AudioDecoder::from_bytes(Path::new(name), bytes)
                .and_then(|d| audio::stream_log_mel_from(d, &mut |_| {}));
        }
    }
}

#[test]
fn crafted_matroska_that_crashed_symphonia_is_contained() {
    // Found by the fuzzer (scripts/fuzz.sh): an EBML size that overflows inside symphonia's
    // Matroska reader. With overflow checks (debug and test builds) that is a panic in the
    // dependency, which the decoder contains; either way the caller gets an error value.
    let err = error_of("bad/fuzz_mkv_overflow.mka");
    assert!(
        matches!(
            err,
            AudioError::Corrupt { .. }
                | AudioError::UnsupportedFormat { .. }
                | AudioError::UnsupportedCodec { .. }
        ),
        "{err}"
    );
}

#[test]
fn float_samples_of_absurd_magnitude() {
    // Found by the fuzzer: a float WAV whose samples reach ~1e38 overflowed the resampler's f32
    // arithmetic into infinities. Values beyond ±1e6 (120 dB over full scale) are refused.
    match error_of("bad/fuzz_huge_float.wav") {
        AudioError::OutOfRangeSamples { magnitude, .. } => assert!(magnitude > 1e6),
        AudioError::NonFiniteSamples { .. } => {}
        other => panic!("unexpected {other}"),
    }
}

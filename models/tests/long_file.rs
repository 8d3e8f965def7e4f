//! A 10-hour file streams through the front-end in constant memory.
//!
//! The file is a real WAV of 10 hours of 16 kHz 16-bit silence, written sparse so that it costs
//! no disk space; the front-end still decodes and analyses every one of its 576 million samples.
//! This test runs alone in its own binary so that the process's peak memory is its own.

#![cfg(feature = "audio")]

use std::io::{Seek, SeekFrom, Write};

use musearch_models::audio;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn ten_hour_file_streams_in_constant_memory() {
    const RATE: u32 = 16_000;
    let samples: u64 = 10 * 3600 * RATE as u64;
    let data_bytes = samples * 2;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ten_hours.wav");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut header = Vec::new();
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&((36 + data_bytes) as u32).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes()); // PCM
    header.extend_from_slice(&1u16.to_le_bytes()); // mono
    header.extend_from_slice(&RATE.to_le_bytes());
    header.extend_from_slice(&(RATE * 2).to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&16u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&(data_bytes as u32).to_le_bytes());
    f.write_all(&header).unwrap();
    f.seek(SeekFrom::Start(44 + data_bytes - 2)).unwrap();
    f.write_all(&[0, 0]).unwrap();
    drop(f);

    let before = peak_rss_kib();
    let mut frames = 0usize;
    let mut max_value = 0.0f32;
    let summary = audio::stream_log_mel(&path, &mut |frame| {
        frames += 1;
        max_value = frame.iter().cloned().fold(max_value, f32::max);
    })
    .unwrap();
    let grown_mib = (peak_rss_kib() - before) as f64 / 1024.0;

    assert_eq!(summary.source_frames, samples);
    assert_eq!(frames as u64, 1 + samples / 256);
    assert_eq!(
        max_value, 0.0,
        "silence must give log10(1 + 0) = 0 everywhere"
    );
    // 10 hours of PCM would be 2.2 GB as f32; the pipeline's buffers are a few MB.
    assert!(
        grown_mib < 64.0,
        "peak memory grew by {grown_mib:.1} MiB while streaming"
    );
    println!("10 h streamed: {frames} frames, peak memory grew {grown_mib:.1} MiB");
}

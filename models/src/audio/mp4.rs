//! Encoder priming in MP4/M4A files.
//!
//! AAC encoders prepend priming samples (1024 for ffmpeg's and FAAC's, 2112 for Apple's) and
//! record how many in the audio track's edit list (`moov/trak/edts/elst`, the first entry's
//! `media_time`). symphonia 0.5 does not apply edit lists, so this module reads that one number
//! and the decoder drops those samples, as ffmpeg and libsndfile-based readers do.

use std::io::{Read, Seek, SeekFrom};

/// Boxes are read into memory only up to this size (a `moov` of a long file is a few MB).
const MAX_BOX: u64 = 64 << 20;

/// The number of leading samples the audio track's edit list says to skip, in the track's
/// media time scale, with that time scale. `None` when the file has no such entry.
pub fn audio_priming<R: Read + Seek>(file: &mut R) -> Option<(u64, u32)> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    // Find `moov` among the top-level boxes.
    let mut pos = 0u64;
    while pos + 8 <= len {
        file.seek(SeekFrom::Start(pos)).ok()?;
        let (size, kind, header) = read_box_header(file, len - pos)?;
        if &kind == b"moov" {
            if size > MAX_BOX {
                return None;
            }
            let mut moov = vec![0u8; (size - header) as usize];
            file.read_exact(&mut moov).ok()?;
            return children(&moov, b"trak").find_map(|trak| {
                let mdia = children(trak, b"mdia").next()?;
                let hdlr = children(mdia, b"hdlr").next()?;
                if hdlr.get(8..12)? != b"soun" {
                    return None;
                }
                let timescale = mdhd_timescale(children(mdia, b"mdhd").next()?)?;
                let elst = children(children(trak, b"edts").next()?, b"elst").next()?;
                Some((elst_media_time(elst)?, timescale))
            });
        }
        pos += size;
    }
    None
}

fn read_box_header<R: Read>(file: &mut R, remaining: u64) -> Option<(u64, [u8; 4], u64)> {
    let mut h = [0u8; 8];
    file.read_exact(&mut h).ok()?;
    let kind = [h[4], h[5], h[6], h[7]];
    let (size, header) = match u32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
        0 => (remaining, 8),
        1 => {
            let mut l = [0u8; 8];
            file.read_exact(&mut l).ok()?;
            (u64::from_be_bytes(l), 16)
        }
        s => (s as u64, 8),
    };
    (size >= header && size <= remaining).then_some((size, kind, header))
}

/// The payloads of the child boxes of `data` of type `kind`.
fn children<'a>(data: &'a [u8], kind: &'a [u8; 4]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        while pos + 8 <= data.len() {
            let size = u32::from_be_bytes(data[pos..pos + 4].try_into().ok()?) as usize;
            let (size, header) = match size {
                0 => (data.len() - pos, 8),
                1 => (
                    u64::from_be_bytes(data.get(pos + 8..pos + 16)?.try_into().ok()?) as usize,
                    16,
                ),
                s => (s, 8),
            };
            if size < header || pos + size > data.len() {
                return None;
            }
            let this = &data[pos..pos + size];
            pos += size;
            if &this[4..8] == kind {
                return Some(&this[header..]);
            }
        }
        None
    })
}

fn mdhd_timescale(mdhd: &[u8]) -> Option<u32> {
    let at = if mdhd.first()? == &1 { 20 } else { 12 };
    Some(u32::from_be_bytes(mdhd.get(at..at + 4)?.try_into().ok()?))
}

fn elst_media_time(elst: &[u8]) -> Option<u64> {
    let version = *elst.first()?;
    let count = u32::from_be_bytes(elst.get(4..8)?.try_into().ok()?);
    if count == 0 {
        return None;
    }
    let media_time = if version == 1 {
        i64::from_be_bytes(elst.get(16..24)?.try_into().ok()?)
    } else {
        i32::from_be_bytes(elst.get(12..16)?.try_into().ok()?) as i64
    };
    // -1 marks an empty edit (a gap), not a skip.
    u64::try_from(media_time).ok()
}

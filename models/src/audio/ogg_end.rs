//! Whether an Ogg stream (Vorbis, Opus, FLAC in Ogg) ends where the file ends: the truncation
//! check of the decoder for Ogg files, read from the file's last pages (RFC 3533).

/// Bytes of an Ogg page header before its segment table.
const OGG_HEADER: usize = 27;
/// The largest Ogg page: the header, 255 lacing values and 255 segments of 255 bytes.
const OGG_MAX_PAGE: usize = OGG_HEADER + 255 + 255 * 255;

/// Whether an Ogg file of `len` bytes ends where its stream ends, read from its last pages
/// (RFC 3533): `None` when the file is no Ogg stream or ends cleanly (its last page is whole,
/// its checksum right, its end-of-stream flag set); otherwise what shows the cut. symphonia
/// takes an Ogg stream's length from its last page's granule position, so a file cut at any
/// byte looks complete to it; the end-of-stream flag is what an encoder writes last.
pub(crate) fn ogg_cut<R: std::io::Read + std::io::Seek>(file: &mut R, len: u64) -> Option<String> {
    use std::io::SeekFrom;
    let mut magic = [0u8; 4];
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_exact(&mut magic).ok()?;
    if &magic != b"OggS" {
        return None;
    }
    let tail_len = len.min(2 * OGG_MAX_PAGE as u64);
    let tail_start = len - tail_len;
    file.seek(SeekFrom::Start(tail_start)).ok()?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).ok()?;
    // The last whole page with a right checksum.
    let last = (0..tail.len().saturating_sub(3))
        .rev()
        .filter(|&p| &tail[p..p + 4] == b"OggS")
        .find_map(|p| ogg_page_end(&tail, p).map(|end| (p, end)));
    let Some((page, end)) = last else {
        return Some("no whole Ogg page in its last bytes".into());
    };
    let rest = &tail[end..];
    if rest.starts_with(b"Og") || (!rest.is_empty() && b"OggS".starts_with(rest)) {
        return Some(format!(
            "its last Ogg page is cut off after {} bytes",
            rest.len()
        ));
    }
    if tail[page + 5] & 0x04 == 0 {
        return Some("its last Ogg page does not end the stream (no end-of-stream flag)".into());
    }
    None
}

/// The end of the Ogg page at `at` in `buf` when it is whole there and its CRC is right.
fn ogg_page_end(buf: &[u8], at: usize) -> Option<usize> {
    let header = buf.get(at..at + OGG_HEADER)?;
    if header[4] != 0 {
        return None;
    }
    let segments = header[26] as usize;
    let table = buf.get(at + OGG_HEADER..at + OGG_HEADER + segments)?;
    let end = at + OGG_HEADER + segments + table.iter().map(|&s| s as usize).sum::<usize>();
    let page = buf.get(at..end)?;
    let stored = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
    let crc = page.iter().enumerate().fold(0u32, |crc, (i, &b)| {
        // The checksum field itself counts as zeros.
        let b = if (22..26).contains(&i) { 0 } else { b };
        (crc << 8) ^ OGG_CRC[((crc >> 24) as u8 ^ b) as usize]
    });
    (crc == stored).then_some(end)
}

/// Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0.
const OGG_CRC: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04c1_1db7
            } else {
                r << 1
            };
            bit += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn other_containers_have_no_ogg_check() {
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/audio/real_44k_stereo.flac"),
        )
        .unwrap();
        assert_eq!(
            ogg_cut(&mut std::io::Cursor::new(&bytes), bytes.len() as u64),
            None
        );
    }
}

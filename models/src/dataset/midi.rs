//! A minimal Standard MIDI File writer: format 0 (one track), note on/off, program change and
//! tempo, enough to describe the pieces of [`super::synth`].
//!
//! The format is the MIDI Manufacturers Association's "Standard MIDI Files 1.0" (1988): a
//! `MThd` chunk (format, number of tracks, ticks per quarter note) then one `MTrk` chunk of
//! events, each preceded by its delta time as a variable-length quantity. Channels are
//! 0-based here (General MIDI's percussion channel "10" is `9`, [`DRUM_CHANNEL`]).

use std::path::Path;

use super::DatasetError;

/// The General-MIDI percussion channel (channel 10 counted from 1).
pub const DRUM_CHANNEL: u8 = 9;

/// What happens at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A key is released (sent as a note-off, velocity 0).
    NoteOff {
        /// Channel 0–15.
        channel: u8,
        /// Key 0–127 (60 = middle C).
        key: u8,
    },
    /// A key is struck.
    NoteOn {
        /// Channel 0–15.
        channel: u8,
        /// Key 0–127.
        key: u8,
        /// Velocity 1–127.
        velocity: u8,
    },
    /// The channel's instrument changes to a General-MIDI program (0-based: 0 = Acoustic Grand
    /// Piano).
    ProgramChange {
        /// Channel 0–15.
        channel: u8,
        /// Program 0–127.
        program: u8,
    },
    /// Tempo meta event: microseconds per quarter note.
    Tempo {
        /// Microseconds per quarter note (24-bit).
        us_per_quarter: u32,
    },
}

impl EventKind {
    /// Order of events at the same tick: tempo and programs first, note-offs before note-ons
    /// (so a repeated key is released before it is struck again).
    fn rank(&self) -> u8 {
        match self {
            EventKind::Tempo { .. } => 0,
            EventKind::ProgramChange { .. } => 1,
            EventKind::NoteOff { .. } => 2,
            EventKind::NoteOn { .. } => 3,
        }
    }
}

/// A single-track MIDI sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct MidiFile {
    /// Time resolution: ticks per quarter note.
    pub ticks_per_quarter: u16,
    events: Vec<(u32, EventKind)>,
    end: u32,
}

/// Appends `value` as a MIDI variable-length quantity (7 bits per byte, most significant
/// first, high bit set on all but the last byte). Values above `0x0FFF_FFFF` are clamped.
pub fn write_vlq(value: u32, out: &mut Vec<u8>) {
    let value = value.min(0x0FFF_FFFF);
    let mut bytes = [0u8; 4];
    let mut n = 0;
    let mut v = value;
    loop {
        bytes[n] = (v & 0x7F) as u8;
        n += 1;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(bytes[i] | if i > 0 { 0x80 } else { 0 });
    }
}

impl MidiFile {
    /// An empty sequence with the given resolution.
    pub fn new(ticks_per_quarter: u16) -> Self {
        MidiFile {
            ticks_per_quarter,
            events: Vec::new(),
            end: 0,
        }
    }

    /// Adds an event at an absolute tick.
    pub fn push(&mut self, tick: u32, kind: EventKind) {
        self.end = self.end.max(tick);
        self.events.push((tick, kind));
    }

    /// Adds a note: note-on at `start`, note-off `duration` ticks later.
    pub fn note(&mut self, channel: u8, key: u8, velocity: u8, start: u32, duration: u32) {
        self.push(
            start,
            EventKind::NoteOn {
                channel,
                key: key.min(127),
                velocity: velocity.clamp(1, 127),
            },
        );
        self.push(
            start + duration.max(1),
            EventKind::NoteOff {
                channel,
                key: key.min(127),
            },
        );
    }

    /// Sets the tempo in beats (quarter notes) per minute at `tick`.
    pub fn tempo_bpm(&mut self, tick: u32, bpm: f64) {
        let us = (60_000_000.0 / bpm).round().clamp(1.0, 16_777_215.0) as u32;
        self.push(tick, EventKind::Tempo { us_per_quarter: us });
    }

    /// Moves the end-of-track marker to at least `tick` (silence until then).
    pub fn end_at(&mut self, tick: u32) {
        self.end = self.end.max(tick);
    }

    /// The events, sorted as they will be written.
    pub fn events(&self) -> Vec<(u32, EventKind)> {
        let mut ev = self.events.clone();
        ev.sort_by_key(|(t, k)| (*t, k.rank()));
        ev
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut track = Vec::new();
        let mut now = 0u32;
        for (tick, kind) in self.events() {
            write_vlq(tick - now, &mut track);
            now = tick;
            match kind {
                EventKind::NoteOff { channel, key } => {
                    track.extend_from_slice(&[0x80 | (channel & 0x0F), key & 0x7F, 0])
                }
                EventKind::NoteOn {
                    channel,
                    key,
                    velocity,
                } => {
                    track.extend_from_slice(&[0x90 | (channel & 0x0F), key & 0x7F, velocity & 0x7F])
                }
                EventKind::ProgramChange { channel, program } => {
                    track.extend_from_slice(&[0xC0 | (channel & 0x0F), program & 0x7F])
                }
                EventKind::Tempo { us_per_quarter } => {
                    let b = us_per_quarter.to_be_bytes();
                    track.extend_from_slice(&[0xFF, 0x51, 0x03, b[1], b[2], b[3]]);
                }
            }
        }
        write_vlq(self.end - now, &mut track);
        track.extend_from_slice(&[0xFF, 0x2F, 0x00]);

        let mut out = Vec::with_capacity(track.len() + 22);
        out.extend_from_slice(b"MThd");
        out.extend_from_slice(&6u32.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes()); // format 0
        out.extend_from_slice(&1u16.to_be_bytes()); // one track
        out.extend_from_slice(&self.ticks_per_quarter.to_be_bytes());
        out.extend_from_slice(b"MTrk");
        out.extend_from_slice(&(track.len() as u32).to_be_bytes());
        out.extend_from_slice(&track);
        out
    }

    /// Writes the file.
    pub fn write(&self, path: &Path) -> Result<(), DatasetError> {
        std::fs::write(path, self.to_bytes()).map_err(|e| DatasetError::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vlq(v: u32) -> Vec<u8> {
        let mut out = Vec::new();
        write_vlq(v, &mut out);
        out
    }

    #[test]
    fn variable_length_quantities_of_the_spec() {
        // The examples table of the SMF 1.0 specification.
        assert_eq!(vlq(0), [0x00]);
        assert_eq!(vlq(0x40), [0x40]);
        assert_eq!(vlq(0x7F), [0x7F]);
        assert_eq!(vlq(0x80), [0x81, 0x00]);
        assert_eq!(vlq(0x2000), [0xC0, 0x00]);
        assert_eq!(vlq(0x3FFF), [0xFF, 0x7F]);
        assert_eq!(vlq(0x4000), [0x81, 0x80, 0x00]);
        assert_eq!(vlq(0x1F_FFFF), [0xFF, 0xFF, 0x7F]);
        assert_eq!(vlq(0x20_0000), [0x81, 0x80, 0x80, 0x00]);
        assert_eq!(vlq(0x0FFF_FFFF), [0xFF, 0xFF, 0xFF, 0x7F]);
    }

    #[test]
    fn a_tiny_file_byte_for_byte() {
        let mut m = MidiFile::new(480);
        m.note(0, 60, 100, 0, 480);
        m.tempo_bpm(0, 120.0);
        m.push(
            0,
            EventKind::ProgramChange {
                channel: 0,
                program: 40,
            },
        );
        m.note(DRUM_CHANNEL, 36, 90, 480, 240);
        m.end_at(1920);
        let b = m.to_bytes();
        let expected: Vec<u8> = [
            &b"MThd"[..],
            &[0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0],
            b"MTrk",
            &[0, 0, 0, 33],
            &[0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20], // 500000 µs per quarter
            &[0x00, 0xC0, 40],
            &[0x00, 0x90, 60, 100],
            &[0x83, 0x60, 0x80, 60, 0], // +480: note-off before the drum's note-on
            &[0x00, 0x99, 36, 90],
            &[0x81, 0x70, 0x89, 36, 0],      // +240
            &[0x89, 0x30, 0xFF, 0x2F, 0x00], // +1200 to the end
        ]
        .concat();
        assert_eq!(b, expected);
    }
}

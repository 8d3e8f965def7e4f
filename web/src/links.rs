//! How the API names and types a track's resources: the URLs of its audio and taggram picture,
//! added to every track the engine returns ([`LinkedTrack`]), and the MIME type of its audio
//! file. The engine knows tracks by id and format; this module is where they become HTTP.
//! `musearch search --json` prints its documents through the same functions, so the CLI and the
//! API show a track the same way.

use std::path::Path;

use musearch_searcher::engine::AudioFile;
use musearch_searcher::response::{SearchResponse, SimilarResponse, TrackDetail, TrackSummary};
use serde::{Deserialize, Serialize};

/// Where the audio of track `id` is served.
pub fn audio_url(id: &str) -> String {
    format!("/api/v1/tracks/{id}/audio")
}

/// Where the taggram picture of track `id` is served.
pub fn taggram_url(id: &str) -> String {
    format!("/api/v1/tracks/{id}/taggram.png")
}

/// A track as the API shows it: the engine's summary, then where its audio and its taggram
/// picture are served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedTrack {
    /// What the engine says of the track.
    #[serde(flatten)]
    pub summary: TrackSummary,
    /// Where the audio is served: `/api/v1/tracks/{id}/audio`.
    pub audio_url: String,
    /// Where the taggram picture is served: `/api/v1/tracks/{id}/taggram.png`.
    pub taggram_url: String,
}

impl From<TrackSummary> for LinkedTrack {
    fn from(summary: TrackSummary) -> Self {
        LinkedTrack {
            audio_url: audio_url(&summary.id),
            taggram_url: taggram_url(&summary.id),
            summary,
        }
    }
}

/// A search response as the API returns it (every track linked).
pub fn search(response: SearchResponse) -> SearchResponse<LinkedTrack> {
    response.map_tracks(LinkedTrack::from)
}

/// A similar-tracks response as the API returns it (every track linked).
pub fn similar(response: SimilarResponse) -> SimilarResponse<LinkedTrack> {
    response.map_tracks(LinkedTrack::from)
}

/// A track's detail as the API returns it (the track linked).
pub fn detail(detail: TrackDetail) -> TrackDetail<LinkedTrack> {
    detail.map_track(LinkedTrack::from)
}

/// The MIME type of an audio file: by its extension, else by its codec.
pub fn content_type(file: &AudioFile) -> &'static str {
    let extension = extension(&file.path);
    match extension.as_str() {
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "wav" | "wave" => "audio/wav",
        "m4a" | "mp4" | "aac" => "audio/mp4",
        "webm" => "audio/webm",
        "aif" | "aiff" => "audio/aiff",
        _ => match file.codec.as_str() {
            "mp3" => "audio/mpeg",
            "vorbis" | "opus" => "audio/ogg",
            "flac" => "audio/flac",
            "aac" => "audio/mp4",
            c if c.starts_with("pcm") => "audio/wav",
            _ => "application/octet-stream",
        },
    }
}

/// The extension of `path`, lower case (empty without one).
fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, codec: &str) -> AudioFile {
        AudioFile {
            path: name.into(),
            codec: codec.into(),
        }
    }

    #[test]
    fn content_types_follow_extension_then_codec() {
        assert_eq!(content_type(&file("a.opus", "opus")), "audio/ogg");
        assert_eq!(content_type(&file("a.MP3", "mp3")), "audio/mpeg");
        assert_eq!(content_type(&file("a", "flac")), "audio/flac");
        assert_eq!(content_type(&file("a.xyz", "pcm_s16le")), "audio/wav");
        assert_eq!(
            content_type(&file("a.xyz", "?")),
            "application/octet-stream"
        );
    }

    #[test]
    fn linked_tracks_serialise_the_summary_then_the_urls() {
        let summary = TrackSummary {
            id: "00ff".into(),
            title: "t".into(),
            artist: None,
            album: None,
            genre: None,
            year: Some(1999),
            duration_secs: 1.5,
            format: "ogg".into(),
        };
        let json = serde_json::to_string(&LinkedTrack::from(summary)).unwrap();
        assert_eq!(
            json,
            "{\"id\":\"00ff\",\"title\":\"t\",\"artist\":null,\"album\":null,\"genre\":null,\
             \"year\":1999,\"duration_secs\":1.5,\"format\":\"ogg\",\
             \"audio_url\":\"/api/v1/tracks/00ff/audio\",\
             \"taggram_url\":\"/api/v1/tracks/00ff/taggram.png\"}"
        );
    }
}

//! The decoder's container tags turned into the index's [`Metadata`].

use musearch_index::Metadata;

/// Normalises the decoder's [`musearch_models::audio::TrackMetadata`]: the year is the first
/// four-digit number of the date tag, the track number the leading number of its tag.
pub fn metadata_from_tags(tags: &musearch_models::audio::TrackMetadata) -> Metadata {
    Metadata {
        title: tags.title.clone(),
        artist: tags.artist.clone(),
        album: tags.album.clone(),
        genre: tags.genre.clone(),
        year: tags.date.as_deref().and_then(parse_year),
        track_number: tags.track_number.as_deref().and_then(leading_number),
    }
}

/// The first run of exactly four digits in a date tag (`2019`, `2019-05-01`, `05/01/2019`).
fn parse_year(date: &str) -> Option<u16> {
    date.split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == 4)
        .and_then(|part| part.parse().ok())
}

/// The leading number of a track-number tag (`3`, `03`, `3/12`).
fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_track_numbers() {
        assert_eq!(parse_year("2019"), Some(2019));
        assert_eq!(parse_year("2019-05-01"), Some(2019));
        assert_eq!(parse_year("05/01/2019"), Some(2019));
        assert_eq!(parse_year("unknown"), None);
        assert_eq!(leading_number("3/12"), Some(3));
        assert_eq!(leading_number(" 07"), Some(7));
        assert_eq!(leading_number("A1"), None);
    }
}

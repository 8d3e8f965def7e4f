//! The MagnaTagATune layout (Law et al. 2009, "Evaluation of algorithms using games: the case
//! of music tagging"): a tab-separated `annotations_final.csv` (`clip_id`, 188 tag columns of
//! `0`/`1`, `mp3_path`; fields may be double-quoted, as in the distributed file) next to the
//! audio tree `0/ … f/`.
//!
//! Two tag conventions ([`TagConvention`]):
//!
//! * **plain**: the 50 most frequent columns, as they are. This is what musicnn (Pons et al.
//!   2018) and most published ROC-AUCs use; it keeps e.g. `vocal` and `vocals` apart.
//! * **merged**: the synonym groups of Dabral et al. 2018 ("Music tagging with multi-scale
//!   CNNs", [`SYNONYM_GROUPS`]) are merged first (a clip carries the merged tag if it carries
//!   any synonym), then the 50 most frequent merged tags are kept.
//!
//! The split is the usual one by folder, the first hex character of `mp3_path`: `0`–`b`
//! training, `c` validation, `d`–`f` test ([`Split::of_path`]).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::DatasetError;

/// The synonym groups merged by Dabral et al. 2018; the first name of each group is the name
/// of the merged tag. Synonyms that are not columns of the CSV are ignored.
pub const SYNONYM_GROUPS: &[&[&str]] = &[
    &["beat", "beats"],
    &["chant", "chanting"],
    &["choir", "choral"],
    &["classical", "clasical", "classic"],
    &["drums", "drum"],
    &["electronic", "electro", "electronica", "electric"],
    &["fast", "fast beat", "quick"],
    &[
        "female",
        "female singer",
        "female singing",
        "female vocals",
        "female voice",
        "woman",
        "woman singing",
        "women",
    ],
    &["flute", "flutes"],
    &["guitar", "guitars"],
    &["hard rock", "hard"],
    &["harpsichord", "harpsicord"],
    &["metal", "heavy", "heavy metal"],
    &["horns", "horn"],
    &["indian", "india"],
    &["jazz", "jazzy"],
    &[
        "male",
        "male singer",
        "male vocal",
        "male vocals",
        "male voice",
        "man",
        "man singing",
        "men",
    ],
    &["no beat", "no drums"],
    &[
        "no vocals",
        "no singer",
        "no singing",
        "no vocal",
        "no voice",
        "no voices",
        "instrumental",
    ],
    &["opera", "operatic"],
    &["orchestra", "orchestral"],
    &["quiet", "silence"],
    &["singing", "singer"],
    &["space", "spacey"],
    &["strings", "string"],
    &["synth", "synthesizer"],
    &["violin", "violins"],
    &["vocals", "vocal", "voice", "voices"],
    &["weird", "strange"],
];

/// Which tags a data set is labelled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TagConvention {
    /// The most frequent columns as they are (musicnn's MTT top-50).
    #[serde(rename = "plain")]
    Plain,
    /// The most frequent tags after merging [`SYNONYM_GROUPS`] (Dabral et al. 2018).
    #[serde(rename = "merged")]
    Merged,
}

/// A tag convention name other than `plain` and `merged`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tag convention '{0}' (plain or merged)")]
pub struct UnknownTagConvention(pub String);

impl std::str::FromStr for TagConvention {
    type Err = UnknownTagConvention;
    fn from_str(s: &str) -> Result<Self, UnknownTagConvention> {
        match s {
            "plain" => Ok(TagConvention::Plain),
            "merged" => Ok(TagConvention::Merged),
            other => Err(UnknownTagConvention(other.to_string())),
        }
    }
}

/// The three parts of the folder split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Split {
    /// Folders `0`–`b`.
    #[serde(rename = "train")]
    Train,
    /// Folder `c`.
    #[serde(rename = "validation")]
    Validation,
    /// Folders `d`–`f`.
    #[serde(rename = "test")]
    Test,
}

impl Split {
    /// The split of a clip from its `mp3_path` (`c/artist-album-01-title-30-59.mp3` →
    /// validation); `None` if the path does not start with a hex digit folder.
    pub fn of_path(mp3_path: &str) -> Option<Split> {
        let mut chars = mp3_path.chars();
        let first = chars.next()?.to_ascii_lowercase();
        if !matches!(chars.next(), Some('/') | Some('\\')) {
            return None;
        }
        match first.to_digit(16)? {
            0..=11 => Some(Split::Train),
            12 => Some(Split::Validation),
            _ => Some(Split::Test),
        }
    }
}

/// The raw content of `annotations_final.csv`: every tag column, every clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotations {
    /// The tag columns, in file order.
    pub columns: Vec<String>,
    /// The clips, in file order.
    pub clips: Vec<AnnotatedClip>,
}

/// One row of `annotations_final.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotatedClip {
    /// `clip_id`.
    pub clip_id: u64,
    /// `mp3_path`, relative to the data set directory.
    pub path: String,
    /// One flag per column of [`Annotations::columns`].
    pub labels: Vec<bool>,
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
}

impl Annotations {
    /// Reads an `annotations_final.csv`.
    pub fn read(path: &Path) -> Result<Self, DatasetError> {
        let file = std::fs::File::open(path).map_err(|e| DatasetError::io(path, e))?;
        Self::parse(std::io::BufReader::new(file), path)
    }

    /// Parses an `annotations_final.csv` from any reader; `path` names it in errors.
    pub fn parse<R: BufRead>(reader: R, path: &Path) -> Result<Self, DatasetError> {
        let err = |line: usize, reason: String| DatasetError::Format {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut lines = reader.lines().enumerate();
        let header = loop {
            match lines.next() {
                None => return Err(err(0, "empty file".into())),
                Some((_, Err(e))) => return Err(DatasetError::io(path, e)),
                Some((_, Ok(l))) if l.trim().is_empty() => continue,
                Some((_, Ok(l))) => break l,
            }
        };
        let names: Vec<&str> = header.split('\t').map(unquote).collect();
        if names.len() < 3 || names[0] != "clip_id" || names[names.len() - 1] != "mp3_path" {
            return Err(err(
                1,
                "header must be clip_id, tag columns, mp3_path (tab-separated)".into(),
            ));
        }
        let columns: Vec<String> = names[1..names.len() - 1]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut clips = Vec::new();
        for (i, line) in lines {
            let line = line.map_err(|e| DatasetError::io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let n = i + 1;
            let fields: Vec<&str> = line.split('\t').map(unquote).collect();
            if fields.len() != names.len() {
                return Err(err(
                    n,
                    format!("{} fields, the header has {}", fields.len(), names.len()),
                ));
            }
            let clip_id = fields[0]
                .parse()
                .map_err(|_| err(n, format!("clip_id '{}' is not a number", fields[0])))?;
            let labels = fields[1..fields.len() - 1]
                .iter()
                .enumerate()
                .map(|(j, f)| match *f {
                    "0" => Ok(false),
                    "1" => Ok(true),
                    other => Err(err(
                        n,
                        format!("column '{}' holds '{other}', not 0 or 1", columns[j]),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            clips.push(AnnotatedClip {
                clip_id,
                path: fields[fields.len() - 1].to_string(),
                labels,
            });
        }
        Ok(Annotations { columns, clips })
    }

    /// Writes the file in the distributed format (tab-separated, every field double-quoted).
    pub fn write(&self, path: &Path) -> Result<(), DatasetError> {
        use std::io::Write;
        let mut out = String::new();
        let q = |s: &str| format!("\"{s}\"");
        let mut header = vec![q("clip_id")];
        header.extend(self.columns.iter().map(|c| q(c)));
        header.push(q("mp3_path"));
        out.push_str(&header.join("\t"));
        out.push('\n');
        for c in &self.clips {
            let mut row = vec![q(&c.clip_id.to_string())];
            row.extend(c.labels.iter().map(|&l| q(if l { "1" } else { "0" })));
            row.push(q(&c.path));
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
        let mut f = std::fs::File::create(path).map_err(|e| DatasetError::io(path, e))?;
        f.write_all(out.as_bytes())
            .map_err(|e| DatasetError::io(path, e))
    }

    /// Label columns under a tag convention: the tag names (in order of decreasing frequency,
    /// ties in column order) and, for each clip, its flags for those tags. At most `top_k` tags
    /// are kept.
    pub fn labelled(
        &self,
        convention: TagConvention,
        top_k: usize,
    ) -> (Vec<String>, Vec<Vec<bool>>) {
        // Each output candidate is a set of source columns.
        let index: HashMap<&str, usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut candidates: Vec<(String, Vec<usize>)> = Vec::new();
        match convention {
            TagConvention::Plain => {
                for (i, c) in self.columns.iter().enumerate() {
                    candidates.push((c.clone(), vec![i]));
                }
            }
            TagConvention::Merged => {
                let mut grouped = vec![false; self.columns.len()];
                let mut group_of: HashMap<usize, usize> = HashMap::new();
                for group in SYNONYM_GROUPS {
                    let cols: Vec<usize> =
                        group.iter().filter_map(|s| index.get(s).copied()).collect();
                    if cols.is_empty() {
                        continue;
                    }
                    for &c in &cols {
                        grouped[c] = true;
                    }
                    // The merged tag takes the position of its first column in the file.
                    group_of.insert(*cols.iter().min().unwrap(), candidates.len());
                    candidates.push((group[0].to_string(), cols));
                }
                let mut ordered = Vec::new();
                for (i, c) in self.columns.iter().enumerate() {
                    if let Some(&g) = group_of.get(&i) {
                        ordered.push(candidates[g].clone());
                    } else if !grouped[i] {
                        ordered.push((c.clone(), vec![i]));
                    }
                }
                candidates = ordered;
            }
        }
        let flags = |clip: &AnnotatedClip, cols: &[usize]| cols.iter().any(|&c| clip.labels[c]);
        let mut counted: Vec<(usize, usize)> = candidates
            .iter()
            .enumerate()
            .map(|(i, (_, cols))| (i, self.clips.iter().filter(|c| flags(c, cols)).count()))
            .collect();
        counted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counted.truncate(top_k);
        let tags = counted
            .iter()
            .map(|&(i, _)| candidates[i].0.clone())
            .collect();
        let labels = self
            .clips
            .iter()
            .map(|clip| {
                counted
                    .iter()
                    .map(|&(i, _)| flags(clip, &candidates[i].1))
                    .collect()
            })
            .collect();
        (tags, labels)
    }
}

/// One clip of an [`MttDataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// `clip_id` of the CSV.
    pub clip_id: u64,
    /// Audio path relative to the data set directory.
    pub path: String,
    /// Its part of the split.
    pub split: Split,
    /// One flag per tag of [`MttDataset::tags`].
    pub labels: Vec<bool>,
}

/// A MagnaTagATune-layout data set, labelled under one tag convention.
#[derive(Debug, Clone, PartialEq)]
pub struct MttDataset {
    /// The data set directory (holds `annotations_final.csv` and `0/ … f/`).
    pub root: PathBuf,
    /// The tags, most frequent first.
    pub tags: Vec<String>,
    /// The clips whose path is in a split folder, in file order.
    pub clips: Vec<Clip>,
    /// The convention the tags follow.
    pub convention: TagConvention,
}

/// The annotation file name of the MTT layout.
pub const ANNOTATIONS_FILE: &str = "annotations_final.csv";

impl MttDataset {
    /// Opens `root/annotations_final.csv` and keeps the `top_k` most frequent tags under
    /// `convention` (50 in the literature). Rows whose path is not under a hex folder are left
    /// out, with a warning.
    pub fn open(
        root: &Path,
        convention: TagConvention,
        top_k: usize,
    ) -> Result<Self, DatasetError> {
        let ann = Annotations::read(&root.join(ANNOTATIONS_FILE))?;
        Ok(Self::from_annotations(root, &ann, convention, top_k))
    }

    /// Labels parsed annotations (see [`MttDataset::open`]).
    pub fn from_annotations(
        root: &Path,
        ann: &Annotations,
        convention: TagConvention,
        top_k: usize,
    ) -> Self {
        let (tags, labels) = ann.labelled(convention, top_k);
        let mut clips = Vec::with_capacity(ann.clips.len());
        let mut outside = 0usize;
        for (clip, labels) in ann.clips.iter().zip(labels) {
            match Split::of_path(&clip.path) {
                Some(split) => clips.push(Clip {
                    clip_id: clip.clip_id,
                    path: clip.path.clone(),
                    split,
                    labels,
                }),
                None => outside += 1,
            }
        }
        if outside > 0 {
            tracing::warn!(
                outside,
                "clips whose path is not under a folder 0–f were left out"
            );
        }
        MttDataset {
            root: root.to_path_buf(),
            tags,
            clips,
            convention,
        }
    }

    /// The clips of one part of the split.
    pub fn split(&self, split: Split) -> impl Iterator<Item = &Clip> {
        self.clips.iter().filter(move |c| c.split == split)
    }

    /// The audio file of a clip.
    pub fn audio_path(&self, clip: &Clip) -> PathBuf {
        self.root.join(&clip.path)
    }

    /// Keeps only the given tags, in the given order (for a model whose vocabulary is fixed, e.g.
    /// musicnn's [`crate::tags::MTT_TAGS`]). Fails naming the first tag the data set lacks.
    pub fn select_tags<S: AsRef<str>>(&self, tags: &[S]) -> Result<Self, DatasetError> {
        let pos = tags
            .iter()
            .map(|t| {
                self.tags
                    .iter()
                    .position(|x| x == t.as_ref())
                    .ok_or_else(|| {
                        DatasetError::Invalid(format!(
                            "tag '{}' is not among the data set's {} tags",
                            t.as_ref(),
                            self.tags.len()
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = self.clone();
        out.tags = tags.iter().map(|t| t.as_ref().to_string()).collect();
        for c in &mut out.clips {
            c.labels = pos.iter().map(|&p| c.labels[p]).collect();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Annotations {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/datasets/mtt_small/annotations_final.csv");
        Annotations::read(&path).unwrap()
    }

    #[test]
    fn splits_by_first_folder() {
        assert_eq!(Split::of_path("0/a.mp3"), Some(Split::Train));
        assert_eq!(Split::of_path("b/a.mp3"), Some(Split::Train));
        assert_eq!(Split::of_path("c/a.mp3"), Some(Split::Validation));
        assert_eq!(Split::of_path("d/a.mp3"), Some(Split::Test));
        assert_eq!(Split::of_path("F/a.mp3"), Some(Split::Test));
        assert_eq!(Split::of_path("g/a.mp3"), None);
        assert_eq!(Split::of_path("cc/a.mp3"), None);
        assert_eq!(Split::of_path(""), None);
    }

    #[test]
    fn parses_quoted_fixture() {
        let a = fixture();
        assert_eq!(a.columns.len(), 14);
        assert_eq!(a.columns[0], "no voice");
        assert_eq!(a.clips.len(), 8);
        assert_eq!(a.clips[0].clip_id, 2);
        assert_eq!(
            a.clips[0].path,
            "f/american_bach_soloists-j_s__bach_solo_cantatas-01-bwv54__i_aria-30-59.mp3"
        );
        // Row 1: "classical", "strings", "violin" set.
        let set: Vec<&str> = a.clips[0]
            .labels
            .iter()
            .zip(&a.columns)
            .filter(|(l, _)| **l)
            .map(|(_, c)| c.as_str())
            .collect();
        assert_eq!(set, ["classical", "strings", "violin"]);
    }

    #[test]
    fn plain_top_k_by_frequency() {
        let a = fixture();
        let (tags, labels) = a.labelled(TagConvention::Plain, 3);
        // classical 5, no voice 4, vocals 3 / guitar 3 (guitar's column comes later).
        assert_eq!(tags, ["classical", "no voice", "vocals"]);
        assert_eq!(labels[0], [true, false, false]);
    }

    #[test]
    fn merged_groups_synonyms() {
        let a = fixture();
        let (tags, labels) = a.labelled(TagConvention::Merged, 50);
        // no voice + no vocals + instrumental → "no vocals"; vocal + vocals → "vocals";
        // guitar + guitars → "guitar"; violin + violins → "violin"; fast + quick → "fast".
        for t in [
            "no voice",
            "instrumental",
            "vocal",
            "guitars",
            "violins",
            "quick",
        ] {
            assert!(
                !tags.contains(&t.to_string()),
                "{t} should be merged: {tags:?}"
            );
        }
        assert_eq!(&tags[..3], ["no vocals", "classical", "vocals"]);
        let nv = tags.iter().position(|t| t == "no vocals").unwrap();
        let count = labels.iter().filter(|l| l[nv]).count();
        assert_eq!(count, 6);
        let g = tags.iter().position(|t| t == "guitar").unwrap();
        assert_eq!(labels.iter().filter(|l| l[g]).count(), 4);
        assert!(tags.contains(&"piano".to_string()));
    }

    #[test]
    fn dataset_split_and_select() {
        let a = fixture();
        let d = MttDataset::from_annotations(Path::new("/data"), &a, TagConvention::Plain, 50);
        // One row lives outside the hex folders.
        assert_eq!(d.clips.len(), 7);
        assert_eq!(d.split(Split::Train).count(), 3);
        assert_eq!(d.split(Split::Validation).count(), 1);
        assert_eq!(d.split(Split::Test).count(), 3);
        let s = d.select_tags(&["violin", "classical"]).unwrap();
        assert_eq!(s.tags, ["violin", "classical"]);
        assert_eq!(s.clips[0].labels, [true, true]);
        assert!(d.select_tags(&["kazoo"]).is_err());
        assert_eq!(
            d.audio_path(&d.clips[0]),
            Path::new(
                "/data/f/american_bach_soloists-j_s__bach_solo_cantatas-01-bwv54__i_aria-30-59.mp3"
            )
        );
    }

    #[test]
    fn write_read_round_trip_and_errors() {
        let a = fixture();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        a.write(&p).unwrap();
        assert_eq!(Annotations::read(&p).unwrap(), a);
        let bad = "clip_id\tguitar\tmp3_path\n1\t2\t0/x.mp3\n";
        let e = Annotations::parse(bad.as_bytes(), Path::new("bad.csv")).unwrap_err();
        assert!(e.to_string().contains("bad.csv:2"), "{e}");
        let short = "clip_id\tguitar\tmp3_path\n1\t0\n";
        assert!(Annotations::parse(short.as_bytes(), Path::new("s.csv")).is_err());
        assert!(Annotations::parse("a\tb\n".as_bytes(), Path::new("h.csv")).is_err());
    }
}

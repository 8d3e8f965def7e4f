//! The tagging stage's interface: a [`TrackTagger`] runs batches of log-mel patches through every
//! configured network, and [`TrackTags`] pools one track's patch outputs into what the store
//! keeps (mean probabilities, compact taggram, mean embedding).
//!
//! With the `torch` feature, `TorchTaggers` is the real one (musicnn's pretrained models from
//! the model store, on CPU or CUDA).

use musearch_index::{CompactTaggram, ModelSpec, ModelTags};

/// One model's output for a batch of `n` patches.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutput {
    /// `n × tags` probabilities, row-major.
    pub probabilities: Vec<f32>,
    /// `n × embedding_dim` values, row-major.
    pub embeddings: Vec<f32>,
}

/// Runs patches through every configured tagger. Owned by the tagging thread.
pub trait TrackTagger: Send {
    /// The configured models, in the order of [`TrackTagger::tag_batch`]'s outputs.
    fn models(&self) -> &[ModelSpec];

    /// Runs `n` patches (`n × PATCH_FRAMES × N_MELS` values, row-major) through every model.
    fn tag_batch(&mut self, patches: &[f32], n: usize) -> Result<Vec<BatchOutput>, String>;
}

/// Pools the patch outputs of one track, in time order, a batch slice at a time.
#[derive(Debug, Clone)]
pub struct TrackTags {
    models: Vec<ModelPool>,
    patches: usize,
}

#[derive(Debug, Clone)]
struct ModelPool {
    prob_sum: Vec<f64>,
    emb_sum: Vec<f64>,
    taggram: TaggramPool,
}

impl TrackTags {
    /// An empty pool for `models`.
    pub fn new(models: &[ModelSpec]) -> TrackTags {
        TrackTags {
            models: models
                .iter()
                .map(|m| ModelPool {
                    prob_sum: vec![0.0; m.tags.len()],
                    emb_sum: vec![0.0; m.embedding_dim],
                    taggram: TaggramPool::new(m.tags.len()),
                })
                .collect(),
            patches: 0,
        }
    }

    /// Number of patches pooled so far.
    pub fn patches(&self) -> usize {
        self.patches
    }

    /// Adds patches `range` of a batch's outputs (one [`BatchOutput`] per model).
    pub fn add(&mut self, outputs: &[BatchOutput], range: std::ops::Range<usize>) {
        for (pool, out) in self.models.iter_mut().zip(outputs) {
            let (n_tags, dim) = (pool.prob_sum.len(), pool.emb_sum.len());
            for i in range.clone() {
                let probs = &out.probabilities[i * n_tags..(i + 1) * n_tags];
                for (s, &p) in pool.prob_sum.iter_mut().zip(probs) {
                    *s += f64::from(p);
                }
                for (s, &e) in pool
                    .emb_sum
                    .iter_mut()
                    .zip(&out.embeddings[i * dim..(i + 1) * dim])
                {
                    *s += f64::from(e);
                }
                pool.taggram.push(probs);
            }
        }
        self.patches += range.len();
    }

    /// The pooled result, one [`ModelTags`] per model.
    pub fn finish(self, models: &[ModelSpec]) -> Vec<ModelTags> {
        let n = self.patches.max(1) as f64;
        self.models
            .into_iter()
            .zip(models)
            .map(|(pool, spec)| ModelTags {
                model: spec.name.clone(),
                version: spec.version.clone(),
                probabilities: pool.prob_sum.iter().map(|s| (s / n) as f32).collect(),
                embedding: pool.emb_sum.iter().map(|s| (s / n) as f32).collect(),
                taggram: pool.taggram.finish(),
            })
            .collect()
    }
}

/// Builds a [`CompactTaggram`] of at most [`CompactTaggram::MAX_COLUMNS`] columns from a stream of patches of
/// unknown length: columns average `span` patches; when they would overflow, neighbours are
/// merged pairwise and `span` doubles.
#[derive(Debug, Clone)]
struct TaggramPool {
    tags: usize,
    span: usize,
    /// Completed columns (sums over `span` patches).
    columns: Vec<Vec<f64>>,
    current: Vec<f64>,
    in_current: usize,
}

impl TaggramPool {
    fn new(tags: usize) -> TaggramPool {
        TaggramPool {
            tags,
            span: 1,
            columns: Vec::new(),
            current: vec![0.0; tags],
            in_current: 0,
        }
    }

    fn push(&mut self, probs: &[f32]) {
        for (s, &p) in self.current.iter_mut().zip(probs) {
            *s += f64::from(p);
        }
        self.in_current += 1;
        if self.in_current == self.span {
            self.columns
                .push(std::mem::replace(&mut self.current, vec![0.0; self.tags]));
            self.in_current = 0;
            if self.columns.len() == CompactTaggram::MAX_COLUMNS {
                self.columns = self
                    .columns
                    .chunks(2)
                    .map(|pair| {
                        (0..self.tags)
                            .map(|t| pair.iter().map(|c| c[t]).sum())
                            .collect()
                    })
                    .collect();
                self.span *= 2;
            }
        }
    }

    fn finish(mut self) -> CompactTaggram {
        let mut spans = vec![self.span; self.columns.len()];
        if self.in_current > 0 {
            self.columns.push(std::mem::take(&mut self.current));
            spans.push(self.in_current);
        }
        let values = self
            .columns
            .iter()
            .zip(&spans)
            .flat_map(|(col, &span)| {
                col.iter()
                    .map(move |s| ((s / span as f64).clamp(0.0, 1.0) * 255.0).round() as u8)
            })
            .collect();
        CompactTaggram {
            patches_per_column: self.span as u32,
            tags: self.tags as u32,
            values,
        }
    }
}

#[cfg(feature = "torch")]
pub use torch::TorchTaggers;

#[cfg(feature = "torch")]
mod torch {
    use std::path::Path;

    use musearch_models::audio::{N_MELS, PATCH_FRAMES};
    use musearch_models::nets::{Device, Tagger, Tensor};

    use super::{BatchOutput, ModelSpec, TrackTagger};
    use crate::error::IndexerError;

    /// musicnn's pretrained taggers from the model store, run by libtorch.
    #[derive(Debug)]
    pub struct TorchTaggers {
        taggers: Vec<Tagger>,
        specs: Vec<ModelSpec>,
    }

    impl TorchTaggers {
        /// Loads `models` (names such as `MTT_musicnn`) from the model store `store` onto
        /// `device`. Each model's version is the first 16 hex digits of the BLAKE3 hash of its
        /// weights file.
        pub fn load(
            store: &Path,
            models: &[String],
            device: Device,
        ) -> Result<TorchTaggers, IndexerError> {
            let mut taggers = Vec::new();
            let mut specs = Vec::new();
            for name in models {
                let (tagger, manifest, weights) = Tagger::load(store, name, device)
                    .map_err(|e| IndexerError::Tagger(e.to_string()))?;
                let hash = crate::scan::hash_file(&weights)?;
                specs.push(ModelSpec {
                    name: manifest.name.clone(),
                    version: hash.to_hex()[..16].to_string(),
                    tags: manifest.tags.clone(),
                    embedding_dim: tagger.embedding_dim() as usize,
                });
                taggers.push(tagger);
            }
            Ok(TorchTaggers { taggers, specs })
        }
    }

    impl TrackTagger for TorchTaggers {
        fn models(&self) -> &[ModelSpec] {
            &self.specs
        }

        fn tag_batch(&mut self, patches: &[f32], n: usize) -> Result<Vec<BatchOutput>, String> {
            let x =
                Tensor::from_slice(patches).view([n as i64, PATCH_FRAMES as i64, N_MELS as i64]);
            self.taggers
                .iter()
                .map(|tagger| {
                    let out = tagger.forward(&x).map_err(|e| e.to_string())?;
                    let flat = |t: Tensor| -> Result<Vec<f32>, String> {
                        Vec::<f32>::try_from(t.to_device(Device::Cpu).flatten(0, -1))
                            .map_err(|e| e.to_string())
                    };
                    Ok(BatchOutput {
                        probabilities: flat(out.probabilities)?,
                        embeddings: flat(out.embedding)?,
                    })
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taggram_stays_compact_and_averages() {
        let mut pool = TaggramPool::new(2);
        for i in 0..200 {
            pool.push(&[1.0, if i % 2 == 0 { 0.0 } else { 1.0 }]);
        }
        let t = pool.finish();
        assert!(
            t.columns() <= CompactTaggram::MAX_COLUMNS,
            "{}",
            t.columns()
        );
        assert_eq!(t.patches_per_column, 8);
        assert_eq!(t.columns(), 25);
        assert_eq!(
            t.column(0),
            vec![1.0, 0.5f32.mul_add(255.0, 0.0).round() / 255.0]
        );
    }

    #[test]
    fn short_track_keeps_patch_resolution() {
        let mut pool = TaggramPool::new(1);
        for _ in 0..3 {
            pool.push(&[0.5]);
        }
        let t = pool.finish();
        assert_eq!((t.patches_per_column, t.columns()), (1, 3));
    }
}

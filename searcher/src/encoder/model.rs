//! [`SentenceEncoder`]: all-MiniLM-L6-v2 on candle, as sentence-transformers runs it.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::BertModel;
use tokenizers::{
    PaddingDirection, PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection,
    TruncationParams, TruncationStrategy,
};

use super::validate::{self, files, EncoderSpec};
use super::{EncoderError, Result, EMBEDDING_DIM};

/// A loaded sentence encoder: text in, one unit-length 384-d vector per text out.
///
/// `encode` computes what sentence-transformers' `SentenceTransformer.encode` computes for
/// all-MiniLM-L6-v2 (modules Transformer → Pooling(mean) → Normalize):
///
/// 1. WordPiece tokens of the lower-cased text between `[CLS]` and `[SEP]`, truncated to
///    `max_seq_length` (256) tokens in all; a batch padded with `[PAD]` to its longest text;
/// 2. the BERT's last hidden states (6 layers, 384 wide), padding masked out of attention;
/// 3. mean pooling: the sum of the token states weighted by the attention mask, divided by the
///    number of real tokens (at least 10⁻⁹);
/// 4. L2 normalisation (`x / max(‖x‖, 10⁻¹²)`).
///
/// Runs in f32 on the CPU. candle's matrix products use `RAYON_NUM_THREADS` threads (default:
/// one per core); set it to 1 before the first call for single-threaded encoding.
/// `SentenceEncoder` is `Send + Sync`.
pub struct SentenceEncoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    spec: EncoderSpec,
    dir: PathBuf,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("dir", &self.dir)
            .field("max_seq_length", &self.spec.max_seq_length)
            .finish_non_exhaustive()
    }
}

fn read(dir: &Path, name: &str) -> Result<(PathBuf, Vec<u8>)> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Ok((path, bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(EncoderError::MissingFile {
            archive: dir.to_path_buf(),
            member: name.to_owned(),
        }),
        Err(e) => Err(EncoderError::io(path, e)),
    }
}

impl SentenceEncoder {
    /// Loads an encoder directory written by [`super::import()`] (or any sentence-transformers
    /// folder of all-MiniLM-L6-v2: `config.json`, `tokenizer.json`, `model.safetensors`,
    /// `sentence_bert_config.json`, `modules.json`, `1_Pooling/config.json`). Every file is
    /// validated as the import validates it; a directory that does not exist is
    /// [`EncoderError::NotFound`].
    pub fn load(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(EncoderError::NotFound {
                path: dir.to_path_buf(),
            });
        }
        let (path, bytes) = read(dir, files::CONFIG)?;
        let bert = validate::bert_config(&path, &bytes)?;
        let (path, bytes) = read(dir, files::SENTENCE_CONFIG)?;
        let max_seq_length = validate::max_seq_length(&path, &bytes, &bert)?;
        let (path, bytes) = read(dir, files::POOLING)?;
        validate::pooling(&path, &bytes)?;
        let (path, bytes) = read(dir, files::MODULES)?;
        validate::modules(&path, &bytes)?;
        let (path, bytes) = read(dir, files::TOKENIZER)?;
        let tokenizer = validate::tokenizer(&path, &bytes, &bert)?;
        let (path, weights) = read(dir, files::WEIGHTS)?;
        validate::safetensors(&path, &weights, &bert)?;
        let spec = EncoderSpec {
            bert,
            max_seq_length,
        };
        Self::from_parts(dir, spec, tokenizer, weights)
    }

    /// The encoder from validated parts: sets the tokenizer's truncation and padding as
    /// sentence-transformers calls it, and loads the weights.
    fn from_parts(
        dir: &Path,
        spec: EncoderSpec,
        mut tokenizer: Tokenizer,
        weights: Vec<u8>,
    ) -> Result<Self> {
        let tok_err = |e: tokenizers::Error| EncoderError::Tokenize {
            path: dir.to_path_buf(),
            message: e.to_string(),
        };
        // tokenizer.json itself says "truncate to 128, pad to 128"; sentence-transformers
        // overrides both: truncation at max_seq_length, padding to the batch's longest text.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: spec.max_seq_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(tok_err)?;
        let pad_id = tokenizer.token_to_id("[PAD]").unwrap_or(0);
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id,
            pad_type_id: 0,
            pad_token: "[PAD]".to_owned(),
        }));
        let device = Device::Cpu;
        let model_err = |source| EncoderError::Model {
            path: dir.to_path_buf(),
            source,
        };
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(model_err)?;
        let model = BertModel::load(vb, &spec.bert).map_err(model_err)?;
        Ok(SentenceEncoder {
            model,
            tokenizer,
            device,
            spec,
            dir: dir.to_path_buf(),
        })
    }

    /// The directory the encoder was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The length of every embedding (384).
    pub fn dim(&self) -> usize {
        EMBEDDING_DIM
    }

    /// The most tokens of a text the encoder reads, `[CLS]` and `[SEP]` included (256); the
    /// rest is cut off.
    pub fn max_seq_length(&self) -> usize {
        self.spec.max_seq_length
    }

    /// The number of tokens the encoder reads of `text` (`[CLS]`, `[SEP]` included, after
    /// truncation).
    pub fn token_count(&self, text: &str) -> Result<usize> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| self.tok_err(e))?;
        Ok(enc.get_ids().len())
    }

    fn tok_err(&self, e: tokenizers::Error) -> EncoderError {
        EncoderError::Tokenize {
            path: self.dir.clone(),
            message: e.to_string(),
        }
    }

    fn model_err(&self, source: candle_core::Error) -> EncoderError {
        EncoderError::Model {
            path: self.dir.clone(),
            source,
        }
    }

    /// Encodes `texts` in one batch: one unit-length vector of [`Self::dim`] floats per text,
    /// in order (see the [type documentation](Self) for what is computed). An empty text is
    /// encoded as `[CLS] [SEP]`, like sentence-transformers does.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| self.tok_err(e))?;
        let rows = encodings.len();
        let len = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(rows * len);
        let mut type_ids = Vec::with_capacity(rows * len);
        let mut mask = Vec::with_capacity(rows * len);
        for enc in &encodings {
            ids.extend_from_slice(enc.get_ids());
            type_ids.extend_from_slice(enc.get_type_ids());
            mask.extend_from_slice(enc.get_attention_mask());
        }
        self.forward_pooled(rows, len, ids, type_ids, mask)
            .map_err(|e| self.model_err(e))
    }

    /// The BERT forward pass, mean pooling and normalisation of a padded batch
    /// (`rows × len` token ids, token type ids and attention mask, row-major).
    fn forward_pooled(
        &self,
        rows: usize,
        len: usize,
        ids: Vec<u32>,
        type_ids: Vec<u32>,
        mask: Vec<u32>,
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let ids = Tensor::from_vec(ids, (rows, len), &self.device)?;
        let type_ids = Tensor::from_vec(type_ids, (rows, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, len), &self.device)?;
        // (rows, len, 384)
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        // Mean over the real tokens: Σ mask·h / max(Σ mask, 1e-9).
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        // L2 normalisation: x / max(‖x‖, 1e-12).
        let norms = mean
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        mean.broadcast_div(&norms)?.to_vec2::<f32>()
    }
}

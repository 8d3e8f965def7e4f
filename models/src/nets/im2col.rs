//! The two memory-bound loops around musicnn's front-end SGEMM on the CPU
//! ([`super::musicnn::FrontendKernel::Gemm`]): unfolding the convolution windows into rows
//! (im2col) and the maximum of the products over the frequency bands.
//!
//! Both were libtorch operators on strided views (a copy into the unfolded view, `amax_out`);
//! the profile of `musearch bench network` showed them at 5 % and 12 % of the CPU time beside
//! 63 % in MKL's kernels, because libtorch's generic loops handle their short inner runs (38
//! to 128 contiguous values, a reduction over a non-innermost dimension) one small piece at a
//! time. Here they are plain loops over slices.

use tch::{Device, Kind, Tensor};

/// Where the window values of one `(frame, band)` row lie in a contiguous source matrix:
/// value `(i, j)` of the `a × b` window of frame `t` and band `f` is
/// `src[t · frame + f · band + i · step + j]`, `j` running over `b` contiguous values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowLayout {
    /// Offset from one frame to the next.
    pub frame: usize,
    /// Offset from one band to the next.
    pub band: usize,
    /// Offset from one of the window's `a` runs to the next.
    pub step: usize,
    /// Runs per window.
    pub a: usize,
    /// Contiguous values per run.
    pub b: usize,
}

/// Writes the windows of frames `first .. first + frames` and bands `0 .. bands` as rows of
/// `a · b` values into `rows` (`frames · bands` rows, frame-major).
pub(crate) fn unfold_rows(
    src: &[f32],
    rows: &mut [f32],
    layout: WindowLayout,
    first: usize,
    frames: usize,
    bands: usize,
) {
    let WindowLayout {
        frame,
        band,
        step,
        a,
        b,
    } = layout;
    let mut runs = rows[..frames * bands * a * b].chunks_exact_mut(b);
    for t in first..first + frames {
        for f in 0..bands {
            let window = t * frame + f * band;
            for i in 0..a {
                let start = window + i * step;
                if let Some(run) = runs.next() {
                    run.copy_from_slice(&src[start..start + b]);
                }
            }
        }
    }
}

/// For each frame, the maximum over its `bands` rows of `products` (`frames · bands` rows of
/// `filters` values, frame-major) into `out` (`frames` rows of `filters`). NaN-free input
/// gives exactly what libtorch's `amax` gives.
pub(crate) fn max_over_bands(products: &[f32], out: &mut [f32], bands: usize, filters: usize) {
    for (frame_rows, out_row) in products
        .chunks_exact(bands * filters)
        .zip(out.chunks_exact_mut(filters))
    {
        let (first, rest) = frame_rows.split_at(filters);
        out_row.copy_from_slice(first);
        for row in rest.chunks_exact(filters) {
            // A select, not a branch: the compiler turns it into vector max instructions,
            // where a conditional store would mispredict on every other value.
            for (o, &v) in out_row.iter_mut().zip(row) {
                *o = if v > *o { v } else { *o };
            }
        }
    }
}

/// Where a contiguous float32 tensor on the CPU keeps its values (a dangling, aligned pointer
/// when it has none), and how many; `None` for any other tensor.
fn cpu_buffer(t: &Tensor) -> Option<(*mut f32, usize)> {
    if t.device() != Device::Cpu || t.kind() != Kind::Float || !t.is_contiguous() {
        return None;
    }
    let len = t.numel();
    let ptr = match len {
        0 => std::ptr::NonNull::<f32>::dangling().as_ptr(),
        _ => t.data_ptr() as *mut f32,
    };
    Some((ptr, len))
}

/// The values of a contiguous float32 tensor on the CPU, or `None` for any other tensor.
///
/// # Safety
/// Nothing may write the tensor's memory while the slice is alive (no libtorch operation with
/// it as output, no other mutable slice of it).
pub(crate) unsafe fn cpu_values(t: &Tensor) -> Option<&[f32]> {
    let (ptr, len) = cpu_buffer(t)?;
    // SAFETY: a contiguous float32 CPU tensor holds `numel` floats at `data_ptr` (and an empty
    // slice may start at a dangling aligned pointer); the caller guarantees that nothing writes
    // them meanwhile.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The values of a contiguous float32 tensor on the CPU, writable, or `None` for any other
/// tensor.
///
/// # Safety
/// Nothing else may read or write the tensor's memory while the slice is alive: the tensor
/// must not share storage with one in use, and no libtorch operation may use it meanwhile.
#[allow(clippy::mut_from_ref)]
pub(crate) unsafe fn cpu_values_mut(t: &Tensor) -> Option<&mut [f32]> {
    let (ptr, len) = cpu_buffer(t)?;
    // SAFETY: as in `cpu_values`, with exclusive access guaranteed by the caller.
    Some(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolding_matches_libtorch_unfold_both_ways() {
        let x = Tensor::randn([11, 9], (Kind::Float, Device::Cpu));
        let src = Vec::<f32>::try_from(x.view([-1])).unwrap();
        // Rows of frames, runs along the bands (timbral: 3 × 4 windows).
        let (a, b) = (3, 4);
        let (frames, bands) = (11 - a + 1, 9 - b + 1);
        let mut rows = vec![0.0; frames * bands * a * b];
        let layout = WindowLayout {
            frame: 9,
            band: 1,
            step: 9,
            a,
            b,
        };
        unfold_rows(&src, &mut rows, layout, 2, frames - 2, bands);
        let expect = x
            .unfold(0, a as i64, 1)
            .unfold(1, b as i64, 1)
            .narrow(0, 2, (frames - 2) as i64)
            .contiguous()
            .view([-1]);
        let n = (frames - 2) * bands * a * b;
        assert_eq!(rows[..n], Vec::<f32>::try_from(expect).unwrap()[..]);

        // Runs along the frames of the transposed input (temporal: 5 × 1 windows).
        let xt = x.tr().contiguous();
        let src = Vec::<f32>::try_from(xt.view([-1])).unwrap();
        let layout = WindowLayout {
            frame: 1,
            band: 11,
            step: 11,
            a: 1,
            b: 5,
        };
        let (frames, bands) = (11 - 5 + 1, 9);
        let mut rows = vec![0.0; frames * bands * 5];
        unfold_rows(&src, &mut rows, layout, 0, frames, bands);
        let expect = x.unfold(0, 5, 1).contiguous().view([-1]);
        assert_eq!(rows, Vec::<f32>::try_from(expect).unwrap());
    }

    #[test]
    fn max_over_bands_matches_amax() {
        let p = Tensor::randn([6, 7, 5], (Kind::Float, Device::Cpu));
        let src = Vec::<f32>::try_from(p.view([-1])).unwrap();
        let mut out = vec![0.0; 6 * 5];
        max_over_bands(&src, &mut out, 7, 5);
        let expect = Vec::<f32>::try_from(p.amax([1], false).view([-1])).unwrap();
        assert_eq!(out, expect);
    }

    #[test]
    fn only_contiguous_float_cpu_tensors_are_viewed() {
        let t = Tensor::arange(6, (Kind::Float, Device::Cpu)).view([2, 3]);
        assert_eq!(
            unsafe { cpu_values(&t) }.unwrap(),
            &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        );
        assert!(unsafe { cpu_values(&t.tr()) }.is_none());
        assert!(unsafe { cpu_values(&t.to_kind(Kind::Double)) }.is_none());
        assert!(unsafe { cpu_values_mut(&t.tr()) }.is_none());
    }
}

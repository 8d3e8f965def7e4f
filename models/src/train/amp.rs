//! Mixed precision: bfloat16 autocast on CUDA.
//!
//! Under autocast, libtorch runs convolutions and matrix products in a lower precision while
//! the weights, their gradients, Adam's moments, the normalisations and the loss stay float32.
//! bfloat16 keeps float32's exponent range, so no loss scaling is needed (unlike float16).
//! `tch::autocast` switches CUDA autocast on and off but leaves its type at libtorch's default
//! (float16); [`set_cuda_autocast_bf16`] sets it to bfloat16 through libtorch's own
//! `at::autocast::set_autocast_dtype`, which the C API of `torch-sys` does not wrap.

/// The arithmetic of the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// float32 throughout.
    #[default]
    Fp32,
    /// bfloat16 autocast (CUDA only).
    Bf16,
}

impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fp32" => Ok(Precision::Fp32),
            "bf16" => Ok(Precision::Bf16),
            other => Err(format!("precision is fp32 or bf16, not '{other}'")),
        }
    }
}

/// `c10::DeviceType::CUDA`.
const DEVICE_CUDA: i8 = 1;
/// `c10::ScalarType::BFloat16`.
const SCALAR_BFLOAT16: i8 = 15;

// libtorch's C++ functions (libtorch_cpu, linked through torch-sys). Both enums are `int8_t`
// underneath, passed like `signed char` in the C calling convention.
unsafe extern "C" {
    #[link_name = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE"]
    fn at_autocast_set_autocast_dtype(device: i8, dtype: i8);
    #[link_name = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE"]
    fn at_autocast_get_autocast_dtype(device: i8) -> i8;
}

/// Makes CUDA autocast use bfloat16 (process-wide); returns whether libtorch now reports it.
pub fn set_cuda_autocast_bf16() -> bool {
    // SAFETY: both functions only read or write libtorch's autocast settings (a thread-local /
    // global enum); the arguments are valid enumerators.
    unsafe {
        at_autocast_set_autocast_dtype(DEVICE_CUDA, SCALAR_BFLOAT16);
        at_autocast_get_autocast_dtype(DEVICE_CUDA) == SCALAR_BFLOAT16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_autocast_type_is_set_to_bfloat16_without_a_gpu() {
        // Setting the type needs no device: this checks the symbol and its calling convention.
        assert!(set_cuda_autocast_bf16());
        assert_eq!("bf16".parse::<Precision>(), Ok(Precision::Bf16));
        assert!("fp16".parse::<Precision>().is_err());
    }
}

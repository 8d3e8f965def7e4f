//! Where libtorch runs, and what it can do in this process.
//!
//! * [`DeviceChoice`] parses the `--device` flags of the CLI (`cpu`, `cuda`, `cuda:N`, `auto`) and
//!   [`DeviceChoice::resolve`] turns one into a [`tch::Device`], failing with a clear
//!   [`DeviceError`] when CUDA is asked for but cannot be used.
//! * [`runtime_report`] gathers what `musearch doctor` prints: the libtorch this crate was built
//!   against, whether CUDA and cuDNN are usable, the number of CUDA devices and of CPU threads, and
//!   which libtorch shared libraries the process actually loaded.
//!
//! A binary linked without `libtorch_cuda.so` (the linker drops it unless told otherwise, see
//! `models/build/libtorch_link.rs`) reports CUDA as unavailable even on a GPU machine;
//! [`RuntimeReport::libtorch_cuda_loaded`] tells that case apart from a machine without a GPU.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

/// The device a model should run on, as the user asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// The CPU.
    Cpu,
    /// The CUDA device with this index (`cuda` is `cuda:0`).
    Cuda(usize),
    /// The first CUDA device when one is usable, else the CPU.
    #[default]
    Auto,
}

/// Why a device could not be parsed or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The text is none of `cpu`, `cuda`, `cuda:N`, `auto`.
    #[error("unknown device '{0}': expected cpu, cuda, cuda:N or auto")]
    Parse(String),
    /// CUDA was asked for, but libtorch sees no CUDA device.
    #[error(
        "device {requested} was requested but CUDA is not available to libtorch \
         ({reason}); use --device cpu or auto"
    )]
    CudaUnavailable {
        /// What was asked for, e.g. `cuda:0`.
        requested: String,
        /// The most likely cause, from what the process loaded.
        reason: String,
    },
    /// CUDA works, but there is no device with that index.
    #[error("device cuda:{index} was requested but there are only {count} CUDA device(s)")]
    NoSuchCudaDevice {
        /// The index asked for.
        index: usize,
        /// How many CUDA devices libtorch sees.
        count: usize,
    },
}

impl FromStr for DeviceChoice {
    type Err = DeviceError;

    /// Parses `cpu`, `cuda`, `cuda:N` or `auto`, ignoring case and surrounding blanks.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_str() {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            "auto" => Ok(Self::Auto),
            other => other
                .strip_prefix("cuda:")
                .and_then(|index| index.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| DeviceError::Parse(text.to_owned())),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(index) => write!(f, "cuda:{index}"),
            Self::Auto => f.write_str("auto"),
        }
    }
}

impl DeviceChoice {
    /// The [`tch::Device`] for this choice on this machine.
    ///
    /// # Errors
    /// [`DeviceError::CudaUnavailable`] when a CUDA device is asked for and libtorch sees none,
    /// [`DeviceError::NoSuchCudaDevice`] when the index is out of range.
    pub fn resolve(self) -> Result<tch::Device, DeviceError> {
        let count = if tch::Cuda::is_available() {
            usize::try_from(tch::Cuda::device_count()).unwrap_or(0)
        } else {
            0
        };
        self.resolve_with(count)
    }

    /// [`resolve`](Self::resolve) given the number of usable CUDA devices (0: no CUDA).
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve).
    pub fn resolve_with(self, cuda_devices: usize) -> Result<tch::Device, DeviceError> {
        match self {
            Self::Cpu => Ok(tch::Device::Cpu),
            Self::Auto if cuda_devices > 0 => Ok(tch::Device::Cuda(0)),
            Self::Auto => Ok(tch::Device::Cpu),
            Self::Cuda(_) if cuda_devices == 0 => Err(DeviceError::CudaUnavailable {
                requested: self.to_string(),
                reason: cuda_unavailable_reason(),
            }),
            Self::Cuda(index) if index >= cuda_devices => Err(DeviceError::NoSuchCudaDevice {
                index,
                count: cuda_devices,
            }),
            Self::Cuda(index) => Ok(tch::Device::Cuda(index)),
        }
    }
}

/// The likeliest reason CUDA is unavailable, for error messages.
fn cuda_unavailable_reason() -> String {
    let loaded = loaded_libtorch_libraries();
    if loaded.is_empty() {
        "could not read the loaded libraries".to_owned()
    } else if loaded.iter().any(|lib| is_libtorch_cuda(lib)) {
        "libtorch_cuda is loaded, so there is no usable GPU or driver".to_owned()
    } else {
        "libtorch_cuda.so is not loaded: a CPU-only libtorch, or a binary linked without \
         -Wl,--no-as-needed -ltorch_cuda"
            .to_owned()
    }
}

fn is_libtorch_cuda(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("libtorch_cuda.so"))
}

/// What libtorch can do in this process; see [`runtime_report`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuntimeReport {
    /// Version of the libtorch this crate was built against (e.g. `2.11.0+cu130`), read at build
    /// time from the wheel's `torch/version.py` or libtorch's `build-version`; empty if unknown.
    pub libtorch_version: String,
    /// libtorch's `lib/` directory at build time (the binary's RUNPATH); empty if unknown.
    pub libtorch_build_dir: String,
    /// Whether the build force-linked `libtorch_cuda` (`-Wl,--no-as-needed -ltorch_cuda`).
    pub libtorch_cuda_linked_at_build: bool,
    /// Whether `libtorch_cuda.so` is loaded in this process (the CUDA backend can register).
    pub libtorch_cuda_loaded: bool,
    /// `tch::Cuda::is_available()`: libtorch sees at least one usable CUDA device.
    pub cuda_available: bool,
    /// `tch::Cuda::cudnn_is_available()`.
    pub cudnn_available: bool,
    /// `tch::Cuda::device_count()`.
    pub cuda_device_count: i64,
    /// The cuDNN version libtorch was compiled with (e.g. 91900 for 9.19.0), when CUDA is usable.
    pub cudnn_version: Option<i64>,
    /// The CUDA runtime version libtorch was compiled with (e.g. 13000), when CUDA is usable.
    pub cuda_runtime_version: Option<i64>,
    /// libtorch's intra-op CPU thread count (`tch::get_num_threads()`).
    pub num_threads: i32,
    /// libtorch's inter-op CPU thread count (`tch::get_num_interop_threads()`).
    pub num_interop_threads: i32,
    /// Whether libtorch was built with OpenMP.
    pub has_openmp: bool,
    /// Whether libtorch was built with MKL.
    pub has_mkl: bool,
    /// Whether libtorch was built with oneDNN (MKL-DNN).
    pub has_mkldnn: bool,
    /// The libtorch / c10 shared libraries mapped into this process, with their paths.
    pub loaded_libraries: Vec<PathBuf>,
}

/// Collects a [`RuntimeReport`]: asks libtorch about CUDA, cuDNN and threads, and reads
/// `/proc/self/maps` for the libtorch libraries loaded. Cheap apart from the first CUDA query,
/// which initialises the CUDA driver when there is one.
pub fn runtime_report() -> RuntimeReport {
    let cuda_available = tch::Cuda::is_available();
    let loaded_libraries = loaded_libtorch_libraries();
    RuntimeReport {
        libtorch_version: env!("MUSEARCH_LIBTORCH_VERSION").to_owned(),
        libtorch_build_dir: env!("MUSEARCH_LIBTORCH_LIB_DIR").to_owned(),
        libtorch_cuda_linked_at_build: env!("MUSEARCH_LIBTORCH_CUDA_LINKED") == "1",
        libtorch_cuda_loaded: loaded_libraries.iter().any(|lib| is_libtorch_cuda(lib)),
        cuda_available,
        cudnn_available: tch::Cuda::cudnn_is_available(),
        cuda_device_count: tch::Cuda::device_count(),
        // These two throw inside libtorch (a panic in tch) when the CUDA hooks are missing.
        cudnn_version: cuda_available.then(tch::utils::version_cudnn),
        cuda_runtime_version: cuda_available.then(tch::utils::version_cudart),
        num_threads: tch::get_num_threads(),
        num_interop_threads: tch::get_num_interop_threads(),
        has_openmp: tch::utils::has_openmp(),
        has_mkl: tch::utils::has_mkl(),
        has_mkldnn: tch::utils::has_mkldnn(),
        loaded_libraries,
    }
}

/// The libtorch and c10 shared libraries (`libtorch*.so`, `libc10*.so`) mapped into this process,
/// read from `/proc/self/maps`, in load order. Empty where that file cannot be read.
pub fn loaded_libtorch_libraries() -> Vec<PathBuf> {
    std::fs::read_to_string("/proc/self/maps")
        .map(|maps| libtorch_libraries_in_maps(&maps))
        .unwrap_or_default()
}

/// The distinct libtorch / c10 library paths in the text of a `/proc/<pid>/maps` file.
fn libtorch_libraries_in_maps(maps: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        // address perms offset dev inode pathname; the path is the sixth field, may hold spaces.
        let Some(path) = line.splitn(6, ' ').nth(5).map(str::trim_start) else {
            continue;
        };
        let path = std::path::Path::new(path);
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let is_torch =
            (name.starts_with("libtorch") || name.starts_with("libc10")) && name.contains(".so");
        if is_torch && !found.iter().any(|p| p == path) {
            found.push(path.to_path_buf());
        }
    }
    found
}

impl fmt::Display for RuntimeReport {
    /// A human-readable multi-line report, one `key: value` per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_unknown = |s: &str| {
            if s.is_empty() {
                "unknown".to_owned()
            } else {
                s.to_owned()
            }
        };
        writeln!(
            f,
            "libtorch version: {}",
            or_unknown(&self.libtorch_version)
        )?;
        writeln!(
            f,
            "libtorch build dir: {}",
            or_unknown(&self.libtorch_build_dir)
        )?;
        writeln!(
            f,
            "libtorch_cuda: linked at build: {}, loaded now: {}",
            yes_no(self.libtorch_cuda_linked_at_build),
            yes_no(self.libtorch_cuda_loaded)
        )?;
        writeln!(
            f,
            "CUDA available: {} ({} device(s)){}",
            yes_no(self.cuda_available),
            self.cuda_device_count,
            self.cuda_runtime_version
                .map(|v| format!(", CUDA runtime {}.{}", v / 1000, (v % 1000) / 10))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "cuDNN available: {}{}",
            yes_no(self.cudnn_available),
            self.cudnn_version
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "CPU threads: {} intra-op, {} inter-op (OpenMP {}, MKL {}, oneDNN {})",
            self.num_threads,
            self.num_interop_threads,
            yes_no(self.has_openmp),
            yes_no(self.has_mkl),
            yes_no(self.has_mkldnn)
        )?;
        write!(f, "loaded libraries:")?;
        if self.loaded_libraries.is_empty() {
            write!(f, " none found")?;
        }
        for lib in &self.loaded_libraries {
            write!(f, "\n  {}", lib.display())?;
        }
        Ok(())
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_device_spelling() {
        assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!(" CPU ".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda(0)));
        assert_eq!("cuda:0".parse(), Ok(DeviceChoice::Cuda(0)));
        assert_eq!("cuda:3".parse(), Ok(DeviceChoice::Cuda(3)));
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        for bad in ["", "gpu:1", "cuda:", "cuda:-1", "cuda:x", "tpu", "cuda0"] {
            assert_eq!(
                bad.parse::<DeviceChoice>(),
                Err(DeviceError::Parse(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for choice in [DeviceChoice::Cpu, DeviceChoice::Cuda(2), DeviceChoice::Auto] {
            assert_eq!(choice.to_string().parse(), Ok(choice));
        }
    }

    #[test]
    fn resolves_against_the_number_of_cuda_devices() {
        use tch::Device;
        assert_eq!(DeviceChoice::Cpu.resolve_with(0), Ok(Device::Cpu));
        assert_eq!(DeviceChoice::Cpu.resolve_with(2), Ok(Device::Cpu));
        assert_eq!(DeviceChoice::Auto.resolve_with(0), Ok(Device::Cpu));
        assert_eq!(DeviceChoice::Auto.resolve_with(1), Ok(Device::Cuda(0)));
        assert_eq!(DeviceChoice::Cuda(1).resolve_with(2), Ok(Device::Cuda(1)));
        assert_eq!(
            DeviceChoice::Cuda(2).resolve_with(2),
            Err(DeviceError::NoSuchCudaDevice { index: 2, count: 2 })
        );
        let err = DeviceChoice::Cuda(0).resolve_with(0).unwrap_err();
        assert!(
            matches!(err, DeviceError::CudaUnavailable { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("cuda:0"), "{message}");
        assert!(message.contains("--device cpu"), "{message}");
    }

    #[test]
    fn resolve_agrees_with_libtorch() {
        let cuda = tch::Cuda::is_available();
        assert_eq!(
            DeviceChoice::Auto.resolve().unwrap(),
            if cuda {
                tch::Device::Cuda(0)
            } else {
                tch::Device::Cpu
            }
        );
        assert_eq!(DeviceChoice::Cuda(0).resolve().is_ok(), cuda);
    }

    #[test]
    fn finds_libtorch_libraries_in_a_maps_file() {
        let maps = "\
7f0000000000-7f0000001000 r--p 00000000 08:01 1 /venv/torch/lib/libtorch_cpu.so
7f0000001000-7f0000002000 r-xp 00001000 08:01 1 /venv/torch/lib/libtorch_cpu.so
7f0000002000-7f0000003000 r--p 00000000 08:01 2 /venv/torch/lib/libc10.so
7f0000003000-7f0000004000 r--p 00000000 08:01 3 /usr/lib/x86_64-linux-gnu/libm.so.6
7f0000004000-7f0000005000 rw-p 00000000 00:00 0
7f0000005000-7f0000006000 r--p 00000000 08:01 4 /my dir/lib/libtorch_cuda.so
7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0                          [stack]
";
        let found = libtorch_libraries_in_maps(maps);
        assert_eq!(
            found,
            [
                "/venv/torch/lib/libtorch_cpu.so",
                "/venv/torch/lib/libc10.so",
                "/my dir/lib/libtorch_cuda.so"
            ]
            .map(PathBuf::from)
        );
        assert!(is_libtorch_cuda(&found[2]));
        assert!(!is_libtorch_cuda(&found[0]));
    }

    #[test]
    fn report_describes_this_process() {
        let report = runtime_report();
        // libtorch_cpu must be mapped: this test binary calls into it.
        assert!(
            report
                .loaded_libraries
                .iter()
                .any(|lib| lib.to_string_lossy().contains("libtorch_cpu")),
            "{report}"
        );
        assert!(report.num_threads >= 1, "{report}");
        assert_eq!(report.cuda_available, report.cuda_device_count > 0);
        if report.cuda_available {
            assert!(report.libtorch_cuda_loaded);
        }
        // A build that found libtorch_cuda.so must have kept it linked.
        if report.libtorch_cuda_linked_at_build {
            assert!(report.libtorch_cuda_loaded, "{report}");
        }
        let text = report.to_string();
        assert!(text.contains("CUDA available: "), "{text}");
        assert!(text.contains("libtorch_cuda: linked at build: "), "{text}");
    }
}

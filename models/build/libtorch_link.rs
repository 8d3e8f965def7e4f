// Build-script logic shared by the `musearch` binary's `build.rs` and `models/build.rs`, pulled in
// with `include!` (build scripts cannot depend on a workspace crate without a separate helper crate).
//
// The problem it solves (tch-rs issues #907 and #980): nothing in a Rust binary references a symbol
// of `libtorch_cuda.so`; libtorch only registers its CUDA backend from that library's static
// initialisers. rustc links with `-Wl,--as-needed`, so the linker drops the library, the CUDA backend
// never loads, and `tch::Cuda::is_available()` says `false` on a machine with a GPU. torch-sys asks
// for `-ltorch_cuda` but cannot change how it is linked: `cargo:rustc-link-arg` from a dependency's
// build script does not reach the final binary. So every package that links a binary or a test
// binary against tch has to pass, from its own build script:
//
//     -Wl,--no-as-needed -ltorch_cuda -Wl,--as-needed
//
// when `libtorch_cuda.so` exists in the libtorch it builds against. This also embeds a RUNPATH to that
// libtorch (so the binary runs without LD_LIBRARY_PATH on the machine that built it; LD_LIBRARY_PATH
// still wins, being searched before RUNPATH) and tells the crate, through `rustc-env` variables, what
// it was linked with:
//
// * `MUSEARCH_LIBTORCH_LIB_DIR`: the libtorch `lib/` directory found at build time;
// * `MUSEARCH_LIBTORCH_VERSION`: its version (`torch/version.py` or a libtorch `build-version`);
// * `MUSEARCH_LIBTORCH_CUDA_LINKED`: `1` when `libtorch_cuda` was linked with `--no-as-needed`.

/// Emits the cargo instructions described above. `self_path` is this file's path relative to the
/// package being built, for `rerun-if-changed`.
#[allow(dead_code)]
fn libtorch_link_main(self_path: &str) {
    use std::path::PathBuf;

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={self_path}");
    for var in [
        "LIBTORCH",
        "LIBTORCH_LIB",
        "LIBTORCH_USE_PYTORCH",
        "VIRTUAL_ENV",
        "MUSEARCH_NO_RPATH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let torch = std::env::var_os("CARGO_FEATURE_TORCH").is_some();
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let lib_dir: Option<PathBuf> = if torch && linux {
        libtorch_lib_dir()
    } else {
        None
    };
    let Some(lib_dir) = lib_dir else {
        if torch && linux {
            println!(
                "cargo:warning=libtorch's lib directory not found: libtorch_cuda will not be \
                 force-linked (source scripts/env.sh before building)"
            );
        }
        println!("cargo:rustc-env=MUSEARCH_LIBTORCH_LIB_DIR=");
        println!("cargo:rustc-env=MUSEARCH_LIBTORCH_VERSION=");
        println!("cargo:rustc-env=MUSEARCH_LIBTORCH_CUDA_LINKED=0");
        return;
    };

    // Re-run when the libtorch directory gains or loses files (another wheel installed there).
    println!("cargo:rerun-if-changed={}", lib_dir.display());
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!(
        "cargo:rustc-env=MUSEARCH_LIBTORCH_LIB_DIR={}",
        lib_dir.display()
    );
    println!(
        "cargo:rustc-env=MUSEARCH_LIBTORCH_VERSION={}",
        libtorch_version(&lib_dir).unwrap_or_default()
    );

    let cuda = lib_dir.join("libtorch_cuda.so").exists();
    if cuda {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
    println!(
        "cargo:rustc-env=MUSEARCH_LIBTORCH_CUDA_LINKED={}",
        u8::from(cuda)
    );

    if std::env::var_os("MUSEARCH_NO_RPATH").is_none() {
        // RUNPATH (new dtags), not RPATH: LD_LIBRARY_PATH is searched first, so a binary carried
        // to another machine still takes that machine's libtorch from LD_LIBRARY_PATH.
        println!("cargo:rustc-link-arg=-Wl,--enable-new-dtags");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    }
}

/// libtorch's `lib/` directory, found as torch-sys 0.24 finds it:
///
/// 1. `DEP_TCH_LIBTORCH_LIB`, which torch-sys itself publishes (`links = "tch"`) to packages that
///    depend on it directly: exactly the directory it linked against;
/// 2. with `LIBTORCH_USE_PYTORCH` set, ask Python (`python` when `VIRTUAL_ENV` is set, else
///    `python3`, like torch-sys) where the `torch` package is;
/// 3. `LIBTORCH_LIB` or `LIBTORCH`, plus `lib`;
/// 4. the system install `/usr/lib/libtorch.so`.
#[allow(dead_code)]
fn libtorch_lib_dir() -> Option<std::path::PathBuf> {
    use std::path::{Path, PathBuf};

    if let Some(dir) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") {
        return Some(PathBuf::from(dir));
    }
    if std::env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        let python = if std::env::var_os("VIRTUAL_ENV").is_some() {
            "python"
        } else {
            "python3"
        };
        let output = std::process::Command::new(python)
            .args([
                "-c",
                "import importlib.util, os\n\
                 spec = importlib.util.find_spec('torch')\n\
                 print(os.path.join(os.path.dirname(spec.origin), 'lib'))",
            ])
            .output()
            .ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        return (output.status.success() && dir.is_dir()).then_some(dir);
    }
    if let Some(lib) = std::env::var_os("LIBTORCH_LIB").or_else(|| std::env::var_os("LIBTORCH")) {
        return Some(PathBuf::from(lib).join("lib"));
    }
    Path::new("/usr/lib/libtorch.so")
        .exists()
        .then(|| PathBuf::from("/usr/lib"))
}

/// The version of the libtorch in `lib_dir`: a PyTorch wheel's `torch/version.py`
/// (`__version__ = '2.11.0+cu130'`), or a libtorch archive's `build-version` file.
#[allow(dead_code)]
fn libtorch_version(lib_dir: &std::path::Path) -> Option<String> {
    let root = lib_dir.parent()?;
    if let Ok(text) = std::fs::read_to_string(root.join("version.py")) {
        let version = text.lines().find_map(|line| {
            let value = line.strip_prefix("__version__")?.trim_start();
            let value = value.strip_prefix('=')?.trim();
            Some(value.trim_matches(|c| c == '\'' || c == '"').to_owned())
        });
        if version.is_some() {
            return version;
        }
    }
    std::fs::read_to_string(root.join("build-version"))
        .ok()
        .map(|v| v.trim().to_owned())
}

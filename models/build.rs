//! Links `libtorch_cuda` into this crate's test binaries, examples and benchmarks when the `torch`
//! feature is on; see `build/libtorch_link.rs` (shared with the `musearch` binary's `build.rs`).

include!("build/libtorch_link.rs");

fn main() {
    libtorch_link_main("build/libtorch_link.rs");
}

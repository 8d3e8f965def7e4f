//! Links `libtorch_cuda` into the `musearch` binary (and this package's tests) when the `torch`
//! feature is on, so that CUDA is usable on a GPU machine; see `models/build/libtorch_link.rs`.

include!("models/build/libtorch_link.rs");

fn main() {
    libtorch_link_main("models/build/libtorch_link.rs");
}

//! Running a pretrained network on the CPU: the patches of a batch shared out among threads,
//! each running whole forward passes ([`forward_in_parallel`]), and the allocator setting for
//! processes that tag many batches ([`keep_freed_memory`]).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use tch::{get_num_threads, set_num_threads, Tensor};

use super::pretrained::Net;
use super::TaggerOutput;

/// The forward pass over a batch on the CPU, the patches split among libtorch's threads.
///
/// libtorch parallelises each operator over its threads (OpenMP), which pays a barrier per
/// operator and, on a machine whose cores other processes also use, waits at each one for the
/// slowest thread. Here each thread instead runs whole forward passes on its own share of the
/// patches with one intra-op thread: the batch is cut into pieces (about two per thread) that
/// the threads take in turn, so one slowed by other processes takes fewer. The calling thread's
/// libtorch thread count decides how many threads, and is restored after.
pub(super) fn forward_in_parallel(net: &Net, x: &Tensor) -> TaggerOutput {
    SharedNet(net).forward_in_parallel(x)
}

/// A network shared by the threads of one batch on the CPU.
struct SharedNet<'a>(&'a Net);

// SAFETY: a forward pass only reads the parameters (inference: no gradient, batch norm uses its
// stored statistics, no operation writes a parameter in place), and libtorch's operators may
// read the same tensors from several threads at once (tch itself declares its TorchScript
// modules `Sync` on that ground). `Tensor` is not `Sync` in tch only because it cannot know
// that nobody writes.
unsafe impl Sync for SharedNet<'_> {}

impl SharedNet<'_> {
    /// The forward pass on the calling thread.
    fn forward(&self, x: &Tensor) -> TaggerOutput {
        self.0.forward(x)
    }

    /// See [`forward_in_parallel`].
    fn forward_in_parallel(&self, x: &Tensor) -> TaggerOutput {
        let threads = get_num_threads().max(1);
        let n = x.size()[0];
        let workers = i64::from(threads).min(n);
        if workers <= 1 {
            return self.forward(x);
        }
        let piece = (n - 1) / (2 * workers) + 1; // ⌈n / (2 · workers)⌉, n ≥ 1
        let pieces: Vec<Tensor> = x.split(piece, 0);
        let count = pieces.len();
        let queue = Mutex::new(pieces.into_iter().enumerate().collect::<VecDeque<_>>());
        let results = Mutex::new((0..count).map(|_| None).collect::<Vec<_>>());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    set_num_threads(1);
                    loop {
                        let next = queue
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop_front();
                        let Some((index, piece)) = next else { break };
                        let out = self.forward(&piece);
                        results.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(out);
                    }
                });
            }
        });
        set_num_threads(threads);
        let outputs: Vec<TaggerOutput> = results
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .map(|out| out.expect("every piece is run once the threads have joined"))
            .collect();
        let cat = |field: fn(&TaggerOutput) -> &Tensor| {
            Tensor::cat(&outputs.iter().map(field).collect::<Vec<_>>(), 0)
        };
        TaggerOutput {
            probabilities: cat(|o| &o.probabilities),
            logits: cat(|o| &o.logits),
            embedding: cat(|o| &o.embedding),
        }
    }
}

/// Makes glibc's allocator keep freed memory for reuse instead of handing it back to the kernel.
///
/// glibc serves every block over its mmap threshold (at most 32 MiB) with a fresh `mmap` and
/// unmaps it on free, so each batch page-faults its large activations in again: with musicnn's
/// front-end as libtorch convolutions (`N × filters × T × F` outputs, about 1.6 GB for a batch
/// of 64) a third of the CPU time went to the kernel. The GEMM front-end no longer makes those,
/// but the VGG's and the mid-end's activations of a batch still pass the threshold. This turns
/// off `mmap` for allocations (`M_MMAP_MAX = 0`) and trimming of the heap
/// (`M_TRIM_THRESHOLD`), so the process keeps its peak heap and reuses it. Call it once,
/// before tagging, in a process that runs many batches. A no-op elsewhere than glibc; returns
/// whether both settings were taken.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

//! Flags that several subcommands share, as clap argument groups: each subcommand's `Args`
//! flattens the groups it takes (`#[command(flatten)]`), so a flag is declared, documented
//! and defaulted once.

use std::path::PathBuf;

/// `--store DIR`: the model store.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArgs {
    /// The model store (default: `$MUSEARCH_HOME`, else the user's data directory).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

impl StoreArgs {
    /// The store these flags name, or the default one.
    pub fn dir(&self) -> PathBuf {
        self.store
            .clone()
            .unwrap_or_else(musearch_models::store::model_store_dir)
    }
}

/// `--device`: where the networks run.
#[derive(Debug, Clone, clap::Args)]
pub struct DeviceArgs {
    /// Where to run the networks: cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "auto")]
    pub device: String,
}

#[cfg(feature = "torch")]
impl DeviceArgs {
    /// The libtorch device the flag names (`auto`: CUDA when libtorch sees it, else the CPU).
    pub fn resolve(&self) -> anyhow::Result<musearch_models::nets::Device> {
        use musearch_models::torch_runtime::DeviceChoice;
        Ok(self.device.parse::<DeviceChoice>()?.resolve()?)
    }
}

/// `--threads N`: libtorch's CPU threads.
#[derive(Debug, Clone, clap::Args)]
pub struct ThreadsArgs {
    /// libtorch's CPU threads for the network (default: libtorch's choice, one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<i32>,
}

#[cfg(feature = "torch")]
impl ThreadsArgs {
    /// Sets libtorch's thread count when the flag is given (at least one).
    pub fn apply(&self) {
        if let Some(n) = self.threads {
            musearch_models::nets::set_num_threads(n.max(1));
        }
    }
}

/// `--limit`, `--offset`: one page of results.
#[derive(Debug, Clone, clap::Args)]
pub struct PageArgs {
    /// Results to show.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Results to skip (for the next page).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
}

/// `--index DIR` (or `$MUSEARCH_INDEX`): the index directory.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexDirArgs {
    /// The index directory (default: `index` in the musearch data directory, see
    /// `musearch doctor`).
    #[arg(long, short, env = "MUSEARCH_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
}

impl IndexDirArgs {
    /// The index directory these flags name, or the default one.
    pub fn dir(&self) -> PathBuf {
        super::index::default_index_dir(self.index.clone())
    }
}

/// `--cache DIR`, `--jobs N`: the mel cache of a data set.
#[derive(Debug, Clone, clap::Args)]
pub struct MelCacheArgs {
    /// Mel cache directory (default DATA/.mel-cache); built on first use.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Threads computing the mel cache.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
}

#[cfg(any(feature = "torch", test))]
impl MelCacheArgs {
    /// The cache directory of the data set in `data`.
    pub fn dir(&self, data: &std::path::Path) -> PathBuf {
        self.cache
            .clone()
            .unwrap_or_else(|| data.join(".mel-cache"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::Path;

    /// A command made of the groups alone, as a subcommand flattens them.
    #[derive(Debug, clap::Parser)]
    struct Probe {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        device: DeviceArgs,
        #[command(flatten)]
        threads: ThreadsArgs,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        cache: MelCacheArgs,
    }

    #[test]
    fn groups_keep_their_flags_and_defaults() {
        let p = Probe::try_parse_from(["probe"]).unwrap();
        assert_eq!(p.store.store, None);
        assert_eq!(p.device.device, "auto");
        assert_eq!(p.threads.threads, None);
        assert_eq!((p.page.limit, p.page.offset), (10, 0));
        assert_eq!(p.cache.jobs, 2);
        assert_eq!(
            p.cache.dir(Path::new("/data")),
            Path::new("/data/.mel-cache")
        );
        let p = Probe::try_parse_from([
            "probe",
            "--store",
            "/s",
            "--device",
            "cpu",
            "--threads",
            "0",
            "--limit",
            "3",
            "--offset",
            "6",
            "--cache",
            "/c",
            "--jobs",
            "4",
        ])
        .unwrap();
        assert_eq!(p.store.dir(), Path::new("/s"));
        assert_eq!(p.device.device, "cpu");
        assert_eq!(p.threads.threads, Some(0));
        assert_eq!((p.page.limit, p.page.offset), (3, 6));
        assert_eq!(p.cache.dir(Path::new("/data")), Path::new("/c"));
        assert_eq!(p.cache.jobs, 4);
    }
}

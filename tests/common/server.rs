//! A real `musearch serve` on the fixture index, for end-to-end tests of the server.
//!
//! The index comes from `scripts/serve-fixture.sh --index-only` (the real indexer on
//! `fixtures/audio`, the same index the browser tests and the API fuzzer use); each server gets
//! its own copy and a free loopback port, and is killed when the [`TestServer`] is dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// A running server.
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    /// The server's stderr (its logs).
    pub log: PathBuf,
    dir: tempfile::TempDir,
}

/// The fixture index, built once per test binary (copy it before opening it: sled locks it).
pub fn fixture_index() -> &'static Path {
    static INDEX: OnceLock<PathBuf> = OnceLock::new();
    INDEX.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(root.join("scripts/serve-fixture.sh"))
            .arg("--index-only")
            .env("MUSEARCH_BIN", env!("CARGO_BIN_EXE_musearch"))
            .current_dir(root)
            .stderr(Stdio::inherit())
            .output()
            .expect("running scripts/serve-fixture.sh");
        assert!(
            out.status.success(),
            "scripts/serve-fixture.sh --index-only failed"
        );
        let path = String::from_utf8(out.stdout).unwrap().trim().to_string();
        PathBuf::from(path)
    })
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl TestServer {
    /// Starts `musearch serve` on a copy of the fixture index with `config` as its
    /// `musearch.toml` (empty: the defaults) and `extra` flags.
    pub fn start(config: &str, extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index");
        copy_dir(fixture_index(), &index);
        let config_path = dir.path().join("musearch.toml");
        std::fs::write(&config_path, config).unwrap();
        let log = dir.path().join("server.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_musearch"))
            .args(["serve", "--db"])
            .arg(&index)
            .args(["--bind", "127.0.0.1:0", "--config"])
            .arg(&config_path)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting musearch serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_default();
        let url = line.trim().trim_end_matches('/').to_string();
        if !url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            panic!(
                "musearch serve printed {line:?} instead of its URL; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        TestServer {
            child,
            url,
            log,
            dir,
        }
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The directory of this server's index copy, config and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

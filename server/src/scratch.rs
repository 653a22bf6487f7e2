//! Unit tests' files: a fresh directory under the system's temporary directory, removed with
//! everything in it (a SQLite database's `-wal` and `-shm` included) when the test ends, passed
//! or failed.

use std::path::PathBuf;

pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("portcullis-unit-{}", uuid::Uuid::new_v4()));
        #[allow(clippy::expect_used)]
        std::fs::create_dir_all(&dir).expect("a scratch directory under the temporary directory");
        Scratch(dir)
    }

    /// The path of file `name` in this directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

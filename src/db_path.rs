//! Checking the directory a `--db` path names before the store is opened.

use std::path::Path;

/// Refuses a `--db` file whose directory does not exist: a mistyped path should be an
/// error the user sees, not a new tree of directories holding a fresh, empty database.
/// Only the default location (in the data directory) is created on demand.
pub fn check_explicit_db(path: &Path) -> Result<(), String> {
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!(
            "--db {}: {} is not a directory",
            path.display(),
            dir.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "--db {}: the directory {} does not exist; create it first or choose another path",
            path.display(),
            dir.display()
        )),
        Err(e) => Err(format!(
            "--db {}: cannot use the directory {}: {e}",
            path.display(),
            dir.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_existing_directory_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_explicit_db(&dir.path().join("x.db")).is_ok());
        assert!(check_explicit_db(Path::new(":memory:")).is_ok());
        assert!(check_explicit_db(Path::new("x.db")).is_ok());
        let err = check_explicit_db(&dir.path().join("missing/x.db")).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = check_explicit_db(&file.join("x.db")).unwrap_err();
        assert!(err.contains("is not a directory"), "{err}");
    }
}

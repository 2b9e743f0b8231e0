//! Files that hold personal data (the SQLite database and its journals, the
//! email outbox) are readable by the service's own account only: folders
//! 0700, files 0600, whatever the process's umask. On systems without Unix
//! permissions these do nothing beyond creating the folder.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and its parents) if missing, and makes it private.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700)
}

/// Makes an existing file private (an older install's database, say).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    if path.exists() { restrict(path, 0o600) } else { Ok(()) }
}

/// Creates `path` empty and private if it does not exist, so that whatever
/// opens it next (SQLite, which gives its journal and WAL files the
/// database file's permissions) keeps it private.
pub fn create_private(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        open_new(path)?;
    }
    private_file(path)
}

/// Writes `bytes` to a new private file at `path`, via a temporary name in
/// the same folder so that a reader never sees half a file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut file = open_new(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn open_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_the_owners_only() {
        let root = std::env::temp_dir().join(format!("homeward-private-{}", uuid::Uuid::now_v7()));
        let dir = root.join("data");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("homeward.sqlite3");
        create_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let mail = dir.join("one.eml");
        write_private(&mail, b"Subject: x\r\n\r\nbody").unwrap();
        assert_eq!(mode(&mail), 0o600);
        assert_eq!(std::fs::read(&mail).unwrap(), b"Subject: x\r\n\r\nbody");
        // An existing world-readable file is made private.
        let old = dir.join("old.sqlite3");
        std::fs::write(&old, b"").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_file(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        std::fs::remove_dir_all(&root).unwrap();
    }
}

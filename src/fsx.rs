//! Writing files that must not be read, redirected or half-written: backups, TLS and sync keys,
//! update state. Every file the node or the CLI writes goes through [`NewFile`]:
//!
//! - the bytes go to a temporary file **in the target's directory** under an unpredictable name
//!   (`.NAME.<128 random bits>.tmp`), created with `O_CREAT | O_EXCL | O_NOFOLLOW` and the final
//!   mode (0600 for secrets): a symlink or file planted at any name is never followed or
//!   reused, and nobody else can open the file while it is written;
//! - [`NewFile::commit`] fsyncs it, renames it over the target (a rename replaces a symlink at
//!   the target, it does not follow it) and fsyncs the directory;
//! - dropped without `commit`, the temporary file is removed.
//!
//! Imports only std, libc (for `O_NOFOLLOW`) and rand.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Owner read/write only: keys, backups, secrets.
pub const SECRET: u32 = 0o600;
/// Readable by all (certificates, public keys, published releases).
pub const PUBLIC: u32 = 0o644;

/// A file being written next to its target; becomes the target on [`NewFile::commit`].
pub struct NewFile {
    file: Option<File>,
    tmp: PathBuf,
    target: PathBuf,
}

impl NewFile {
    /// Starts a file that will replace `target`, created with `mode` (less the umask).
    pub fn create(target: &Path, mode: u32) -> io::Result<NewFile> {
        use std::os::unix::fs::OpenOptionsExt;
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{} names no file", target.display()))
        })?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // a name taken by someone else (a planted file or link) is skipped, never opened
        let mut last = None;
        for _ in 0..8 {
            let tmp = dir.join(format!(".{}.{:032x}.tmp", name.to_string_lossy(), rand::random::<u128>()));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .mode(mode)
                .open(&tmp)
            {
                Ok(file) => return Ok(NewFile { file: Some(file), tmp, target: target.to_path_buf() }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
    }

    /// [`NewFile::create`] with mode 0600.
    pub fn secret(target: &Path) -> io::Result<NewFile> {
        Self::create(target, SECRET)
    }

    /// Where the bytes are until `commit` (to read them back, or to chown the file).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The open file, for writers that want a `File`.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("a NewFile holds its file until commit")
    }

    /// Flushes the bytes to disk and puts the file in place, replacing what was there.
    pub fn commit(mut self) -> io::Result<()> {
        self.finish()?;
        std::fs::rename(&self.tmp, &self.target)?;
        self.done();
        Ok(())
    }

    /// Like `commit`, but fails with `AlreadyExists` when the target exists (even as a link).
    pub fn commit_new(mut self) -> io::Result<()> {
        self.finish()?;
        std::fs::hard_link(&self.tmp, &self.target)?;
        let _ = std::fs::remove_file(&self.tmp);
        self.done();
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let f = self.file();
        f.flush()?;
        f.sync_all()
    }

    fn done(&mut self) {
        self.file = None;
        self.tmp = PathBuf::new();
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
}

impl Write for NewFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file().write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` as `target` with `mode` (see the module doc).
pub fn write_file(target: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut f = NewFile::create(target, mode)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Writes `bytes` as `target`, owner read/write only (0600).
pub fn write_secret(target: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file(target, bytes, SECRET)
}

/// Creates `dir` (and its parents) if missing, owner-only (0700), and fsyncs its parent.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    sync_parent(dir);
    Ok(())
}

/// Creates a new append-only log file (a journal segment) at `path`, owner read/write only:
/// `O_EXCL | O_NOFOLLOW`, and the directory fsynced so the name survives a crash.
pub fn create_log(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .append(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(SECRET)
        .open(path)?;
    sync_parent(path);
    Ok(f)
}

/// Opens an existing log file to read it (and cut a torn tail off), never through a symlink.
pub fn open_log(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).write(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path)
}

/// Opens the log file at `path` to append to and read from, creating it owner read/write only
/// if it is missing (and fsyncing the directory so the name survives a crash); never through a
/// symlink.
pub fn open_or_create_log(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let existed = path.exists();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(SECRET)
        .open(path)?;
    if !existed {
        sync_parent(path);
    }
    Ok(f)
}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn a_secret_is_0600_and_replaces_a_planted_symlink_without_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let key = dir.path().join("key.pem");
        std::os::unix::fs::symlink(&victim, &key).unwrap();
        write_secret(&key, b"secret").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(mode(&victim), 0o644);
        assert!(!std::fs::symlink_metadata(&key).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "secret");
        assert_eq!(mode(&key), 0o600);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn the_temporary_name_is_new_each_time_and_in_the_target_directory() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("backup.bin");
        let a = NewFile::secret(&t).unwrap();
        let b = NewFile::secret(&t).unwrap();
        assert_ne!(a.temp_path(), b.temp_path());
        assert_eq!(a.temp_path().parent(), Some(dir.path()));
        assert_eq!(std::fs::metadata(a.temp_path()).unwrap().mode() & 0o777, 0o600);
        drop(a);
        drop(b);
        assert!(leftovers(dir.path()).is_empty(), "an uncommitted file is removed");
        assert!(!t.exists());
    }

    #[test]
    fn commit_new_refuses_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("release.key");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &t).unwrap();
        let mut f = NewFile::secret(&t).unwrap();
        f.write_all(b"k").unwrap();
        assert_eq!(f.commit_new().unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert!(!dir.path().join("nowhere").exists());
        assert!(leftovers(dir.path()).is_empty());
    }
}

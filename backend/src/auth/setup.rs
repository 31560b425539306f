//! The one-time setup token: on a first start, whoever holds it creates the administrator. There is
//! no default password to forget to change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::RngCore;
use tracing::warn;

use super::sessions::hex;

/// The file in the data directory that holds the token while setup is open.
pub const SETUP_TOKEN_FILE: &str = "setup-token";

/// How long a setup token works. A box left unconfigured does not keep a way in open for ever;
/// restarting it makes a new token.
pub const SETUP_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// The open setup, if any.
#[derive(Debug, Clone)]
pub struct SetupToken {
    token: Arc<Mutex<Option<String>>>,
    file: PathBuf,
    expires: Option<Instant>,
}

impl SetupToken {
    /// Opens setup with a new random token written (owner-readable only) to the data directory,
    /// working for [`SETUP_TOKEN_LIFETIME`].
    pub fn open(data_dir: &Path) -> std::io::Result<SetupToken> {
        SetupToken::open_for(data_dir, SETUP_TOKEN_LIFETIME)
    }

    /// Opens setup with a token that works for `lifetime`.
    pub fn open_for(data_dir: &Path, lifetime: Duration) -> std::io::Result<SetupToken> {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex(&bytes);
        let file = data_dir.join(SETUP_TOKEN_FILE);
        write_private(&file, &token)?;
        Ok(SetupToken {
            token: Arc::new(Mutex::new(Some(token))),
            file,
            expires: Some(Instant::now() + lifetime),
        })
    }

    /// Setup already done: no token, and any stale token file is removed.
    pub fn closed(data_dir: &Path) -> SetupToken {
        let file = data_dir.join(SETUP_TOKEN_FILE);
        if file.exists()
            && let Err(error) = std::fs::remove_file(&file)
        {
            warn!(%error, file = %file.display(), "cannot remove the old setup token");
        }
        SetupToken {
            token: Arc::new(Mutex::new(None)),
            file,
            expires: None,
        }
    }

    /// Whether the open token is too old to be used.
    pub fn expired(&self) -> bool {
        self.expires
            .is_some_and(|expires| Instant::now() >= expires)
    }

    /// The token, while setup is open.
    pub fn current(&self) -> Option<String> {
        self.token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether `candidate` is the open token (compared in constant time) and still valid.
    pub fn matches(&self, candidate: &str) -> bool {
        !self.expired()
            && self
                .current()
                .is_some_and(|token| constant_time_equal(token.as_bytes(), candidate.as_bytes()))
    }

    /// Closes setup for good: the token works once.
    pub fn consume(&self) {
        *self
            .token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        if let Err(error) = std::fs::remove_file(&self.file) {
            warn!(%error, file = %self.file.display(), "cannot remove the used setup token");
        }
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_works_once_and_its_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let setup = SetupToken::open(dir.path()).unwrap();
        let token = setup.current().unwrap();
        let file = dir.path().join(SETUP_TOKEN_FILE);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(setup.matches(&token));
        assert!(!setup.matches("wrong"));
        assert!(!setup.matches(""));
        setup.consume();
        assert!(!setup.matches(&token));
        assert!(!file.exists());
    }

    #[test]
    fn an_old_token_no_longer_works() {
        let dir = tempfile::tempdir().unwrap();
        let setup = SetupToken::open_for(dir.path(), Duration::ZERO).unwrap();
        let token = setup.current().unwrap();
        assert!(setup.expired());
        assert!(!setup.matches(&token));
    }
}

//! The HTTPS certificate: the one the user provides, or a self-signed one made at the first
//! start and kept in the data directory (so a browser's exception stays valid across restarts).

use std::path::{Path, PathBuf};

use thiserror::Error;
use tracing::info;

/// Folder of the data directory holding the self-signed certificate and its key.
pub const TLS_DIR: &str = "tls";
const CERTIFICATE_FILE: &str = "certificate.pem";
const KEY_FILE: &str = "private-key.pem";

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// The certificate could not be made or stored.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("cannot make the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Makes the crypto provider of rustls the process default (ring). Harmless when called twice.
pub fn install_crypto_provider() {
    // Fails only when a provider is installed already, which is what we want anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The self-signed certificate of `data_dir`, made on the first call with `names` (host names
/// and IP addresses the box is reached by) as its subject alternative names.
pub fn self_signed(data_dir: &Path, names: &[String]) -> Result<CertificateFiles, TlsError> {
    let dir = data_dir.join(TLS_DIR);
    let files = CertificateFiles {
        certificate: dir.join(CERTIFICATE_FILE),
        key: dir.join(KEY_FILE),
    };
    if files.certificate.exists() && files.key.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(&dir).map_err(|source| TlsError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let made = rcgen::generate_simple_self_signed(names.to_vec())?;
    write_file(&files.key, &made.signing_key.serialize_pem(), true)?;
    write_file(&files.certificate, &made.cert.pem(), false)?;
    info!(
        certificate = %files.certificate.display(),
        names = ?names,
        "made a self-signed HTTPS certificate"
    );
    Ok(files)
}

fn write_file(path: &Path, content: &str, private: bool) -> Result<(), TlsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let error = |source| TlsError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(if private { 0o600 } else { 0o644 });
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(error)?;
    file.write_all(content.as_bytes()).map_err(error)?;
    file.sync_all().map_err(error)
}

/// The names a self-signed certificate should carry: `localhost`, the loopback addresses, the
/// machine's host name and the address it listens on (unless it listens on every address).
pub fn default_names(listen: std::net::SocketAddr) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_owned());
            names.push(format!("{host}.local"));
        }
    }
    let ip = listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_made_once_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let files = self_signed(dir.path(), &names).unwrap();
        let first = std::fs::read_to_string(&files.certificate).unwrap();
        assert!(first.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(
            std::fs::read_to_string(&files.key)
                .unwrap()
                .contains("PRIVATE KEY")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = self_signed(dir.path(), &names).unwrap();
        assert_eq!(again, files);
        assert_eq!(std::fs::read_to_string(&again.certificate).unwrap(), first);
    }
}

//! HTTPS and WSS served directly (`STUDYHUB_TLS_CERT`, `STUDYHUB_TLS_KEY`, PEM). Each new
//! connection asks the [`Certificate`] for the key it is served with; SIGHUP reads the files
//! again and swaps it, so a renewed certificate reaches new connections while the open ones
//! (live websockets among them) carry on untouched. A file that does not read keeps the
//! certificate in use, with an error in the log.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use rustls::ServerConfig;
use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// `Strict-Transport-Security` on every answer served over TLS: a year, this host only (a
/// school's other hosts may not speak HTTPS).
pub const HSTS: &str = "max-age=31536000";

/// The certificate files and the key served from them now.
#[derive(Debug)]
pub struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    /// Reads the files; an error names the file and what is wrong with it.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<Self>> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let current = read(cert, key, &provider)?;
        Ok(Arc::new(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            current: RwLock::new(Arc::new(current)),
        }))
    }

    /// Reads the files again and serves them to the connections that come next.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = Arc::new(read(&self.cert, &self.key, &self.provider)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// The TLS settings of the listener: TLS 1.2 and 1.3, HTTP/1.1 (websockets upgrade
    /// from it), the key from here.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<ServerConfig> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

fn read(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| {
            format!(
                "STUDYHUB_TLS_CERT {}: not a PEM certificate",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        bail!("STUDYHUB_TLS_CERT {}: no certificate in it", cert.display());
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("STUDYHUB_TLS_KEY {}: not a PEM private key", key.display()))?;
    CertifiedKey::from_der(chain, private, provider).with_context(|| {
        format!(
            "STUDYHUB_TLS_KEY {} does not go with the certificate {}",
            key.display(),
            cert.display()
        )
    })
}

/// Reloads `cert` on every SIGHUP for as long as the server runs.
pub fn reload_on_sighup(cert: Arc<Certificate>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    actix_web::rt::spawn(async move {
        while hangups.recv().await.is_some() {
            match cert.reload() {
                Ok(()) => tracing::info!(
                    cert = %cert.cert.display(),
                    "SIGHUP: TLS certificate reloaded; new connections get it"
                ),
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "SIGHUP: the TLS certificate did not reload; the one in use stays"
                ),
            }
        }
    });
    Ok(())
}

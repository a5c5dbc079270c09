//! TLS for the network checks: [`Tls`], the options every kind takes the same way; the
//! rustls configuration built from them; and TLS failures described in TLS terms.

// Each check uses its own part of this module, so a build with only some of them leaves
// parts unused; the build with every feature is the one that finds dead code.
#![cfg_attr(not(feature = "full"), allow(dead_code))]

use std::error::Error as StdError;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How a TLS connection verifies the server's certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// The chain leads to a trusted root and the certificate is for the host name the
    /// check connects to (the default; libpq's `verify-full`).
    #[default]
    VerifyFull,
    /// The chain leads to a trusted root; the host name is not compared (libpq's
    /// `verify-ca`), for servers reached by an address their certificate does not name.
    VerifyCa,
    /// Nothing is verified: the connection is encrypted, but anyone on the path can
    /// pretend to be the server. For tests and emergencies only.
    Insecure,
}

impl TlsMode {
    /// Every mode, in the order error messages list them.
    pub const ALL: [Self; 3] = [Self::VerifyFull, Self::VerifyCa, Self::Insecure];

    /// `verify-full`, `verify-ca` or `insecure`: its name in configs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyFull => "verify-full",
            Self::VerifyCa => "verify-ca",
            Self::Insecure => "insecure",
        }
    }

    /// The mode called `name`, as [`as_str`](Self::as_str) writes it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == name)
    }
}

/// The TLS options of a network check: how the server is verified, which CAs are
/// trusted besides the system's and the bundled web roots, and a client certificate
/// for servers that require one (mutual TLS).
///
/// ```
/// use healthz::checks::{Tls, TlsMode};
///
/// let tls = Tls::new()
///     .ca_file("/etc/ssl/private-ca.pem")
///     .client_cert("/etc/app/client.pem", "/etc/app/client.key");
/// assert_eq!(tls.verification(), TlsMode::VerifyFull);
/// ```
///
/// The files are read when a check connects, so a renewed certificate is picked up by
/// the next connection; a file that cannot be read fails that run with its path named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Tls {
    mode: TlsMode,
    ca_file: Option<PathBuf>,
    client_cert: Option<ClientCert>,
}

/// A client certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientCert {
    cert: PathBuf,
    key: PathBuf,
}

impl Tls {
    /// `verify-full` against the system's trust store and the bundled web roots, no
    /// client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// How the server is verified ([`TlsMode::VerifyFull`] unless set).
    pub fn mode(mut self, mode: TlsMode) -> Self {
        self.mode = mode;
        self
    }

    /// Also trusts the CA certificates in this PEM file (a private CA, or a provider's
    /// bundle such as Amazon RDS's).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Presents this certificate chain (a PEM file, leaf first) with its private key
    /// (a PEM file: PKCS#8, PKCS#1 or SEC1).
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some(ClientCert {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    /// How the server is verified.
    #[must_use]
    pub fn verification(&self) -> TlsMode {
        self.mode
    }

    /// The extra CA file, if set.
    #[must_use]
    pub fn ca(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The client certificate and key files, if set.
    #[must_use]
    pub fn client_cert_files(&self) -> Option<(&Path, &Path)> {
        self.client_cert
            .as_ref()
            .map(|client| (client.cert.as_path(), client.key.as_path()))
    }

    /// The TLS failure in `error` or its sources, described as [`describe`] does, for
    /// a connection made with these options. A server that needs a client certificate
    /// and gets none answers `certificate_required` in TLS 1.3, but `bad_certificate`
    /// in TLS 1.2 and from Go before 1.21 (nats-server): without a certificate to
    /// refuse, that too says that one is required.
    #[cfg_attr(
        not(any(
            feature = "nats",
            feature = "mqtt",
            feature = "http",
            feature = "remote",
            feature = "s3"
        )),
        allow(dead_code)
    )]
    pub(crate) fn describe_failure(&self, error: &(dyn StdError + 'static)) -> Option<String> {
        let described = describe(error)?;
        if self.client_cert.is_none()
            && described.strip_prefix("TLS: ") == Some(CLIENT_CERT_REFUSED)
        {
            return Some(format!("TLS: {CLIENT_CERT_REQUIRED}"));
        }
        Some(described)
    }

    /// The rustls configuration for these options, reading the files now.
    ///
    /// # Errors
    ///
    /// Returns a [`TlsSetupError`] naming the file that cannot be read or used.
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>, TlsSetupError> {
        self.client_config_around(|verifier| verifier)
    }

    /// The rustls configuration for these options with `wrap` around the verifier
    /// their mode chooses, for a check that must see what the server presented (the
    /// certificate check reads its dates even when verification fails).
    ///
    /// # Errors
    ///
    /// As [`client_config`](Self::client_config).
    pub(crate) fn client_config_around(
        &self,
        wrap: impl FnOnce(Arc<dyn ServerCertVerifier>) -> Arc<dyn ServerCertVerifier>,
    ) -> Result<Arc<ClientConfig>, TlsSetupError> {
        let provider = provider();
        let mut roots = default_roots().clone();
        if let Some(path) = &self.ca_file {
            read_ca_file(path, &mut roots)?;
        }
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(TlsSetupError::Rustls)?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.mode {
            TlsMode::VerifyFull => webpki_verifier(roots, &provider)?,
            TlsMode::VerifyCa => {
                Arc::new(Judged::new(webpki_verifier(roots, &provider)?, chain_only))
            }
            TlsMode::Insecure => {
                Arc::new(NoVerification(provider.signature_verification_algorithms))
            }
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(wrap(verifier));
        let config = match &self.client_cert {
            None => builder.with_no_client_auth(),
            Some(client) => {
                let chain = read_certs(&client.cert, TlsFile::ClientCert)?;
                let (key, _) = read_key(&client.key)?;
                builder.with_client_auth_cert(chain, key).map_err(|error| {
                    TlsSetupError::Unusable {
                        file: TlsFile::ClientKey,
                        path: client.key.clone(),
                        reason: describe_rustls(&error),
                    }
                })?
            }
        };
        Ok(Arc::new(config))
    }
}

/// [`Tls`] as PEM, for a client library that takes its TLS files as PEM and builds
/// its rustls configuration itself, adding the bundled web roots (sqlx).
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) struct TlsPem {
    /// The roots to trust besides the bundled web roots: the system's trust store and
    /// the CA file's certificates.
    pub(crate) roots: Vec<u8>,
    /// The client certificate chain and its key.
    pub(crate) client: Option<(Vec<u8>, crate::Secret<Vec<u8>>)>,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl Tls {
    /// These options' files as PEM, with the system's trust store, reading the files
    /// now.
    ///
    /// # Errors
    ///
    /// Returns a [`TlsSetupError`] naming the file that cannot be read or used.
    pub(crate) fn pem(&self) -> Result<TlsPem, TlsSetupError> {
        let mut roots = system_certs().to_vec();
        if let Some(path) = &self.ca_file {
            roots.extend(read_ca_file(path, &mut RootCertStore::empty())?);
        }
        let client = match &self.client_cert {
            None => None,
            Some(client) => {
                let chain = read_certs(&client.cert, TlsFile::ClientCert)?;
                let (_, key) = read_key(&client.key)?;
                Some((certificates_pem(&chain), crate::Secret::new(key)))
            }
        };
        Ok(TlsPem {
            roots: certificates_pem(&roots),
            client,
        })
    }
}

/// Certificates as PEM `CERTIFICATE` blocks.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn certificates_pem(certs: &[CertificateDer<'_>]) -> Vec<u8> {
    use base64::Engine as _;
    let mut pem = Vec::new();
    for cert in certs {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let text = base64::engine::general_purpose::STANDARD.encode(cert);
        for line in text.as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    pem
}

/// Runs the TLS handshake on `tcp` for `host` (a name or an IP address), as `tls`
/// says. The error is the whole public message: `TLS: certificate not trusted (unknown
/// issuer)`.
#[cfg_attr(not(feature = "memcached"), allow(dead_code))]
pub(crate) async fn handshake(
    tcp: TcpStream,
    host: &str,
    tls: &Tls,
) -> Result<TlsStream<TcpStream>, String> {
    let config = tls.client_config().map_err(|error| error.to_string())?;
    connect(tcp, host, config).await
}

/// Runs the TLS handshake on `tcp` for `host` with `config`; the error is the whole
/// public message, as [`handshake`] writes it.
pub(crate) async fn connect(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<TlsStream<TcpStream>, String> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| format!("TLS: `{host}` is neither a host name nor an IP address"))?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|error| describe_handshake(&error))
}

/// A failed handshake's I/O error in TLS terms, for a client library that hands it on.
pub(crate) fn describe_handshake(error: &io::Error) -> String {
    if let Some(described) = describe(error) {
        return described;
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
            "TLS: the server closed the connection during the handshake (does it serve TLS on this port?)".to_owned()
        }
        _ => format!("TLS: {}", super::describe_io(error)),
    }
}

/// The crypto provider: ring, the one the whole tree builds with.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
}

/// The system's trust store and the bundled web roots, loaded once: a check that
/// connects every few seconds must not parse the system bundle every time.
fn default_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        roots.add_parsable_certificates(system_certs().iter().cloned());
        roots
    })
}

/// The certificates of the system's trust store that rustls can use as roots, loaded
/// once. A store that cannot be read (a scratch container) is empty.
fn system_certs() -> &'static [CertificateDer<'static>] {
    static CERTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    CERTS.get_or_init(|| {
        let native = rustls_native_certs::load_native_certs();
        if let Some(error) = native.errors.first() {
            tracing::debug!(%error, "the system's trust store could not be read whole");
        }
        let mut usable = RootCertStore::empty();
        native
            .certs
            .into_iter()
            .filter(|cert| usable.add(cert.clone()).is_ok())
            .collect()
    })
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, TlsSetupError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|error| TlsSetupError::Rustls(rustls::Error::General(error.to_string())))
}

fn read_certs(path: &Path, file: TlsFile) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let unusable = |reason: String| TlsSetupError::Unusable {
        file,
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|error| unusable(describe_pem(&error)))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| unusable(describe_pem(&error)))?;
    if certs.is_empty() {
        return Err(unusable("it holds no PEM certificate".to_owned()));
    }
    Ok(certs)
}

/// Adds the certificates of the CA file at `path` to `roots`, and returns them.
fn read_ca_file(
    path: &Path,
    roots: &mut RootCertStore,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = read_certs(path, TlsFile::Ca)?;
    for cert in &certs {
        roots
            .add(cert.clone())
            .map_err(|error| TlsSetupError::Unusable {
                file: TlsFile::Ca,
                path: path.to_owned(),
                reason: describe_rustls(&error),
            })?;
    }
    Ok(certs)
}

/// The client's private key in the PEM file at `path`, and the file's text.
fn read_key(path: &Path) -> Result<(PrivateKeyDer<'static>, Vec<u8>), TlsSetupError> {
    let unusable = |reason: String| TlsSetupError::Unusable {
        file: TlsFile::ClientKey,
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|error| unusable(super::describe_io(&error)))?;
    let key =
        PrivateKeyDer::from_pem_slice(&pem).map_err(|error| unusable(describe_pem(&error)))?;
    Ok((key, pem))
}

fn describe_pem(error: &rustls::pki_types::pem::Error) -> String {
    match error {
        rustls::pki_types::pem::Error::Io(error) => super::describe_io(error),
        rustls::pki_types::pem::Error::NoItemsFound => {
            "it holds no PEM item of that kind".to_owned()
        }
        other => format!("it is not valid PEM ({other})"),
    }
}

/// The verdict on a certificate as [`Judged`] passes it on.
pub(crate) type Verdict = Result<ServerCertVerified, rustls::Error>;

/// A verifier that hands the verdict of another on the server's certificate to a
/// judge, whose verdict stands: `verify-ca` forgives a host name mismatch, and the
/// certificate check records the certificate with the verdict.
pub(crate) struct Judged<F> {
    verifier: Arc<dyn ServerCertVerifier>,
    judge: F,
}

impl<F> Judged<F>
where
    F: Fn(&CertificateDer<'_>, Verdict) -> Verdict + Send + Sync,
{
    /// `verifier`'s verdicts, judged by `judge` (given the end-entity certificate).
    pub(crate) fn new(verifier: Arc<dyn ServerCertVerifier>, judge: F) -> Self {
        Self { verifier, judge }
    }
}

impl<F> std::fmt::Debug for Judged<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judged")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl<F> ServerCertVerifier for Judged<F>
where
    F: Fn(&CertificateDer<'_>, Verdict) -> Verdict + Send + Sync,
{
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Verdict {
        let verdict = self.verifier.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        (self.judge)(end_entity, verdict)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifier.supported_verify_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root, the host name may differ.
fn chain_only(_: &CertificateDer<'_>, verdict: Verdict) -> Verdict {
    // webpki checks the chain (trust, validity, signatures) before the name, so a name
    // mismatch means everything else passed.
    match verdict {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => Ok(ServerCertVerified::assertion()),
        other => other,
    }
}

/// `insecure`: any certificate is accepted; the handshake's signatures are still
/// checked, so the connection is at least encrypted to whoever holds that key.
#[derive(Debug)]
struct NoVerification(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// Which of the configured files a [`TlsSetupError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsFile {
    Ca,
    ClientCert,
    ClientKey,
}

impl TlsFile {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ca => "CA file",
            Self::ClientCert => "client certificate file",
            Self::ClientKey => "client key file",
        }
    }
}

/// Why the TLS options could not be turned into a configuration.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsSetupError {
    /// A configured file cannot be read or holds nothing usable.
    #[error("TLS: cannot use the {} {}: {reason}", file.as_str(), path.display())]
    Unusable {
        file: TlsFile,
        path: PathBuf,
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS: {}", describe_rustls(.0))]
    Rustls(rustls::Error),
}

/// The TLS failure in `error` or its sources, described in TLS terms (`TLS:
/// certificate not trusted (unknown issuer)`); `None` when it holds none.
///
/// Client libraries wrap rustls' errors in their own, often inside an `io::Error`, so
/// the whole chain is searched.
pub(crate) fn describe(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(rustls) = as_rustls(error) {
            return Some(format!("TLS: {}", describe_rustls(rustls)));
        }
        current = error.source();
    }
    None
}

/// The rustls error that `error` is, or holds as an `io::Error`'s payload (at any
/// depth), or behind an `Arc`: redis-rs keeps its cause as an `Arc<dyn Error>`, whose
/// `source()` skips past that cause to the cause's own source, and an `io::Error`'s
/// skips its payload.
fn as_rustls<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    if let Some(shared) = error.downcast_ref::<Arc<dyn StdError + Send + Sync>>() {
        return as_rustls(&**shared);
    }
    if let Some(io) = error.downcast_ref::<io::Error>() {
        // hyper-rustls wraps tokio-rustls' `io::Error` in another.
        return as_rustls(io.get_ref()?);
    }
    error.downcast_ref::<rustls::Error>()
}

/// A rustls error as an operator reads it.
pub(crate) fn describe_rustls(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(error) => describe_certificate(error),
        rustls::Error::AlertReceived(alert) => describe_alert(*alert),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "server does not support TLS (it did not answer with a TLS handshake)".to_owned()
        }
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".to_owned(),
        other => other.to_string(),
    }
}

fn describe_certificate(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => "certificate not trusted (unknown issuer)".to_owned(),
        CertificateError::NotValidForName => "host name mismatch".to_owned(),
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let expected = server_name_text(expected);
            match presented.as_slice() {
                [] => format!("host name mismatch: the certificate names no host, not {expected}"),
                names => {
                    let names: Vec<&str> = names.iter().map(|name| presented_name(name)).collect();
                    format!(
                        "host name mismatch: certificate is for {}, not {expected}",
                        names.join(", ")
                    )
                }
            }
        }
        CertificateError::Expired => "certificate expired".to_owned(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate expired {} ago",
            describe_age(time.as_secs().saturating_sub(not_after.as_secs()))
        ),
        CertificateError::NotValidYet => "certificate not valid yet".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate not valid for another {}",
            describe_age(not_before.as_secs().saturating_sub(time.as_secs()))
        ),
        CertificateError::Revoked => "certificate revoked".to_owned(),
        CertificateError::BadSignature => "bad certificate signature".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not for a TLS server".to_owned()
        }
        other => format!("invalid certificate ({other:?})"),
    }
}

/// What a `certificate_required` alert means.
const CLIENT_CERT_REQUIRED: &str = "client certificate required";

/// What a `bad_certificate` alert means, when the client presented one.
const CLIENT_CERT_REFUSED: &str = "the server refused the client certificate";

fn describe_alert(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateRequired => CLIENT_CERT_REQUIRED.to_owned(),
        AlertDescription::BadCertificate | AlertDescription::UnknownCA => {
            CLIENT_CERT_REFUSED.to_owned()
        }
        AlertDescription::HandshakeFailure => {
            "handshake failed (no common protocol version or cipher suite, or the server requires a client certificate)".to_owned()
        }
        other => format!("the server sent the alert {other:?}"),
    }
}

/// `db.internal` or `10.0.0.5`.
fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(name) => name.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// A name webpki reports as presented by a certificate, without its wrapper:
/// `DnsName("db.internal")` → `db.internal`, `IpAddress(10.0.0.5)` → `10.0.0.5`.
fn presented_name(name: &str) -> &str {
    name.strip_prefix("DnsName(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|rest| rest.strip_suffix(')'))
        })
        .unwrap_or(name)
}

/// `3 days`, `5 hours`, `1 minute`, `12 seconds`: the largest whole unit.
pub(crate) fn describe_age(seconds: u64) -> String {
    let (count, unit) = match seconds {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use rustls::pki_types::DnsName;

    #[test]
    fn modes_have_their_config_names() {
        for mode in TlsMode::ALL {
            assert_eq!(TlsMode::from_name(mode.as_str()), Some(mode));
        }
        assert_eq!(TlsMode::from_name("require"), None);
        assert_eq!(TlsMode::default(), TlsMode::VerifyFull);
    }

    #[test]
    fn certificate_failures_read_in_tls_terms() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(
            describe_rustls(&unknown),
            "certificate not trusted (unknown issuer)"
        );
        let mismatch =
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: ServerName::DnsName(DnsName::try_from("db.example").unwrap()),
                presented: vec![
                    "DnsName(\"db.internal\")".to_owned(),
                    "IpAddress(10.0.0.5)".to_owned(),
                ],
            });
        assert_eq!(
            describe_rustls(&mismatch),
            "host name mismatch: certificate is for db.internal, 10.0.0.5, not db.example"
        );
        let expired = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(10 * 86_400)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(7 * 86_400 - 5)),
        });
        assert_eq!(describe_rustls(&expired), "certificate expired 3 days ago");
        let required = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        assert_eq!(describe_rustls(&required), "client certificate required");
    }

    #[test]
    fn a_tls_failure_is_found_inside_io_errors() {
        let wrapped = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert_eq!(
            describe(&wrapped).as_deref(),
            Some("TLS: certificate not trusted (unknown issuer)")
        );
        assert_eq!(describe(&io::Error::other("plain")), None);
    }

    /// An error that holds its cause as redis-rs does.
    #[derive(Debug)]
    struct Shared(Arc<dyn StdError + Send + Sync>);

    impl std::fmt::Display for Shared {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.fmt(f)
        }
    }

    impl StdError for Shared {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_tls_failure_is_found_behind_a_shared_cause() {
        let alert = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        let wrapped = Shared(Arc::new(io::Error::new(io::ErrorKind::InvalidData, alert)));
        assert_eq!(
            describe(&wrapped).as_deref(),
            Some("TLS: client certificate required")
        );
    }

    #[test]
    fn a_refused_certificate_that_was_never_presented_was_required() {
        let refused = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::BadCertificate),
        );
        assert_eq!(
            Tls::new().describe_failure(&refused).as_deref(),
            Some("TLS: client certificate required")
        );
        let with_cert = Tls::new().client_cert("client.pem", "client.key");
        assert_eq!(
            with_cert.describe_failure(&refused).as_deref(),
            Some("TLS: the server refused the client certificate")
        );
        assert_eq!(
            Tls::new().describe_failure(&io::Error::other("plain")),
            None
        );
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        assert_eq!(describe_age(0), "0 seconds");
        assert_eq!(describe_age(1), "1 second");
        assert_eq!(describe_age(119), "1 minute");
        assert_eq!(describe_age(3 * 3600 + 5), "3 hours");
        assert_eq!(describe_age(86_400), "1 day");
    }

    /// The CA certificate of the TLS tests (`scripts/tls-certs.sh`), as openssl wrote it.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    const TEST_CA: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBmjCCAT+gAwIBAgIUHfwXUKFVqrGQcruM4CEnryIMCRkwCgYIKoZIzj0EAwIw\n\
GjEYMBYGA1UEAwwPaGVhbHRoeiB0ZXN0IENBMB4XDTI2MTEzMDE5NDIwMFoXDTM2\n\
MTEyNzE5NDIwMFowGjEYMBYGA1UEAwwPaGVhbHRoeiB0ZXN0IENBMFkwEwYHKoZI\n\
zj0CAQYIKoZIzj0DAQcDQgAEpsEc6ZVDbBSdeHAC+AlCqPzYZM7B2NFQ03o2ikbM\n\
BkmHFI+CrXvf5cMm27lbEHTo2ge2z5FqW/yy3zRQNXE1c6NjMGEwHQYDVR0OBBYE\n\
FF+HG4xVO2AOCwXj9YqKaZdNQKtqMB8GA1UdIwQYMBaAFF+HG4xVO2AOCwXj9YqK\n\
aZdNQKtqMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49\n\
BAMCA0kAMEYCIQDQM2v5X7gI2rcBLLeY+br9N3+/3zJocVSoC+zkbNNR4wIhAMt/\n\
NgGPiUy7KCtB9kLCxX6sWKnM8ambX4RjZYbTaDQI\n\
-----END CERTIFICATE-----\n\
";

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    #[test]
    fn pem_holds_the_system_store_and_the_ca_file() {
        let count = |pem: &[u8]| {
            CertificateDer::pem_slice_iter(pem)
                .map(Result::unwrap)
                .count()
        };
        let system = Tls::new().pem().unwrap();
        assert_eq!(count(&system.roots), system_certs().len());
        assert!(system.client.is_none());

        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, TEST_CA).unwrap();
        let with_ca = Tls::new().ca_file(&ca).pem().unwrap();
        assert_eq!(count(&with_ca.roots), system_certs().len() + 1);
        // Written as openssl writes PEM.
        assert!(with_ca.roots.ends_with(TEST_CA.as_bytes()));
    }

    #[test]
    fn missing_files_are_named() {
        let error = Tls::new()
            .ca_file("/nonexistent/ca.pem")
            .client_config()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "TLS: cannot use the CA file /nonexistent/ca.pem: no such file or directory"
        );
    }
}

//! HTTPS for `--target`: rustls (no OpenSSL) with webpki's roots, or, with
//! `--insecure`, any certificate; and a check before the run that a
//! certificate is accepted, so a wrong one is one line rather than a run of
//! connection errors.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::target::Target;

/// How long the check waits to connect and to finish the handshake.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The client's TLS settings for `target`. No ALPN: without it a server
/// speaks HTTP/1.1, all the client speaks.
pub fn client_config(target: &Target) -> io::Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let config = if target.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// The name the server's certificate must carry.
pub fn server_name(target: &Target) -> io::Result<ServerName<'static>> {
    let host = target.host();
    ServerName::try_from(host.to_string()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{target}: {host:?} cannot name a TLS server: {e}"),
        )
    })
}

/// Does one TLS handshake with `target`, blocking for at most a few
/// seconds: an error if the server's certificate, or the handshake, is
/// refused. A server that cannot be reached is no error here: the run
/// counts its connection errors and keeps trying, as for plain HTTP.
pub fn check_handshake(target: &Target, config: Arc<ClientConfig>) -> io::Result<()> {
    let addrs = (target.host(), target.port());
    let Some(addr) = addrs.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return Ok(());
    };
    let Ok(mut tcp) = TcpStream::connect_timeout(&addr, CHECK_TIMEOUT) else {
        return Ok(());
    };
    tcp.set_read_timeout(Some(CHECK_TIMEOUT))?;
    tcp.set_write_timeout(Some(CHECK_TIMEOUT))?;
    let mut tls =
        rustls::ClientConnection::new(config, server_name(target)?).map_err(io::Error::other)?;
    while tls.is_handshaking() {
        if let Err(e) = tls.complete_io(&mut tcp) {
            let Some(refused) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) else {
                return Ok(());
            };
            let hint = match refused {
                rustls::Error::InvalidCertificate(_) => {
                    "; pass --insecure to accept a certificate no authority vouches for"
                }
                _ => "",
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{target}: TLS handshake refused: {refused}{hint}"),
            ));
        }
    }
    Ok(())
}

/// `--insecure`: every certificate accepted, though the handshake's
/// signatures are still checked against the one presented.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
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
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

//! tokio-console's endpoint: console-subscriber's layer, and its gRPC server
//! on a thread and runtime of its own (never the observed runtime).
//!
//! The listener is bound here, before the dashboard starts, so an address in
//! use is a clear start-up error rather than a panic in a background thread.

use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

use console_subscriber::{ConsoleLayer, ServerParts};
use tokio_stream::wrappers::TcpListenerStream;
use tracing::Subscriber;
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The layer, and the address it serves on (the port the OS chose, for
/// port 0).
pub fn layer<S>(
    addr: SocketAddr,
    retention: Duration,
) -> Result<(impl Layer<S>, SocketAddr), String>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let listener = TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("cannot serve tokio-console on {addr}: {e}; choose another address with --console ADDR"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    let (layer, server) = ConsoleLayer::builder()
        .server_addr(bound)
        .retention(retention)
        .build();
    let ServerParts {
        instrument_server,
        aggregator,
        ..
    } = server.into_parts();
    thread::Builder::new()
        .name("console-server".into())
        .spawn(move || {
            // The server's own tasks are not what the user came to see.
            let _quiet =
                tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let aggregate = tokio::spawn(aggregator.run());
                let _ = tonic::transport::Server::builder()
                    .add_service(instrument_server)
                    .serve_with_incoming(TcpListenerStream::new(listener))
                    .await;
                aggregate.abort();
            });
        })
        .map_err(|e| format!("cannot start the tokio-console server thread: {e}"))?;
    Ok((layer.with_filter(FilterFn::new(is_console_metadata)), bound))
}

/// What the console consumes: tokio's task, resource and waker spans and
/// events (names `runtime.*`, targets `tokio*` and `runtime*`).
fn is_console_metadata(meta: &tracing::Metadata<'_>) -> bool {
    if meta.is_event() {
        meta.target().starts_with("runtime") || meta.target().starts_with("tokio")
    } else {
        meta.name().starts_with("runtime.") || meta.target().starts_with("tokio")
    }
}

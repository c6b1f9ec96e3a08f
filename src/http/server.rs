//! The accept loop. `axum::serve` gives hyper no timer, so a connection that never
//! finishes its headers (or sits idle between requests) would stay open for ever; this
//! loop runs hyper's HTTP/1 server with a timer and `http.header_timeout`, hands each
//! request the peer's address (`ConnectInfo`), and drains connections on shutdown.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long requests still running at shutdown are given to finish. Uploads stop on
/// their own at once (they commit what arrived); this bounds downloads and slow pages.
const DRAIN: Duration = Duration::from_secs(30);

/// The most a connection reads at once. A request body's chunks are slices of this
/// buffer and keep all of it alive while an upload's writer holds them, so its size, not
/// only the writer's budget, sets what an upload costs in memory (hyper's default, about
/// 400 KiB, made 16 concurrent uploads 14 MiB heavier; reads of 128 KiB cost no more CPU
/// per byte). hyper applies the same bound to what it queues before writing: a download
/// is written at least every 128 KiB.
const READ_BUFFER: usize = 128 * 1024;

/// Serves `router` until `shutdown` completes, then waits (at most `DRAIN`) for the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(READ_BUFFER)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            // The peer gave up before we took it: nothing to do.
            Err(err) if is_per_connection(&err) => continue,
            // Out of file descriptors or memory: wait instead of spinning on the error.
            Err(err) => {
                tracing::error!(error = %err, "cannot accept connections; retrying in a second");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        // Small responses (tus answers, JSON) go out at once rather than waiting for more.
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Clients hanging up, timing out or speaking nonsense end here; none is ours.
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!(seconds = DRAIN.as_secs(), "requests still running at shutdown were cut");
    }
    Ok(())
}

fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    )
}

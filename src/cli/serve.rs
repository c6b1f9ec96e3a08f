//! `relais serve`: the web server and the job runner, until SIGTERM or Ctrl-C.

use tokio_util::sync::CancellationToken;

use super::Failure;
use crate::app::Application;
use crate::config::Config;

pub async fn run(cfg: Config) -> Result<(), Failure> {
    let public_url = cfg.public_url.clone();
    let app = Application::build(cfg).await?;
    let state = app.state();
    tracing::info!(
        addr = %app.local_addr(),
        %public_url,
        database = ?state.db.backend(),
        storage = %state.blobs.describe(),
        mail = %state.mailer.describe(),
        metrics = ?app.metrics_addr(),
        "relais is listening"
    );
    // First run: a link to create the studio account from the browser, on the console
    // (not in the log stream: it is a secret for whoever started the server).
    if let Some(link) = crate::setup::link_if_needed(&state)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?
    {
        tracing::warn!("no studio account yet: open the setup link printed on the console");
        eprintln!(
            "\n  No studio account yet. Open this link to create it (works once, for 24 hours):\n\n    {link}\n\n  \
             (or, from a script: relais admin create --email you@example.fr --password-stdin)\n"
        );
    }
    match crate::media::video::ffmpeg_version() {
        Some(version) => {
            // Asked once here, before any request could wait on it.
            let hdr = crate::media::video::tone_mapping();
            tracing::info!(%version, hdr_tone_mapping = hdr, "ffmpeg found: automatic video posters on");
        }
        None => tracing::warn!("ffmpeg not on the PATH: no automatic video posters or durations"),
    }
    if !crate::media::image::SIMD {
        tracing::warn!("JPEG code built without SIMD (nasm missing at build time): photos take about 1.7x the CPU");
    }
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    app.run_until_stopped(shutdown, true).await?;
    tracing::info!("relais stopped");
    Ok(())
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("interrupted; finishing requests in progress"),
        _ = terminate => tracing::info!("SIGTERM received; finishing requests in progress"),
    }
    shutdown.cancel();
}

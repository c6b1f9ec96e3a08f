//! `relais serve`: the web server and the job runner, until SIGTERM or Ctrl-C.

use tokio_util::sync::CancellationToken;

use super::Failure;
use crate::app::Application;
use crate::config::Config;
use crate::db;
use crate::domain::Role;

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
        "relais is listening"
    );
    if db::users::count_by_role(state.db.pool(), Role::Studio)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?
        == 0
    {
        tracing::warn!(
            "no studio account yet: create one with `relais admin create --email you@example.fr --password-stdin`"
        );
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

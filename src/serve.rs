//! The HTTP service. For now: health and readiness; the e-service, expert workspace and status
//! service arrive in the `api` crate.

use atzinums_store::Store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::config::Config;

pub async fn run(config: &Config, store: Store) -> anyhow::Result<()> {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(store.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    println!(
        "Atzinums listening on http://{} (store: {})",
        listener.local_addr()?,
        store.backend().name()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    store.close().await;
    Ok(())
}

/// Ready when the database answers; reports queue depth per job state.
async fn ready(State(store): State<Store>) -> (StatusCode, Json<serde_json::Value>) {
    match store.job_counts().await {
        Ok(counts) => {
            let jobs: serde_json::Map<_, _> = counts
                .into_iter()
                .map(|(state, n)| (format!("{state:?}").to_lowercase(), json!(n)))
                .collect();
            (
                StatusCode::OK,
                Json(json!({ "status": "ready", "backend": store.backend().name(), "jobs": jobs })),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}

//! The HTTP service: the API crate's router (e-service, expert workspace, signing, status
//! service, OpenAPI) plus readiness, on the configured address.

use std::sync::Arc;

use anyhow::Context;
use atzinums_api::{
    ApiConfig, AppState, IdentityProvider, LocalIdentityProvider, NoIdentityProvider, OidcProvider,
};
use atzinums_models::{PersonCode, Role};
use atzinums_store::Store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::config::Config;

/// The configured way people sign in: none, the eID through OIDC, or the local stand-in; the
/// last two with the staff directory.
fn identity_provider(config: &Config) -> anyhow::Result<Arc<dyn IdentityProvider>> {
    if config.identity == "none" {
        return Ok(Arc::new(NoIdentityProvider));
    }
    let staff = config
        .staff
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let code: PersonCode = s
                .person_code
                .parse()
                .map_err(|e| anyhow::anyhow!("staff[{i}].person_code: {e}"))?;
            let role: Role = s.role.parse().with_context(|| format!("staff[{i}].role"))?;
            Ok((code, role))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if config.identity == "oidc" {
        let oidc = config
            .oidc
            .as_ref()
            .context("identity = \"oidc\" needs an [oidc] section")?;
        let provider =
            OidcProvider::new(oidc.clone(), staff).map_err(|e| anyhow::anyhow!("[oidc]: {e}"))?;
        return Ok(Arc::new(provider));
    }
    tracing::warn!("people sign in with the local identity provider: for demos and tests only");
    Ok(Arc::new(LocalIdentityProvider::new(staff)))
}

pub async fn run(config: &Config, store: Store) -> anyhow::Result<()> {
    let api = ApiConfig {
        max_document_bytes: config.max_document_bytes,
        secure_cookies: config.secure_cookies,
        ..ApiConfig::default()
    };
    let state = AppState::new(store.clone(), identity_provider(config)?, api);
    let app = atzinums_api::router(state).merge(
        Router::new()
            .route("/readyz", get(ready))
            .with_state(store.clone()),
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    println!(
        "Atzinums listening on http://{} (store: {})",
        listener.local_addr()?,
        store.backend().name()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop_requested())
    .await?;
    store.close().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a process manager or orchestrator: finish in-flight requests, then
/// close the store (and, for `demo`, stop its worker).
async fn stop_requested() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
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

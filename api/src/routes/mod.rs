//! The routes, by who uses them.

pub mod eservice;
pub mod my_data;
pub(crate) mod pdf;
pub mod quality;
pub mod quality_export;
pub mod review;
pub mod second_reading;
pub mod session;
pub mod status;

use axum::Router;
use axum::routing::{get, post, put};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(crate::openapi::document))
        .route(
            "/api/v1/session",
            post(session::sign_in).delete(session::sign_out),
        )
        .route("/api/v1/me", get(session::me))
        .route("/api/v1/me/data", get(my_data::get_my_data))
        .route("/api/v1/cases", get(eservice::list_cases))
        .route("/api/v1/applications", post(eservice::submit))
        .route("/api/v1/cases/{case_id}", get(eservice::get_case))
        .route(
            "/api/v1/cases/{case_id}/documents",
            post(eservice::add_documents),
        )
        .route(
            "/api/v1/cases/{case_id}/documents/{position}",
            get(eservice::document),
        )
        .route("/api/v1/cases/{case_id}/contest", post(eservice::contest))
        .route(
            "/api/v1/cases/{case_id}/certificate-duplicate",
            post(eservice::certificate_duplicate),
        )
        .route(
            "/api/v1/cases/{case_id}/decision.pdf",
            get(eservice::decision_pdf),
        )
        .route("/api/v1/queues/{queue}", get(review::queue))
        .route("/api/v1/queues/{queue}/claim", post(review::claim))
        .route("/api/v1/cases/{case_id}/review", get(review::get_review))
        .route(
            "/api/v1/cases/{case_id}/proposal",
            put(review::put_proposal),
        )
        .route("/api/v1/cases/{case_id}/approve", post(review::approve))
        .route("/api/v1/cases/{case_id}/release", post(review::release))
        .route("/api/v1/cases/{case_id}/escalate", post(review::escalate))
        .route(
            "/api/v1/cases/{case_id}/request-documents",
            post(review::request_documents),
        )
        .route(
            "/api/v1/cases/{case_id}/extend-deadline",
            post(review::extend_deadline),
        )
        .route("/api/v1/signature-queue", get(review::signature_queue))
        .route("/api/v1/cases/{case_id}/sign", post(review::sign))
        .route("/api/v1/cases/{case_id}/send-back", post(review::send_back))
        .route("/api/v1/quality/live", get(quality::get_live))
        .route("/api/v1/quality/export", get(quality_export::get_export))
        .route(
            "/api/v1/quality/second-readings",
            post(second_reading::post_sample),
        )
        .route("/api/v1/second-readings", get(second_reading::list))
        .route(
            "/api/v1/second-readings/{case_id}",
            get(second_reading::get_blind).post(second_reading::post_reading),
        )
        .route("/api/v1/status", post(status::status))
        .route("/api/v1/status/changes", get(status::changes))
}

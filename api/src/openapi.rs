//! The OpenAPI 3.1 document of the JSON API, served at `/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    eservice, my_data, quality, quality_export, review, second_reading, session, status,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Atzinums", description = "VDEĀVK disability examination: e-service, expert workspace, signing, status service. Errors are application/problem+json."),
    paths(
        session::sign_in, session::sign_out, session::me, my_data::get_my_data,
        eservice::list_cases, eservice::submit, eservice::get_case, eservice::document, eservice::add_documents,
        eservice::contest, eservice::certificate_duplicate, eservice::decision_pdf,
        review::queue, review::claim, review::get_review, review::put_proposal, review::approve,
        review::release, review::escalate, review::request_documents, review::extend_deadline,
        review::signature_queue, review::sign, review::send_back,
        status::status, status::changes, quality::get_live, quality_export::get_export,
        second_reading::post_sample, second_reading::list, second_reading::get_blind, second_reading::post_reading,
    ),
    components(schemas(crate::Problem)),
    modifiers(&Security, &ProblemResponses),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// What any operation can answer besides its own responses, all as problem+json: a malformed
/// request (400), no or unknown credentials (401), a role or token that may not (403), a path
/// naming nothing (404, or a case that is not the caller's); with a
/// body, an oversized one (413), the wrong content type (415) or invalid content (422); where
/// rate limited (signing in, uploads), 429.
struct ProblemResponses;

const RATE_LIMITED: &[(&str, &str)] = &[
    ("/api/v1/session", "post"),
    ("/api/v1/applications", "post"),
    ("/api/v1/cases/{case_id}/documents", "post"),
];

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("delete", &mut item.delete),
            ] {
                let Some(operation) = operation else { continue };
                let mut statuses = vec!["400", "401", "403"];
                if path.contains('{') {
                    statuses.push("404");
                }
                if operation.request_body.is_some() {
                    statuses.extend(["413", "415", "422"]);
                }
                if RATE_LIMITED.contains(&(path.as_str(), method)) {
                    statuses.push("429");
                }
                let responses = &mut operation.responses.responses;
                for status in statuses {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(status).into());
                }
                for (status, response) in responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(response)) = (is_error, response) {
                        let json = response.content.shift_remove("application/json");
                        if let Some(content) = json {
                            response.content.insert(PROBLEM_JSON.to_string(), content);
                        }
                    }
                }
            }
        }
    }
}

const PROBLEM_JSON: &str = "application/problem+json";

fn problem(status: &str) -> Response {
    let reason = status
        .parse::<u16>()
        .ok()
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error");
    ResponseBuilder::new()
        .description(reason)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

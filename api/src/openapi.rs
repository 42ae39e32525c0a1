//! The OpenAPI 3.1 document of the JSON API, served at `/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{eservice, review, session, status};

#[derive(OpenApi)]
#[openapi(
    info(title = "Atzinums", description = "VDEĀVK disability examination: e-service, expert workspace, signing, status service. Errors are application/problem+json."),
    paths(
        session::sign_in, session::sign_out, session::me,
        eservice::list_cases, eservice::submit, eservice::get_case, eservice::document, eservice::add_documents,
        eservice::contest, eservice::certificate_duplicate, eservice::decision_pdf,
        review::queue, review::claim, review::get_review, review::put_proposal, review::approve,
        review::release, review::escalate, review::request_documents, review::extend_deadline,
        review::signature_queue, review::sign, review::send_back,
        status::status, status::changes,
    ),
    components(schemas(crate::Problem)),
    modifiers(&Security),
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

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

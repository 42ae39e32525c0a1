//! The server-rendered pages: sign-in through the form (with its CSRF nonce), applying with two
//! PDFs through a plain multipart form, each role's start page, Latvian by default and English
//! on request, and a structural accessibility check of every page (one `h1`, one `main`, every
//! control labelled).

mod common;

use atzinums_models::{DocumentKind, MediaType, Role};
use atzinums_store::testing::sample_person_code;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{PDF, Who, World, staff_code};

fn session_of(who: &Who) -> (&str, &str) {
    match who {
        Who::Session { cookie, csrf } => (cookie, csrf),
        _ => unreachable!("a signed-in person"),
    }
}

/// Checks what a screen reader needs of every page: the language, one main landmark, one
/// top heading, a label for every visible control.
fn assert_accessible(path: &str, html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
    assert!(
        html.contains("<html lang=\"lv\">") || html.contains("<html lang=\"en\">"),
        "{path}: lang"
    );
    assert_eq!(html.matches("<main").count(), 1, "{path}: one main");
    assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
    assert!(html.contains("href=\"#saturs\""), "{path}: skip link");
    for tag in ["<input", "<select", "<textarea"] {
        for (i, _) in html.match_indices(tag) {
            let end = html[i..].find('>').unwrap() + i;
            let element = &html[i..end];
            if element.contains("type=\"hidden\"") {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{path}: {element} has no id"));
            assert!(
                html.contains(&format!("for=\"{id}\"")),
                "{path}: no label for {id}"
            );
        }
    }
}

fn multipart_form(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let b = "XpageBoundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test]
async fn a_person_signs_in_through_the_form_and_lands_on_their_start_page() {
    let w = World::new(None).await;
    let (status, headers, html) = w.get(&Who::Nobody, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["referrer-policy"], "no-referrer",
        "form actions carry the CSRF token"
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_accessible("/", &html);
    let nonce_cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("atz_login="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let nonce = nonce_cookie.trim_start_matches("atz_login=");
    assert!(html.contains(nonce), "the form echoes the nonce");

    let form = |nonce: &str| {
        format!(
            "person_code={}&role=expert&login_csrf={nonce}",
            staff_code(Role::Expert).as_str()
        )
    };
    let post = |body: String| {
        Request::post("/pieslegties")
            .header(header::COOKIE, &nonce_cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let (status, _, _) = w.send(post(form("forged"))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a forged sign-in form is refused"
    );

    let (status, headers, _) = w.send(post(form(nonce))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, headers, _) = w
        .send(
            Request::get("/")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/darbs");

    // A staff role the directory does not give this person is refused.
    let applicant_as_official = format!(
        "person_code={}&role=official&login_csrf={nonce}",
        sample_person_code(1).as_str()
    );
    let (status, _, html) = w.send(post(applicant_as_official)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("may not sign in as official"));
}

#[tokio::test]
async fn an_applicant_applies_with_two_pdfs_through_the_plain_form() {
    let w = World::new(None).await;
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let (cookie, csrf) = session_of(&a);
    let (status, _, html) = w.get(&a, "/e-pakalpojums").await;
    assert_eq!(status, StatusCode::OK);
    assert_accessible("/e-pakalpojums", &html);
    assert!(html.contains(&format!("action=\"/e-pakalpojums/pieteikums?csrf={csrf}\"")));

    let (content_type, body) = multipart_form(
        &[
            ("kind", "disability_first"),
            ("region", "Kurzeme"),
            ("doc_kind_0", "referral_088u"),
            ("doc_kind_1", "discharge_summary"),
            ("doc_kind_2", "other"),
        ],
        &[
            ("file_0", "nosutijums.pdf", PDF),
            ("file_1", "izraksts.pdf", PDF),
            ("file_2", "", b""),
        ],
    );
    let req = Request::post(format!("/e-pakalpojums/pieteikums?csrf={csrf}"))
        .header(header::COOKIE, format!("atz_session={cookie}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, headers, html) = w.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let case_page = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(case_page.starts_with("/e-pakalpojums/lietas/C-"));

    let (status, _, html) = w.get(&a, &case_page).await;
    assert_eq!(status, StatusCode::OK);
    assert_accessible(&case_page, &html);
    assert!(html.contains("Iesniegts"), "the status in Latvian");
    assert!(html.contains("nosutijums.pdf") && html.contains("izraksts.pdf"));
    let (_, _, english) = w.get(&a, &format!("{case_page}?lang=en")).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Submitted"));

    let (_, _, html) = w.get(&a, "/e-pakalpojums").await;
    assert!(html.contains(case_page.trim_start_matches("/e-pakalpojums/lietas/")));
    // Another applicant cannot open it.
    let b = w.sign_in(&sample_person_code(2), Role::Applicant).await;
    let (status, _, _) = w.get(&b, &case_page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The chosen region's branch sees it in its part of the queues; another branch does not,
    // and taking the next of that branch's part finds nothing.
    let case_id = case_page
        .trim_start_matches("/e-pakalpojums/lietas/")
        .to_string();
    w.queue_for_review(&case_id).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let (_, _, html) = w.get(&expert, "/darbs?filiale=Kurzeme").await;
    assert_accessible("/darbs?filiale=Kurzeme", &html);
    assert!(html.contains(&case_id) && html.contains("name=\"filiale\" value=\"Kurzeme\""));
    // Queues, priorities and the standard queue's rule in the page's language.
    for (lang, words) in [
        (
            "",
            [
                "Standarta rinda (1)",
                "Sarežģīto gadījumu rinda (0)",
                "parasta",
                "kalibrēta",
            ],
        ),
        (
            "&lang=en",
            [
                "Standard queue (1)",
                "Complex cases (0)",
                "normal",
                "calibrated",
            ],
        ),
    ] {
        let (_, _, html) = w
            .get(&expert, &format!("/darbs?filiale=Kurzeme{lang}"))
            .await;
        for word in words {
            assert!(html.contains(word), "{lang:?}: no {word:?}");
        }
    }
    let (_, _, html) = w.get(&expert, "/darbs?filiale=Latgale").await;
    assert!(!html.contains(&case_id), "not Latgale's");
    let take = |branch: &str| {
        let (cookie, csrf) = session_of(&expert);
        Request::post(format!("/darbs/standard/nemt?csrf={csrf}"))
            .header(header::COOKIE, format!("atz_session={cookie}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("filiale={branch}")))
            .unwrap()
    };
    let (status, headers, _) = w.send(take("R%C4%ABga")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/darbs?filiale=R%C4%ABga",
        "Rīga has none"
    );
    let (_, headers, _) = w.send(take("Kurzeme")).await;
    assert_eq!(
        headers[header::LOCATION],
        format!("/darbs/lietas/{case_id}").as_str()
    );
}

#[tokio::test]
async fn each_role_reaches_its_pages_only_and_every_page_is_labelled() {
    let w = World::new(None).await;
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let official = w.sign_in(&staff_code(Role::Official), Role::Official).await;
    let clerk = w.sign_in(&staff_code(Role::Clerk), Role::Clerk).await;
    let quality = w.sign_in(&staff_code(Role::Quality), Role::Quality).await;
    // One case waits in the standard queue.
    let case_id = w
        .store
        .submit(&atzinums_store::testing::application(
            5,
            vec![(
                "a.pdf",
                DocumentKind::Referral088u,
                MediaType::Pdf,
                bytes::Bytes::from_static(PDF),
            )],
        ))
        .await
        .unwrap()
        .case_id;
    w.queue_for_review(&case_id).await;
    let (_, _, html) = w.get(&expert, "/darbs").await;
    assert!(html.contains(&case_id) && html.contains("/darbs/standard/nemt"));
    let (_, _, html) = w.get(&quality, "/darbs").await;
    assert!(html.contains(&case_id), "the quality team sees the queues");
    assert!(!html.contains("/nemt"), "but takes no case");
    for (who, path) in [
        (&quality, "/darbs"),
        (&expert, "/darbs"),
        (&official, "/parakstisana"),
        (&clerk, "/e-pakalpojums"),
        (&quality, "/kvalitate"),
    ] {
        let (status, _, html) = w.get(who, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_accessible(path, &html);
    }
    for (who, path, want) in [
        (&a, "/darbs", StatusCode::FORBIDDEN),
        (&a, "/parakstisana", StatusCode::FORBIDDEN),
        (&expert, "/parakstisana", StatusCode::FORBIDDEN),
        (&official, "/darbs", StatusCode::FORBIDDEN),
        (&expert, "/kvalitate", StatusCode::FORBIDDEN),
        (&Who::Nobody, "/e-pakalpojums", StatusCode::UNAUTHORIZED),
    ] {
        let (status, _, html) = w.get(who, path).await;
        assert_eq!(status, want, "{path}");
        assert_accessible(path, &html);
    }
}

/// A form post as `who`, with their CSRF token.
fn form_post(who: &Who, path: &str, body: &str) -> Request<Body> {
    let (cookie, csrf) = session_of(who);
    Request::post(format!("{path}?csrf={csrf}"))
        .header(header::COOKIE, format!("atz_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_second_reading_goes_from_the_console_to_a_blind_page_and_back_as_kappa() {
    let w = World::new(None).await;
    let a = w.sign_in(&sample_person_code(1), Role::Applicant).await;
    let expert = w.sign_in(&staff_code(Role::Expert), Role::Expert).await;
    let quality = w.sign_in(&staff_code(Role::Quality), Role::Quality).await;
    let case_id = w.file_two_pdfs(&a).await;
    atzinums_store::testing::bring_to_signature(&w.store, &case_id)
        .await
        .unwrap();
    let decision: atzinums_models::DecisionJson = serde_json::from_value(serde_json::json!({
        "decided_at": chrono::Utc::now().date_naive(), "outcome": "group_III", "work_capacity_loss_pct": 40,
        "term": {"months": 24}, "cause": "general_illness", "primary_icd10": "G35", "icd10": ["G35"],
        "functioning": {"learning":0,"communication":0,"orientation":0,"mobility":2,"self_care":1,"behaviour":0},
        "opinions": {}, "complex": false, "opinion_text": "Slēdziens.", "expert": "E-1"
    }))
    .unwrap();
    w.store
        .sign_decision(
            &case_id,
            &decision,
            &atzinums_store::Actor::person(Role::Official, "o-1"),
        )
        .await
        .unwrap();

    let (_, _, html) = w.get(&quality, "/kvalitate").await;
    assert!(
        html.contains("Otrās lasīšanas vēl nav pabeigtas."),
        "{html}"
    );
    let (status, headers, _) = w
        .send(form_post(
            &quality,
            "/kvalitate/otra-lasisana",
            "count=5&weeks=4",
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/kvalitate#otra");
    let (status, _, _) = w
        .send(form_post(
            &quality,
            "/kvalitate/otra-lasisana",
            "count=lots&weeks=4",
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, _, html) = w.get(&expert, "/darbs").await;
    assert!(html.contains("href=\"/darbs/otra-lasisana\""));
    let (status, _, html) = w.get(&expert, "/darbs/otra-lasisana").await;
    assert_eq!(status, StatusCode::OK);
    assert_accessible("/darbs/otra-lasisana", &html);
    let blind = format!("/darbs/otra-lasisana/{case_id}");
    assert!(html.contains(&blind));
    let (status, _, html) = w.get(&expert, &blind).await;
    assert_eq!(status, StatusCode::OK);
    assert_accessible(&blind, &html);
    assert!(html.contains("?otra=1") && html.contains("a.pdf"));
    assert!(!html.contains("Slēdziens"), "the decision is not shown");
    let (status, _, _) = w
        .send(form_post(
            &expert,
            &blind,
            "outcome=group_III&work_capacity_loss_pct=45",
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = w.get(&expert, &blind).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "read once");

    let (_, _, html) = w.get(&quality, "/kvalitate").await;
    assert_accessible("/kvalitate", &html);
    assert!(html.contains("Koena kappa"), "{html}");
    assert!(html.contains("100.0 %"), "one pair, in agreement: {html}");
    let (status, _, _) = w.get(&quality, "/darbs/otra-lasisana").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

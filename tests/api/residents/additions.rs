//! A reporter adds a remark or photos to their open report through its follow link: by the
//! JSON API and by the forms of the report page.

use reqwest::Method;
use serde_json::{Value, json};

use super::report::{BROWSER, followed_report, form_token, page};
use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::photos::{multipart, phone_jpeg, png_bytes};
use crate::support::smtp::{mails_in, token_after};
use crate::support::staff::with_bootstrap_admin;
use crate::support::staff::{admin_token, send};

/// A server with a mail folder and a photo folder inside `folder`.
pub(super) async fn app_in(backend: Backend, folder: &std::path::Path) -> TestApp {
    let mail = folder.display().to_string();
    let photos = folder.join("photos").display().to_string();
    spawn_app_with(backend, |s| {
        with_bootstrap_admin(s);
        s.mail_dir = mail.clone();
        s.photo_dir = photos.clone();
        s.public_url = "https://meldpunt.test".into();
        s.outbox_poll_ms = 50;
        s.photo_max_count = 3;
    })
    .await
}

async fn staff_report(app: &TestApp, admin: &str, id: &str) -> Value {
    let response = send(app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(admin), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn resolve(app: &TestApp, admin: &str, id: &str) {
    let resolved = send(
        app,
        Method::POST,
        &format!("/api/v1/staff/reports/{id}/transitions"),
        Some(admin),
        Some(json!({"to": "resolved", "text": "De lamp is vervangen."})),
    )
    .await;
    assert_eq!(resolved.status(), 200, "{}", resolved.text().await.unwrap());
}

async fn remark(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(&format!("{path}/remarks"))).json(&body).send().await.unwrap()
}

async fn photos(app: &TestApp, path: &str, files: &[Vec<u8>]) -> reqwest::Response {
    let (content_type, body) = multipart(files);
    app.client
        .post(app.url(&format!("{path}/photos")))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A confirmed supporter's follow link of report `id` (from the update of a status change).
async fn supporter_link(app: &TestApp, admin: &str, folder: &std::path::Path, id: &str) -> String {
    let supporter = "steun.betuiger@example.nl";
    let supported =
        send(app, Method::POST, &format!("/api/v1/reports/{id}/support"), None, Some(json!({"email": supporter})))
            .await;
    assert_eq!(supported.status(), 201);
    let mail =
        |needle: &'static str| mails_in(folder).into_iter().find(|m| m.contains(supporter) && m.contains(needle));
    for _ in 0..200 {
        if mail("/api/v1/support/confirm/").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let confirm = token_after(&mail("/api/v1/support/confirm/").expect("a confirmation"), "/api/v1/support/confirm/");
    assert_eq!(
        app.client.post(app.url(&format!("/api/v1/support/confirm/{confirm}"))).send().await.unwrap().status(),
        200
    );
    let moved = send(
        app,
        Method::POST,
        &format!("/api/v1/staff/reports/{id}/transitions"),
        Some(admin),
        Some(json!({"to": "in_progress", "text": "Een monteur komt langs."})),
    )
    .await;
    assert_eq!(moved.status(), 200);
    for _ in 0..200 {
        if mail("/api/v1/follow/").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    format!(
        "/api/v1/follow/{}",
        token_after(&mail("/api/v1/follow/").expect("a mail with the supporter's follow link"), "/api/v1/follow/")
    )
}

/// The multipart body of the report page's photo form.
fn photo_form(form: &str, files: &[Vec<u8>]) -> (String, Vec<u8>) {
    let boundary = "----formboundary4Xb";
    let mut body = Vec::new();
    for (name, value) in [("form", form), ("action", "photo")] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for file in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"lamp.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_photo_form(app: &TestApp, path: &str, form: &str, files: &[Vec<u8>]) -> reqwest::Response {
    let (content_type, body) = photo_form(form, files);
    app.client
        .post(app.url(path))
        .header("Accept", BROWSER)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

on_both_backends! {
    async fn the_reporter_adds_a_remark_that_staff_read_and_the_public_never_sees(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = app_in(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (id, path) = followed_report(&app, folder.path(), "nl").await;
        assert_eq!(app.get_json(&path).await["can_add"], true, "the reporter's link may add while the report is open");

        let added = remark(&app, &path, json!({"text": "  Hij knippert nu ook overdag, bel gerust 06-12345678.  "})).await;
        assert_eq!(added.status(), 201);
        assert_eq!(added.json::<Value>().await.unwrap(), json!({"added": true}));
        let history = staff_report(&app, &admin, &id).await["history"].clone();
        let note = history.as_array().unwrap().iter().find(|h| h["action"] == "note" && h["actor"] == "reporter").expect("an internal note");
        assert_eq!(note["details"]["visibility"], "internal");
        assert_eq!(note["details"]["text"], "Hij knippert nu ook overdag, bel gerust 06-12345678.");

        let public = app.get_json(&path).await.to_string();
        assert!(!public.contains("06-12345678"), "the remark is not in the follow view: {public}");
        let report = app.get_json(&format!("/api/v1/reports/{id}")).await.to_string();
        assert!(!report.contains("06-12345678"), "nor in the public report: {report}");
        assert!(!page(&app, &path, 200).await.contains("06-12345678"), "nor on the page");

        expect_problem(remark(&app, &path, json!({"text": "   "})).await, 422).await;
        expect_problem(remark(&app, &path, json!({"text": "x".repeat(1001)})).await, 422).await;
        expect_problem(remark(&app, &path, json!({"tekst": "typo"})).await, 422).await;
        expect_problem(remark(&app, "/api/v1/follow/nonsense", json!({"text": "hallo"})).await, 404).await;

        resolve(&app, &admin, &id).await;
        assert_eq!(app.get_json(&path).await["can_add"], false);
        let closed = expect_problem(remark(&app, &path, json!({"text": "Nog iets"})).await, 409).await;
        assert!(closed["detail"].as_str().unwrap().contains("ask to reopen"), "{closed}");
    }

    async fn a_reporter_adds_at_most_twenty_remarks_to_one_report(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = app_in(backend, folder.path()).await;
        let (_, path) = followed_report(&app, folder.path(), "nl").await;
        for n in 0..20 {
            assert_eq!(remark(&app, &path, json!({"text": format!("Opmerking {n}")})).await.status(), 201);
        }
        let full = expect_problem(remark(&app, &path, json!({"text": "Nog een"})).await, 409).await;
        assert!(full["detail"].as_str().unwrap().contains("20"), "{full}");
    }

    async fn the_reporter_adds_photos_through_the_follow_link_stripped_like_at_intake(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = app_in(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (id, path) = followed_report(&app, folder.path(), "nl").await;

        let added = photos(&app, &path, &[phone_jpeg()]).await;
        assert_eq!(added.status(), 201);
        let added: Value = added.json().await.unwrap();
        let url = added["photos"][0]["url"].as_str().unwrap().to_owned();
        let served = app.get(&url).await;
        assert_eq!(served.status(), 200);
        let bytes = served.bytes().await.unwrap();
        assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        assert_eq!(app.get_json(&path).await["report"]["photos"].as_array().unwrap().len(), 1);
        let history = staff_report(&app, &admin, &id).await["history"].clone();
        assert!(history.as_array().unwrap().iter().any(|h| h["action"] == "photos_added" && h["actor"] == "reporter" && h["details"]["count"] == 1), "{history}");

        expect_problem(photos(&app, &path, &[b"GIF89a not a photo".to_vec()]).await, 415).await;
        expect_problem(photos(&app, &path, &[png_bytes(8, 8), png_bytes(8, 8), png_bytes(8, 8)]).await, 409).await;
        expect_problem(photos(&app, &path, &[]).await, 400).await;
        assert_eq!(app.get_json(&path).await["report"]["photos"].as_array().unwrap().len(), 1, "all or nothing");

        resolve(&app, &admin, &id).await;
        expect_problem(photos(&app, &path, &[png_bytes(8, 8)]).await, 409).await;
    }

    async fn a_supporter_s_link_may_not_add_remarks_or_photos(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = app_in(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (id, _) = followed_report(&app, folder.path(), "nl").await;
        let supporter = supporter_link(&app, &admin, folder.path(), &id).await;
        assert_eq!(app.get_json(&supporter).await["can_add"], false);
        expect_problem(remark(&app, &supporter, json!({"text": "Ik ook"})).await, 403).await;
        expect_problem(photos(&app, &supporter, &[png_bytes(8, 8)]).await, 403).await;
        let body = page(&app, &supporter, 200).await;
        assert!(!body.contains("name=\"action\" value=\"remark\"") && !body.contains("enctype=\"multipart/form-data\""), "{body}");
    }

    async fn the_report_page_adds_a_remark_and_a_photo_and_says_what_happened(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = app_in(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (id, path) = followed_report(&app, folder.path(), "en").await;
        let body = page(&app, &path, 200).await;
        assert!(body.contains("<label for=\"remark\">") && body.contains("<label for=\"photo\">"), "{body}");
        assert!(body.contains(&format!("action=\"{path}?lang=en\"")), "the forms answer in the page's language: {body}");
        let form = form_token(&body);

        let said = app.client.post(app.url(&format!("{path}?lang=en"))).header("Accept", BROWSER)
            .form(&[("form", form.as_str()), ("action", "remark"), ("text", "The lamp blinks in daylight too.")]).send().await.unwrap();
        assert_eq!(said.status(), 200);
        assert!(said.text().await.unwrap().contains("Your remark has been added"));
        let empty = app.client.post(app.url(&path)).header("Accept", BROWSER)
            .form(&[("form", form.as_str()), ("action", "remark"), ("text", "")]).send().await.unwrap();
        assert_eq!(empty.status(), 422);
        assert!(empty.text().await.unwrap().contains("Schrijf een opmerking"), "the page says what to change");

        let stale = post_photo_form(&app, &path, "1.00", &[phone_jpeg()]).await;
        assert_eq!(stale.status(), 400, "an old form stores nothing");
        let none = post_photo_form(&app, &path, &form, &[Vec::new()]).await;
        assert_eq!(none.status(), 400);
        assert!(none.text().await.unwrap().contains("Kies eerst een foto"));
        let wrong = post_photo_form(&app, &format!("{path}?lang=en"), &form, &[b"%PDF-1.7".to_vec()]).await;
        assert_eq!(wrong.status(), 415);
        assert!(wrong.text().await.unwrap().contains("JPEG, PNG or WebP"));
        let stored = post_photo_form(&app, &format!("{path}?lang=en"), &form, &[phone_jpeg()]).await;
        assert_eq!(stored.status(), 200);
        let text = stored.text().await.unwrap();
        assert!(text.contains("Your photo has been added") && text.contains("Back to your report"), "{text}");
        assert_eq!(app.get_json(&path).await["report"]["photos"].as_array().unwrap().len(), 1);
        let history = staff_report(&app, &admin, &id).await["history"].clone();
        assert!(history.as_array().unwrap().iter().any(|h| h["actor"] == "reporter" && h["details"]["text"] == "The lamp blinks in daylight too."));

        resolve(&app, &admin, &id).await;
        let closed = page(&app, &path, 200).await;
        assert!(!closed.contains("<label for=\"remark\">") && !closed.contains("<label for=\"photo\">"), "no forms once closed");
        let late = post_photo_form(&app, &path, &form, &[phone_jpeg()]).await;
        assert_eq!(late.status(), 409);
        assert!(late.text().await.unwrap().contains("Vraag dan om heropenen"));
    }
}

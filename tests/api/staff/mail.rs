//! Reporter emails through the outbox: against a real SMTP server process (aiosmtpd), in
//! Dutch and English, with a follow link; nothing lost or doubled while the server is down;
//! dead-lettering; the folder transport without a server.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{ServerTls, SmtpServer, mails_in, private_ca, smtp_app, token_after};
use crate::support::staff::*;

async fn file_with_email(app: &TestApp, email: &str, language: Option<&str>) -> Value {
    let mut body = street_light_report();
    body["reporter"] = json!({"email": email});
    if let Some(language) = language {
        body["language"] = json!(language);
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The confirmation email of a report reaches an SMTP server that speaks `tls`, with a
/// certificate of a private CA that meldpunt is told to trust; a server it is not told to
/// trust gets nothing.
async fn emails_travel_over_tls(backend: Backend, tls: ServerTls, url: impl Fn(u16) -> String) {
    let certificates = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(certificates.path());
    let port = free_port();
    let smtp = SmtpServer::start_with(port, tls, Some((&cert, &key)));
    let app = spawn_app_with(backend, |s| {
        s.smtp_url = url(port);
        s.smtp_ca_file = ca.to_string_lossy().into_owned();
        s.outbox_poll_ms = 50;
    })
    .await;
    let report = file_with_email(&app, "versleuteld@example.nl", None).await;
    wait_for("the confirmation over TLS", || smtp.messages().len(), 1).await;
    assert!(smtp.messages()[0].contains(report["reference"].as_str().unwrap()));

    // Not told to trust the private CA: the certificate is refused and nothing is sent.
    let untrusting = spawn_app_with(backend, |s| {
        s.smtp_url = url(port);
        s.outbox_poll_ms = 50;
        s.outbox_retry_ms = 100;
    })
    .await;
    file_with_email(&untrusting, "niet-vertrouwd@example.nl", None).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1, "sent to a server whose certificate is not trusted");
    let waiting = untrusting.outbox_counts().await;
    assert_eq!((waiting.pending, waiting.sent), (1, 0));
}

on_both_backends! {
    async fn emails_reach_an_smtp_server_by_starttls_trusting_a_private_ca(backend: Backend) {
        emails_travel_over_tls(backend, ServerTls::StartTls, |port| format!("smtp://127.0.0.1:{port}?tls=required")).await;
    }

    async fn emails_reach_an_smtps_server_trusting_a_private_ca(backend: Backend) {
        emails_travel_over_tls(backend, ServerTls::Implicit, |port| format!("smtps://127.0.0.1:{port}")).await;
    }

    async fn reporters_get_a_confirmation_and_every_public_status_change_by_smtp(backend: Backend) {
        let port = free_port();
        let smtp = SmtpServer::start(port);
        let app = smtp_app(backend, port, 1000, 5).await;
        let english = file_with_email(&app, "resident@example.org", Some("en")).await;
        let dutch = file_with_email(&app, "bewoner@example.nl", None).await;
        wait_for("confirmations", || smtp.messages().len(), 2).await;
        let messages = smtp.messages();
        let to_english = messages.iter().find(|m| m.contains("resident@example.org")).unwrap();
        let reference = english["reference"].as_str().unwrap();
        assert!(to_english.contains(&format!("Your report {reference} has been received")), "{to_english}");
        assert!(to_english.contains("meldingen@heerlen.example"));
        let to_dutch = messages.iter().find(|m| m.contains("bewoner@example.nl")).unwrap();
        assert!(
            to_dutch.contains(&format!("Uw melding {} is ontvangen", dutch["reference"].as_str().unwrap())),
            "{to_dutch}"
        );
        assert!(to_dutch.contains("https://meldpunt.test/api/v1/follow/mpt_"));

        let token = token_after(to_english, "/api/v1/follow/");
        let admin = admin_token(&app).await;
        let id = english["id"].as_str().unwrap();
        let moved = send(
            &app,
            Method::POST,
            &format!("/api/v1/staff/reports/{id}/transitions"),
            Some(&admin),
            Some(json!({"to": "resolved", "text": "The lamp has been replaced."})),
        )
        .await;
        assert_eq!(moved.status(), 200);
        send(
            &app,
            Method::POST,
            &format!("/api/v1/staff/reports/{id}/notes"),
            Some(&admin),
            Some(json!({"text": "Internal only: contractor X.", "visibility": "internal"})),
        )
        .await;
        wait_for("status emails", || smtp.messages().len(), 3).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let messages = smtp.messages();
        assert_eq!(messages.len(), 3, "an internal note sends nothing");
        let update = messages.iter().find(|m| m.contains("is resolved")).unwrap();
        assert!(update.contains("The lamp has been replaced.") && update.contains(reference));

        let followed = app.get(&format!("/api/v1/follow/{token}")).await;
        assert_eq!(followed.status(), 200);
        let followed = followed.text().await.unwrap();
        assert!(followed.contains("\"status\":\"resolved\"") && followed.contains("The lamp has been replaced."));
        assert!(
            !followed.contains("contractor") && !followed.contains("resident@example.org") && !followed.contains("staff:")
        );
        assert_eq!(app.get("/api/v1/follow/mpt_notatoken").await.status(), 404);
    }

    async fn no_email_is_lost_or_doubled_while_the_smtp_server_is_down(backend: Backend) {
        let port = free_port();
        let app = smtp_app(backend, port, 100, 50).await;
        let report = file_with_email(&app, "geduldig@example.nl", None).await;
        let admin = admin_token(&app).await;
        let id = report["id"].as_str().unwrap();
        let moved = send(
            &app,
            Method::POST,
            &format!("/api/v1/staff/reports/{id}/transitions"),
            Some(&admin),
            Some(json!({"to": "accepted"})),
        )
        .await;
        assert_eq!(moved.status(), 200);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let waiting = app.outbox_counts().await;
        assert_eq!((waiting.pending, waiting.sent), (2, 0), "both emails wait while the server is down");
        let smtp = SmtpServer::start(port);
        wait_for("emails after the server came back", || smtp.messages().len(), 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(smtp.messages().len(), 2, "each email exactly once");
        assert_eq!(app.outbox_counts().await.sent, 2);
    }

    async fn an_email_that_keeps_failing_is_dead_lettered(backend: Backend) {
        let port = free_port();
        let app = smtp_app(backend, port, 20, 3).await;
        file_with_email(&app, "nooit@example.nl", None).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let counts = app.outbox_counts().await;
            if counts.dead == 1 {
                assert_eq!(counts.pending, 0);
                break;
            }
            assert!(Instant::now() < deadline, "not dead-lettered: {counts:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn without_an_smtp_server_emails_are_written_to_the_mail_folder(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().display().to_string();
        let app = spawn_app_with(backend, |s| {
            s.mail_dir = path.clone();
            s.outbox_poll_ms = 50;
        })
        .await;
        let report = file_with_email(&app, "bestand@example.nl", None).await;
        wait_for(".eml files", || mails_in(folder.path()).len(), 1).await;
        let mail = &mails_in(folder.path())[0];
        assert!(mail.contains(report["reference"].as_str().unwrap()) && mail.contains("bestand@example.nl"));
    }
}

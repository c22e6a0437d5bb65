//! Dead letters for admins: a message the SMTP server never takes ends dead, is listed
//! without its address (the class of its failure, not the error text), is put back in the
//! queue, and is delivered once the server accepts; so is an announcement delivery to a
//! webhook that keeps answering 503.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{SmtpServer, smtp_app};
use crate::support::staff::{admin_token, send, with_bootstrap_admin};
use crate::support::subscriptions::{announce, deliveries_once, publish, roadworks, subscribe};

const ADDRESS: &str = "nooit.bezorgd@example.nl";

async fn dead_messages(app: &TestApp) -> Value {
    let response = send(app, Method::GET, "/api/v1/admin/outbox/messages?state=dead", Some(ADMIN_TOKEN), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

on_both_backends! {
    async fn a_dead_email_is_listed_without_its_address_requeued_and_delivered_when_the_server_accepts(backend: Backend) {
        let port = free_port();
        // Nothing listens on the port: every attempt is refused; two attempts, 20 ms apart.
        let app = smtp_app(backend, port, 20, 2).await;
        let mut body = street_light_report();
        body["reporter"] = json!({"email": ADDRESS});
        let response = app.post_report(&body, None).await;
        assert_eq!(response.status(), 201);
        let report: Value = response.json().await.unwrap();

        let deadline = Instant::now() + Duration::from_secs(20);
        let listed = loop {
            let page = dead_messages(&app).await;
            if page["items"].as_array().unwrap().len() == 1 {
                break page;
            }
            assert!(Instant::now() < deadline, "the email did not end dead: {page}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let text = listed.to_string();
        assert!(!text.contains(ADDRESS) && !text.contains('@'), "no address in the list: {text}");
        let letter = &listed["items"][0];
        assert_eq!(letter["channel"], "email");
        assert_eq!(letter["template"], "confirmation");
        assert_eq!(letter["status"], "dead");
        assert_eq!(letter["attempts"], 2);
        assert_eq!(letter["last_error_class"], "mail_unreachable");
        assert_eq!(letter["report_id"], report["id"]);
        assert!(letter["age_seconds"].as_i64().unwrap() >= 0);
        assert!(letter.get("next_attempt_at").is_none_or(Value::is_null));
        assert!(listed["next_after"].is_null(), "one page");

        // Without a token, or with a bad state, it is refused.
        assert_eq!(send(&app, Method::GET, "/api/v1/admin/outbox/messages", None, None).await.status(), 401);
        let bad = send(&app, Method::GET, "/api/v1/admin/outbox/messages?state=lost", Some(ADMIN_TOKEN), None).await;
        assert_eq!(pointers(&expect_problem(bad, 422).await), vec!["/state"]);
        let deliveries = send(&app, Method::GET, "/api/v1/admin/outbox/deliveries?state=failing", Some(ADMIN_TOKEN), None).await;
        assert_eq!(deliveries.status(), 200);
        assert_eq!(deliveries.json::<Value>().await.unwrap()["items"], json!([]));

        let smtp = SmtpServer::start(port);
        let id = letter["id"].as_str().unwrap();
        let path = format!("/api/v1/admin/outbox/messages/{id}/requeue");
        let requeued = send(&app, Method::POST, &path, Some(ADMIN_TOKEN), None).await;
        assert_eq!(requeued.status(), 200);
        assert_eq!(requeued.json::<Value>().await.unwrap(), json!({"requeued": 1}));
        wait_for("the requeued email", || smtp.messages().len(), 1).await;
        assert!(smtp.messages()[0].contains(ADDRESS));
        assert_eq!(dead_messages(&app).await["items"], json!([]));
        let again = send(&app, Method::POST, &path, Some(ADMIN_TOKEN), None).await;
        expect_problem(again, 404).await;
        let all = send(&app, Method::POST, "/api/v1/admin/outbox/messages/requeue", Some(ADMIN_TOKEN), None).await;
        assert_eq!(all.json::<Value>().await.unwrap(), json!({"requeued": 0}));
        let none = send(&app, Method::POST, "/api/v1/admin/outbox/deliveries/1-1/requeue", Some(ADMIN_TOKEN), None).await;
        expect_problem(none, 404).await;
    }

    async fn a_dead_webhook_delivery_is_listed_without_its_subscriber_requeued_and_delivered(backend: Backend) {
        use actix_web::{App, HttpResponse, HttpServer, web};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let accept = Arc::new(AtomicBool::new(false));
        let delivered = Arc::new(AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (accepting, counted) = (accept.clone(), delivered.clone());
        let receiver = HttpServer::new(move || {
            let (accepting, counted) = (accepting.clone(), counted.clone());
            App::new().route(
                "/hook",
                web::post().to(move |body: web::Bytes| {
                    let (accepting, counted) = (accepting.clone(), counted.clone());
                    async move {
                        let value: Value = serde_json::from_slice(&body).unwrap_or_default();
                        if value["type"] == "challenge" {
                            HttpResponse::Ok().json(json!({"challenge": value["challenge"]}))
                        } else if accepting.load(Ordering::SeqCst) {
                            counted.fetch_add(1, Ordering::SeqCst);
                            HttpResponse::NoContent().finish()
                        } else {
                            HttpResponse::ServiceUnavailable().finish()
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(receiver);

        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.webhook_allow_insecure = true;
            s.outbox_poll_ms = 50;
            s.outbox_retry_ms = 20;
            s.outbox_max_attempts = 2;
        })
        .await;
        let hook = format!("http://127.0.0.1:{port}/hook");
        let created = subscribe(&app, json!({"channel": "webhook", "url": hook, "areas": ["BU09171000"], "tags": ["roadworks"]})).await;
        let manage = created["manage_token"].as_str().unwrap().to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        while app.get_json(&format!("/api/v1/subscriptions/manage/{manage}")).await["status"] != "active" {
            assert!(Instant::now() < deadline, "the webhook did not become active");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let admin = admin_token(&app).await;
        let id = announce(&app, &admin, roadworks(json!(["WK091710"]))).await;
        assert_eq!(publish(&app, &admin, &id).await["deliveries"], 1);
        deliveries_once(&app, &admin, &id, "webhook", "dead", 1).await;

        let listed = send(&app, Method::GET, "/api/v1/admin/outbox/deliveries", Some(ADMIN_TOKEN), None).await;
        assert_eq!(listed.status(), 200);
        let listed: Value = listed.json().await.unwrap();
        let text = listed.to_string();
        assert!(!text.contains("127.0.0.1") && !text.contains(created["secret"].as_str().unwrap()), "{text}");
        let letter = &listed["items"][0];
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(letter["channel"], "webhook");
        assert_eq!(letter["status"], "dead");
        assert_eq!(letter["attempts"], 2);
        assert_eq!(letter["last_error_class"], "webhook_status");
        assert_eq!(letter["announcement_id"], json!(id));

        accept.store(true, Ordering::SeqCst);
        let requeued = send(&app, Method::POST, "/api/v1/admin/outbox/deliveries/requeue", Some(ADMIN_TOKEN), None).await;
        assert_eq!(requeued.json::<Value>().await.unwrap(), json!({"requeued": 1}));
        deliveries_once(&app, &admin, &id, "webhook", "sent", 1).await;
        assert_eq!(delivered.load(Ordering::SeqCst), 1);
        let page = send(&app, Method::GET, "/api/v1/admin/outbox/deliveries", Some(ADMIN_TOKEN), None).await;
        assert_eq!(page.json::<Value>().await.unwrap()["items"], json!([]));
    }
}

//! Dead letters for admins: a message the SMTP server never takes ends dead, is listed
//! without its address (the class of its failure, not the error text), is put back in the
//! queue, and is delivered once the server accepts.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{SmtpServer, smtp_app};
use crate::support::staff::send;

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
}

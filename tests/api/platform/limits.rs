//! Abuse limits per client address and per typed email address, and the slowing down of
//! failed logins: a `429` problem with `Retry-After` over a limit; trusted proxies name the
//! client, anyone else cannot.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::app::{expect_problem, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::staff::{ADMIN_EMAIL, ADMIN_PASSWORD, with_bootstrap_admin};

/// The `Retry-After` of a response, in seconds.
fn retry_after(response: &reqwest::Response) -> u64 {
    let value = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).unwrap_or_default();
    value.parse().unwrap_or_else(|_| panic!("Retry-After is not whole seconds: {value:?}"))
}

async fn too_many(response: reqwest::Response) -> (u64, Value) {
    let wait = retry_after(&response);
    let problem = expect_problem(response, 429).await;
    assert_eq!(problem["type"], "urn:meldpunt:problem:too-many-requests");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("Retry after {wait} seconds")), "{detail}");
    (wait, problem)
}

async fn report_from(app: &crate::support::app::TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/v1/reports")).json(&street_light_report());
    if let Some(hops) = forwarded_for {
        request = request.header("X-Forwarded-For", hops);
    }
    request.send().await.unwrap()
}

async fn total_outbox(app: &crate::support::app::TestApp) -> i64 {
    let counts = app.outbox_counts().await;
    counts.pending + counts.sent + counts.dead + counts.cancelled
}

on_both_backends! {
    async fn reports_over_the_hourly_limit_of_an_address_get_a_429_problem_with_retry_after(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.limit_reports_per_hour = 2).await;
        for _ in 0..2 {
            assert_eq!(report_from(&app, None).await.status(), 201);
        }
        let (wait, _) = too_many(report_from(&app, None).await).await;
        // Two an hour: the next one is allowed about half an hour later.
        assert!((1700..=1800).contains(&wait), "{wait}");
        // Open311 intake shares the limit.
        let form = [("service_code", "straatverlichting-openbare-klok"), ("lat", "50.8882"), ("long", "5.9795"), ("description", "De lamp is uit")];
        let open311 = app.client.post(app.url("/open311/v2/requests.json")).form(&form).send().await.unwrap();
        assert_eq!(open311.status(), 429);
        assert!(retry_after(&open311) >= 1);
        // Open311 clients get a GeoReport error document, as for every Open311 error.
        let errors: Value = open311.json().await.unwrap();
        assert_eq!(errors[0]["code"], 429, "{errors}");
        assert!(errors[0]["description"].as_str().unwrap().contains("Retry after"), "{errors}");
        // Reading is never limited.
        assert_eq!(app.get("/api/v1/categories").await.status(), 200);
        assert_eq!(app.stored_reports().await, 2);
    }

    async fn a_trusted_proxy_names_the_client_and_a_forwarded_header_from_anyone_else_is_ignored(backend: Backend) {
        let behind_proxy = spawn_app_with(backend, |s| {
            s.limit_reports_per_hour = 1;
            s.trusted_proxies = "127.0.0.1/32".into();
        })
        .await;
        assert_eq!(report_from(&behind_proxy, Some("198.51.100.1")).await.status(), 201);
        too_many(report_from(&behind_proxy, Some("198.51.100.1")).await).await;
        // The right-most hop the trusted proxy did not add is the client; hops left of it may be forged.
        too_many(report_from(&behind_proxy, Some("203.0.113.66, 198.51.100.1")).await).await;
        assert_eq!(report_from(&behind_proxy, Some("198.51.100.2")).await.status(), 201);

        let direct = spawn_app_with(backend, |s| s.limit_reports_per_hour = 1).await;
        assert_eq!(report_from(&direct, Some("198.51.100.1")).await.status(), 201);
        // The peer is not a trusted proxy: its header changes nothing, it is still the client.
        too_many(report_from(&direct, Some("198.51.100.3")).await).await;
    }

    async fn emails_to_a_typed_address_stop_at_the_limit_while_every_answer_stays_the_same(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            s.limit_emails_per_address_per_hour = 2;
            // Keep the queued emails in the outbox, where the test counts them.
            s.outbox_in_server = false;
        })
        .await;
        let target = "slachtoffer@example.nl";
        let subscription = json!({"channel": "email", "email": target, "areas": ["GM0917"]});
        let mut answers = Vec::new();
        for _ in 0..3 {
            let response = app.client.post(app.url("/api/v1/subscriptions")).json(&subscription).send().await.unwrap();
            assert_eq!(response.status(), 202);
            let mut body: Value = response.json().await.unwrap();
            body["id"] = json!("…");
            answers.push(body);
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
        assert_eq!(total_outbox(&app).await, 2, "the third confirmation is not queued");

        let access = app.client.post(app.url("/api/v1/privacy/access-requests")).json(&json!({"email": target})).send().await.unwrap();
        assert_eq!(access.status(), 202);
        let report: Value = report_from(&app, None).await.json().await.unwrap();
        let queued = total_outbox(&app).await;
        let support = app
            .client
            .post(app.url(&format!("/api/v1/reports/{}/support", report["id"].as_str().unwrap())))
            .json(&json!({"email": target.to_uppercase()}))
            .send()
            .await
            .unwrap();
        assert_eq!(support.status(), 201);
        let support: Value = support.json().await.unwrap();
        assert!(support["interest_count"].as_i64().unwrap() >= 1, "the support still counts: {support}");
        assert!(support["detail"].as_str().unwrap().contains("confirm your email address"), "{support}");
        assert_eq!(total_outbox(&app).await, queued, "no access link and no support confirmation to the address");

        let other = json!({"channel": "email", "email": "iemand.anders@example.nl", "areas": ["GM0917"]});
        let response = app.client.post(app.url("/api/v1/subscriptions")).json(&other).send().await.unwrap();
        assert_eq!(response.status(), 202);
        assert_eq!(total_outbox(&app).await, queued + 1, "another address is not limited");
    }

    async fn subscriptions_supports_access_requests_and_answers_are_limited_per_address(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            s.limit_subscriptions_per_hour = 1;
            s.limit_supports_per_hour = 1;
            s.limit_access_requests_per_hour = 1;
            s.limit_answers_per_hour = 1;
        })
        .await;
        let subscribe = || {
            app.client
                .post(app.url("/api/v1/subscriptions"))
                .json(&json!({"channel": "email", "email": "a@example.nl", "areas": ["GM0917"]}))
                .send()
        };
        assert_eq!(subscribe().await.unwrap().status(), 202);
        too_many(subscribe().await.unwrap()).await;

        let report: Value = report_from(&app, None).await.json().await.unwrap();
        let support_path = format!("/api/v1/reports/{}/support", report["id"].as_str().unwrap());
        let support = || app.client.post(app.url(&support_path)).json(&json!({})).send();
        assert_eq!(support().await.unwrap().status(), 201);
        too_many(support().await.unwrap()).await;

        let access = || app.client.post(app.url("/api/v1/privacy/access-requests")).json(&json!({"email": "b@example.nl"})).send();
        assert_eq!(access().await.unwrap().status(), 202);
        too_many(access().await.unwrap()).await;

        // An answer with an unknown link is a 404, and still counts.
        let answer = || app.client.post(app.url("/api/v1/answers/not-a-real-token")).send();
        assert_eq!(answer().await.unwrap().status(), 404);
        too_many(answer().await.unwrap()).await;
    }

    async fn failed_logins_of_an_account_slow_down_with_a_growing_retry_after_and_a_success_resets_them(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.limit_login_failures_per_account = 2;
            s.limit_login_failures_per_address = 0;
        })
        .await;
        let login = |password: &'static str| {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"email": ADMIN_EMAIL, "password": password}))
                .send()
        };
        assert_eq!(login("wrong password one").await.unwrap().status(), 401);
        assert_eq!(login("wrong password two").await.unwrap().status(), 401);
        // Even the right password waits: guessing must not learn anything meanwhile.
        let (wait, _) = too_many(login(ADMIN_PASSWORD).await.unwrap()).await;
        assert_eq!(wait, 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(login("wrong password three").await.unwrap().status(), 401);
        let (wait, _) = too_many(login(ADMIN_PASSWORD).await.unwrap()).await;
        assert_eq!(wait, 2, "the wait doubles per failure");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(login(ADMIN_PASSWORD).await.unwrap().status(), 200);
        // The success forgot the failures: one more wrong password does not make the user wait.
        assert_eq!(login("wrong password four").await.unwrap().status(), 401);
        assert_eq!(login(ADMIN_PASSWORD).await.unwrap().status(), 200);
    }

    async fn failed_logins_from_one_address_slow_down_that_address_across_accounts(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.limit_login_failures_per_account = 0;
            s.limit_login_failures_per_address = 3;
        })
        .await;
        for n in 0..3 {
            let body = json!({"email": format!("gok{n}@heerlen.example"), "password": "not the password"});
            let response = app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 401);
        }
        let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
        too_many(app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap()).await;
    }
}

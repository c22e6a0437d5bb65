//! CORS: without allowed origins no CORS headers (as before); with them, preflights from an
//! allowed origin are answered, other origins get no CORS headers, and credentials are
//! never allowed.

use crate::support::app::spawn_app_with;
use crate::support::backends::on_both_backends;

const ALLOWED: &str = "https://meldingen.heerlen.example";
const REFUSED: &str = "https://elders.example";

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn preflight(app: &crate::support::app::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/reports"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type, idempotency-key")
        .send()
        .await
        .unwrap()
}

on_both_backends! {
    async fn an_allowed_origin_gets_its_preflight_answered_and_a_refused_origin_gets_no_cors_headers(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.cors_allowed_origins = format!("{ALLOWED}, https://andere.heerlen.example")).await;

        let allowed = preflight(&app, ALLOWED).await;
        assert!(allowed.status().is_success(), "{}", allowed.status());
        assert_eq!(header(&allowed, "access-control-allow-origin").as_deref(), Some(ALLOWED));
        let methods = header(&allowed, "access-control-allow-methods").unwrap_or_default();
        assert!(methods.contains("POST"), "{methods}");
        let headers = header(&allowed, "access-control-allow-headers").unwrap_or_default().to_lowercase();
        assert!(headers.contains("idempotency-key") && headers.contains("content-type"), "{headers}");
        assert_eq!(header(&allowed, "access-control-allow-credentials"), None, "credentials are never allowed");

        let refused = preflight(&app, REFUSED).await;
        assert!(!refused.status().is_success(), "{}", refused.status());
        assert_eq!(header(&refused, "access-control-allow-origin"), None);

        let simple = app.client.get(app.url("/api/v1/categories")).header("Origin", ALLOWED).send().await.unwrap();
        assert_eq!(simple.status(), 200);
        assert_eq!(header(&simple, "access-control-allow-origin").as_deref(), Some(ALLOWED));
        let exposed = header(&simple, "access-control-expose-headers").unwrap_or_default().to_lowercase();
        assert!(exposed.contains("x-request-id") && exposed.contains("retry-after"), "{exposed}");

        // A refused origin's request is served as before, without CORS headers: the browser
        // keeps the answer from the page.
        let elsewhere = app.client.get(app.url("/api/v1/categories")).header("Origin", REFUSED).send().await.unwrap();
        assert_eq!(elsewhere.status(), 200);
        assert_eq!(header(&elsewhere, "access-control-allow-origin"), None);
    }

    async fn without_allowed_origins_no_cors_headers_are_sent(app) {
        let simple = app.client.get(app.url("/api/v1/categories")).header("Origin", ALLOWED).send().await.unwrap();
        assert_eq!(simple.status(), 200);
        assert_eq!(header(&simple, "access-control-allow-origin"), None);
        let answer = preflight(&app, ALLOWED).await;
        assert_eq!(header(&answer, "access-control-allow-origin"), None);
    }

    async fn any_origin_is_answered_with_a_wildcard_and_never_with_credentials(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.cors_allowed_origins = "*".into()).await;
        let answer = preflight(&app, REFUSED).await;
        assert!(answer.status().is_success());
        assert_eq!(header(&answer, "access-control-allow-origin").as_deref(), Some("*"));
        assert_eq!(header(&answer, "access-control-allow-credentials"), None);
    }
}

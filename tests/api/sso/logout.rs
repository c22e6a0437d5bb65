//! Logging out of a console session that single sign-on started ends it at the provider
//! too (OpenID Connect RP-Initiated Logout), with the login's ID token as hint; a password
//! session's logout stays at meldpunt.

use reqwest::Method;
use serde_json::json;

use super::spawn_sso_app;
use crate::console::{Browser, csrf};
use crate::support::app::expect_problem;
use crate::support::backends::on_both_backends;
use crate::support::oidc::*;
use crate::support::staff::*;

const LAMP: &str = "lamp@heerlen.example";

on_both_backends! {
    async fn logging_out_of_a_single_sign_on_session_ends_it_at_the_provider_too(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "coordinator", &[]).await;
        provider.set_user(json!({"email": LAMP})).await;
        let client = browser();
        let walk = walk_to_callback(&app, &client).await;
        let done = finish(&client, &walk.callback, &walk.cookie).await;
        assert_eq!(done.status(), 303);
        let session = cookie_value(&set_cookie(&done, "meldpunt_session").unwrap());
        let hint_cookie = set_cookie(&done, "meldpunt_sso_hint").expect("the ID token kept for the logout");
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/console/logout", "Max-Age=43200"] {
            assert!(hint_cookie.contains(attribute), "{hint_cookie}");
        }
        let hint = cookie_value(&hint_cookie);
        assert_eq!(hint.split('.').count(), 3, "a JWT");

        let mut console = Browser::new(&app);
        console.session = Some(session.clone());
        let page = console.page("/console", 200).await;
        let out = console
            .client
            .post(app.url("/console/logout"))
            .header("Cookie", format!("meldpunt_session={session}; meldpunt_sso_hint={hint}"))
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[("csrf", csrf(&page).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let to = location(&out);
        assert!(to.starts_with(&format!("{}/logout?", provider.issuer)), "on to the provider's end session endpoint: {to}");
        let query: Vec<(String, String)> = reqwest::Url::parse(&to).unwrap().query_pairs().into_owned().collect();
        let param = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(param("client_id").as_deref(), Some(CLIENT_ID));
        assert_eq!(param("post_logout_redirect_uri"), Some(format!("{PUBLIC_URL}/console/login")));
        assert_eq!(param("id_token_hint").as_deref(), Some(hint.as_str()));
        let cleared: Vec<String> =
            out.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        for name in ["meldpunt_session=;", "meldpunt_sso_hint=;"] {
            assert!(cleared.iter().any(|c| c.starts_with(name) && c.contains("Max-Age=0")), "{name} removed: {cleared:?}");
        }
        // meldpunt's session has ended, whatever the provider does next.
        expect_problem(send(&app, Method::GET, "/api/v1/staff/reports", Some(&session), None).await, 401).await;
        // The provider ends its session and sends the browser back to the login page.
        let at_provider = client.get(&to).send().await.unwrap();
        assert_eq!(at_provider.status(), 302);
        assert_eq!(location(&at_provider), format!("{PUBLIC_URL}/console/login"));
        assert_eq!(
            provider.logouts().await,
            vec![json!({"client_id": CLIENT_ID, "post_logout_redirect_uri": format!("{PUBLIC_URL}/console/login"), "hint_known": true})]
        );
    }

    async fn a_password_session_s_logout_stays_at_meldpunt_when_single_sign_on_is_on(backend: Backend) {
        let (app, provider) = spawn_sso_app(backend, |_| {}).await;
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, LAMP, "coordinator", &[]).await;
        let mut console = Browser::new(&app);
        console.log_in(LAMP, STAFF_PASSWORD).await;
        let page = console.page("/console", 200).await;
        let out = console.post("/console/logout", &[("csrf", csrf(&page).as_str())]).await;
        assert_eq!(out.status(), 303);
        assert_eq!(location(&out), "/console/login?bye=1");
        assert!(provider.logouts().await.is_empty());
        // Without the hint cookie, a single sign-on session still ends at the provider, only without a hint.
        provider.set_user(json!({"email": LAMP})).await;
        let client = browser();
        let walk = walk_to_callback(&app, &client).await;
        let done = finish(&client, &walk.callback, &walk.cookie).await;
        console.session = Some(cookie_value(&set_cookie(&done, "meldpunt_session").unwrap()));
        let page = console.page("/console", 200).await;
        let out = console.post("/console/logout", &[("csrf", csrf(&page).as_str())]).await;
        let to = location(&out);
        assert!(to.starts_with(&format!("{}/logout?", provider.issuer)) && !to.contains("id_token_hint"), "{to}");
    }
}

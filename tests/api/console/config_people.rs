//! The accounts and areas pages of the console's configuration: adding, changing and
//! deactivating accounts, API tokens shown once and revoked, area imports with their log,
//! all checked through the admin and staff API; the API's reasons at the fields, admins
//! only, and the form protection (also of the multipart upload).

use reqwest::Method;
use serde_json::{Value, json};

use super::{Browser, SAME_SITE, csrf};
use crate::support::app::{TestApp, spawn_app_with};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const ACCOUNTS: &str = "/console/config/accounts";
const AREAS: &str = "/console/config/areas";
const HEERLEN_BUURTEN: &str = include_str!("../../../data/seed/heerlen-buurten.geojson");

async fn api_accounts(app: &TestApp) -> Vec<Value> {
    let admin = admin_token(app).await;
    let response = send(app, Method::GET, "/api/v1/admin/accounts", Some(&admin), None).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

async fn api_account(app: &TestApp, email: &str) -> Value {
    api_accounts(app).await.into_iter().find(|a| a["email"] == email).unwrap_or_else(|| panic!("no account {email}"))
}

async fn api_tokens(app: &TestApp) -> Vec<Value> {
    let admin = admin_token(app).await;
    let response = send(app, Method::GET, "/api/v1/admin/tokens", Some(&admin), None).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

async fn import_log(app: &TestApp) -> Vec<Value> {
    let (status, log) = app.admin_json(Method::GET, "/api/v1/admin/areas/imports", None).await;
    assert_eq!(status, 200);
    log.as_array().unwrap().clone()
}

/// A multipart body with text parts and then, if given, a `file` part named `name`.
fn upload_body(texts: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "meldpunt-console-areas-5e2c";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/geo+json\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the area upload form as a page of this site would.
async fn upload(browser: &Browser<'_>, texts: &[(&str, &str)], file: Option<(&str, &[u8])>) -> reqwest::Response {
    let (content_type, body) = upload_body(texts, file);
    browser
        .client
        .post(browser.app.url(AREAS))
        .headers(browser.headers())
        .header("Sec-Fetch-Site", SAME_SITE)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Heerlen's buurten with one feature changed by `change`.
fn buurten_with(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut document: Value = serde_json::from_str(HEERLEN_BUURTEN).unwrap();
    change(&mut document);
    document.to_string().into_bytes()
}

/// The account page's address from a `303` after creating it.
fn account_page(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/console/config/accounts/") && location.ends_with("?done=created"), "{location}");
    location.split('?').next().unwrap().to_owned()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_adds_an_account_that_logs_in_then_changes_its_role_and_deactivates_it(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let list = browser.page(ACCOUNTS, 200).await;
        assert!(list.contains("href=\"/console/config/accounts\" aria-current=\"page\"") && list.contains(ADMIN_EMAIL), "{list}");
        let token = csrf(&list);
        let fields = [("csrf", token.as_str()), ("action", "create"), ("email", "Lamp@Heerlen.example"), ("name", "Lampenploeg"),
            ("role", "department_staff"), ("departments", "openbare-verlichting"), ("password", STAFF_PASSWORD)];
        let created = browser.post(ACCOUNTS, &fields).await;
        let address = account_page(&created);
        let account = api_account(&app, "lamp@heerlen.example").await;
        assert_eq!((account["name"].as_str(), account["role"].as_str(), account["active"].as_bool()), (Some("Lampenploeg"), Some("department_staff"), Some(true)));
        assert_eq!(account["departments"], json!(["openbare-verlichting"]));
        assert!(address.ends_with(account["id"].as_str().unwrap()));
        let shown = browser.page(&format!("{address}?done=created"), 200).await;
        assert!(shown.contains("Het account is aangemaakt.") && shown.contains("medewerker afdeling"), "{shown}");
        assert!(!shown.contains(STAFF_PASSWORD), "never a password in a page");

        let mut lamp = Browser::new(&app);
        lamp.log_in("lamp@heerlen.example", STAFF_PASSWORD).await;
        assert_eq!(lamp.get("/console").await.status(), 200, "the new account uses the console");

        let change = [("csrf", token.as_str()), ("action", "update"), ("name", "Lampenploeg"), ("role", "coordinator"), ("active", "on")];
        let changed = browser.post(&address, &change).await;
        assert_eq!(changed.status(), 303);
        assert_eq!(changed.headers()["location"].to_str().unwrap(), format!("{address}?done=saved"));
        let account = api_account(&app, "lamp@heerlen.example").await;
        assert_eq!((account["role"].as_str(), account["departments"].as_array().map(Vec::len)), (Some("coordinator"), Some(0)));
        let list = browser.page(ACCOUNTS, 200).await;
        assert!(list.contains("<th scope=\"row\">lamp@heerlen.example</th>") && list.contains("coördinator"), "{list}");

        let deactivate = [("csrf", token.as_str()), ("action", "update"), ("name", "Lampenploeg"), ("role", "coordinator")];
        assert_eq!(browser.post(&address, &deactivate).await.status(), 303);
        assert_eq!(api_account(&app, "lamp@heerlen.example").await["active"], false);
        assert_eq!(lamp.get("/console").await.status(), 303, "its session is revoked");
        let login = Browser::new(&app).post("/console/login", &[("email", "lamp@heerlen.example"), ("password", STAFF_PASSWORD)]).await;
        assert_eq!(login.status(), 401, "a deactivated account cannot log in");
        assert!(browser.page(ACCOUNTS, 200).await.contains("gedeactiveerd"));
        let english = browser.page(&format!("{ACCOUNTS}?lang=en"), 200).await;
        assert!(english.contains("<h1") && english.contains("Accounts and API tokens") && english.contains("deactivated"), "{english}");
    }

    async fn an_account_made_by_single_sign_on_is_marked_without_a_role_until_an_admin_gives_it_one(backend: Backend) {
        let (app, provider) = crate::sso::spawn_sso_app(backend, |s| s.oidc.create_accounts = true).await;
        let sso_token = provider.mint("nieuw@heerlen.example").await;
        let refused = send(&app, Method::GET, "/api/v1/staff/reports", Some(&sso_token), None).await;
        assert_eq!(refused.status(), 403, "no role, no access");
        let made = api_account(&app, "nieuw@heerlen.example").await;
        assert!(made["role"].is_null(), "{made}");
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let list = browser.page(ACCOUNTS, 200).await;
        assert!(list.contains("<th scope=\"row\">nieuw@heerlen.example</th>") && list.contains("<strong class=\"no-role\">geen rol</strong>"), "{list}");
        let address = format!("{ACCOUNTS}/{}", made["id"].as_str().unwrap());
        let page = browser.page(&address, 200).await;
        assert!(page.contains("<option value=\"\" selected>geen rol (geen toegang)</option>"), "{page}");
        let token = csrf(&page);
        let keep = [("csrf", token.as_str()), ("action", "update"), ("name", "Test Medewerker"), ("role", ""), ("active", "on")];
        assert_eq!(browser.post(&address, &keep).await.status(), 303);
        assert!(api_account(&app, "nieuw@heerlen.example").await["role"].is_null(), "an empty choice keeps no role");
        let give = [("csrf", token.as_str()), ("action", "update"), ("name", "Test Medewerker"), ("role", "analyst"), ("active", "on")];
        assert_eq!(browser.post(&address, &give).await.status(), 303);
        assert_eq!(api_account(&app, "nieuw@heerlen.example").await["role"], "analyst");
        assert!(!browser.page(ACCOUNTS, 200).await.contains("geen rol</strong>"));
    }

    async fn an_api_token_is_shown_once_works_as_a_bearer_and_stops_when_revoked(app) {
        let admin = admin_token(&app).await;
        let (id, _) = staff_account(&app, &admin, "koppeling@heerlen.example", "coordinator", &[]).await;
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let address = format!("{ACCOUNTS}/{id}");
        let page = browser.page(&address, 200).await;
        assert!(page.contains("Dit account heeft geen API-tokens."), "{page}");
        let token = csrf(&page);
        let fields = [("csrf", token.as_str()), ("action", "token"), ("label", "Open311-koppeling"), ("expires_in_days", "30")];
        let created = browser.post(&address, &fields).await;
        assert_eq!(created.status(), 200);
        assert_eq!(created.headers()["cache-control"], "no-store");
        let created = created.text().await.unwrap();
        assert!(created.contains("Kopieer het token nu") && created.contains("de enige keer"), "{created}");
        let at = created.find("id=\"new-token\"").unwrap();
        let secret = created[at..].split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert!(secret.len() >= 32, "{secret}");

        let reports = send(&app, Method::GET, "/api/v1/staff/reports", Some(&secret), None).await;
        assert_eq!(reports.status(), 200, "the token works on the staff API");
        let tokens = api_tokens(&app).await;
        assert_eq!(tokens.len(), 1);
        assert_eq!((tokens[0]["label"].as_str(), tokens[0]["account_id"].as_str()), (Some("Open311-koppeling"), Some(id.as_str())));
        assert!(tokens[0]["expires_at"].is_string());

        let again = browser.page(&address, 200).await;
        assert!(!again.contains(&secret), "the list never shows the token");
        assert!(again.contains("<th scope=\"row\">Open311-koppeling</th>") && again.contains("actief"), "{again}");
        assert!(!browser.page(ACCOUNTS, 200).await.contains(&secret));

        let token_id = tokens[0]["id"].as_str().unwrap();
        let revoked = browser.post(&address, &[("csrf", token.as_str()), ("action", "revoke"), ("token", token_id)]).await;
        assert_eq!(revoked.status(), 303);
        assert_eq!(revoked.headers()["location"].to_str().unwrap(), format!("{address}?done=revoked"));
        assert_eq!(send(&app, Method::GET, "/api/v1/staff/reports", Some(&secret), None).await.status(), 401);
        assert!(browser.page(&address, 200).await.contains("ingetrokken"));
        let twice = browser.post(&address, &[("csrf", token.as_str()), ("action", "revoke"), ("token", token_id)]).await;
        assert_eq!(twice.headers()["location"].to_str().unwrap(), format!("{address}?done=token-gone"));
    }

    async fn invalid_account_or_token_input_answers_the_page_with_the_apis_reasons_and_stores_nothing(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(ACCOUNTS, 200).await);
        let fields = [("csrf", token.as_str()), ("action", "create"), ("email", "geen-adres"), ("name", "Iemand"),
            ("role", "department_staff"), ("password", "kort")];
        let refused = browser.post(ACCOUNTS, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains("Niet opgeslagen") && body.contains("href=\"#email\""), "{body}");
        for id in ["email-error", "password-error", "departments-error"] {
            assert!(body.contains(&format!("id=\"{id}\"")), "{id} in {body}");
        }
        assert!(body.contains("value=\"geen-adres\"") && !body.contains("value=\"kort\""), "the form keeps what was typed, never the password");
        let role = [("csrf", token.as_str()), ("action", "create"), ("email", "a@heerlen.example"), ("name", "A"), ("role", "baas")];
        let refused = browser.post(ACCOUNTS, &role).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("id=\"role-error\">kies een van de rollen"));
        let taken = [("csrf", token.as_str()), ("action", "create"), ("email", ADMIN_EMAIL), ("name", "Dubbel"), ("role", "analyst")];
        let refused = browser.post(ACCOUNTS, &taken).await;
        assert_eq!(refused.status(), 409);
        assert!(refused.text().await.unwrap().contains("id=\"email-error\""));
        assert_eq!(api_accounts(&app).await.len(), 1, "nothing stored");

        let admin_id = api_account(&app, ADMIN_EMAIL).await["id"].as_str().unwrap().to_owned();
        let address = format!("{ACCOUNTS}/{admin_id}");
        for (days, reason) in [("veel", "vul een heel getal in"), ("0", "36500")] {
            let fields = [("csrf", token.as_str()), ("action", "token"), ("label", "Koppeling"), ("expires_in_days", days)];
            let refused = browser.post(&address, &fields).await;
            assert_eq!(refused.status(), 422);
            let body = refused.text().await.unwrap();
            assert!(body.contains("id=\"expires_in_days-error\"") && body.contains(reason), "{body}");
        }
        let unlabelled = browser.post(&address, &[("csrf", token.as_str()), ("action", "token"), ("label", "")]).await;
        assert_eq!(unlabelled.status(), 422);
        assert!(unlabelled.text().await.unwrap().contains("id=\"label-error\""));
        assert!(api_tokens(&app).await.is_empty(), "no token issued");

        let last_admin = [("csrf", token.as_str()), ("action", "update"), ("name", "Beheer"), ("role", "admin")];
        let refused = browser.post(&address, &last_admin).await;
        assert_eq!(refused.status(), 409, "the last admin cannot be deactivated");
        assert!(refused.text().await.unwrap().contains("no active admin"));
        assert_eq!(api_account(&app, ADMIN_EMAIL).await["active"], true);
        let unknown = browser.page(&format!("{ACCOUNTS}/0193a5a0-0000-7000-8000-000000000000"), 404).await;
        assert!(unknown.contains("Account niet gevonden"));
    }

    async fn an_admin_imports_an_area_file_on_the_page_and_finds_it_in_the_log(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let page = browser.page(AREAS, 200).await;
        assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("Eerdere imports"), "{page}");
        let token = csrf(&page);
        let file = buurten_with(|_| {});
        let imported = upload(&browser, &[("csrf", &token), ("level", "buurt"), ("year", "2025")], Some(("heerlen-buurten.geojson", &file))).await;
        assert_eq!(imported.status(), 200);
        let body = imported.text().await.unwrap();
        assert!(body.contains("Geïmporteerd") && body.contains("<dd>57</dd>"), "{body}");
        assert!(body.contains("console: heerlen-buurten.geojson"), "the log on the page: {body}");
        let log = import_log(&app).await;
        assert_eq!(log.len(), 4, "three seed imports and this one: {log:?}");
        assert_eq!((log[0]["level"].as_str(), log[0]["source"].as_str(), log[0]["features"].as_i64()), (Some("buurt"), Some("console: heerlen-buurten.geojson"), Some(57)));
        let admin = api_account(&app, ADMIN_EMAIL).await;
        assert_eq!(log[0]["imported_by"], format!("staff:{}", admin["id"].as_str().unwrap()), "who imported: {log:?}");
        assert!(log[1..].iter().all(|e| e["imported_by"] == "seed"), "{log:?}");
        let name = admin["name"].as_str().unwrap();
        assert!(body.contains(&format!("<td>{name}</td>")) && body.contains("<td>demo-inrichting</td>"), "who, in words: {body}");
    }

    async fn a_broken_area_file_answers_a_page_that_names_the_problem_and_imports_nothing(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(AREAS, 200).await);
        let texts = [("csrf", token.as_str()), ("level", "buurt"), ("year", "2025")];
        let open_ring = buurten_with(|d| d["features"][3]["geometry"] = json!({"type": "Polygon", "coordinates": [[[5.9, 50.8], [5.91, 50.8], [5.91, 50.81], [5.9, 50.81]]]}));
        let unknown_wijk = buurten_with(|d| d["features"][0]["properties"]["code"] = json!("BU09179900"));
        let cases: [(&[u8], u16, &str); 3] = [
            (&open_ring, 422, "feature 3"),
            (b"{niet json", 422, "not valid JSON"),
            (&unknown_wijk, 409, "WK091799"),
        ];
        for (file, status, reason) in cases {
            let refused = upload(&browser, &texts, Some(("buurten.geojson", file))).await;
            assert_eq!(refused.status(), status, "{reason}");
            let body = refused.text().await.unwrap();
            assert!(body.contains("Niet geïmporteerd") && body.contains("lang=\"en\" id=\"file-error\"") && body.contains(reason), "{reason} in {body}");
        }
        let no_file = upload(&browser, &texts, None).await;
        assert_eq!(no_file.status(), 422);
        assert!(no_file.text().await.unwrap().contains("lang=\"nl\" id=\"file-error\">kies een bestand"), "the console's own reason is Dutch");
        let bad_target = upload(&browser, &[("csrf", &token), ("level", "straat"), ("year", "twintig")], Some(("b.geojson", &open_ring))).await;
        assert_eq!(bad_target.status(), 422);
        let body = bad_target.text().await.unwrap();
        assert!(body.contains("id=\"level-error\"") && body.contains("id=\"year-error\""), "{body}");
        assert_eq!(import_log(&app).await.len(), 3, "only the seed imports");
    }

    async fn an_area_file_larger_than_max_import_bytes_answers_a_page_with_the_limit(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.max_import_bytes = 4096;
        }).await;
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let page = browser.page(AREAS, 200).await;
        assert!(page.contains("Hoogstens 4 kB"), "{page}");
        let token = csrf(&page);
        let file = buurten_with(|_| {});
        let refused = upload(&browser, &[("csrf", &token), ("level", "buurt"), ("year", "2025")], Some(("b.geojson", &file))).await;
        assert_eq!(refused.status(), 413);
        let body = refused.text().await.unwrap();
        assert!(body.contains("id=\"file-error\">het bestand is te groot; de grens is 4 kB"), "{body}");
        assert_eq!(import_log(&app).await.len(), 3);
    }

    async fn only_admins_may_manage_accounts_and_areas(app) {
        let admin = admin_token(&app).await;
        let (id, _) = staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        let mut browser = Browser::new(&app);
        browser.log_in("coordinator@heerlen.example", STAFF_PASSWORD).await;
        let queue = browser.page("/console", 200).await;
        let token = csrf(&queue);
        for page in [ACCOUNTS.to_owned(), format!("{ACCOUNTS}/{id}"), AREAS.to_owned()] {
            assert!(browser.page(&page, 403).await.contains("Alleen voor beheerders"), "{page}");
        }
        let create = [("csrf", token.as_str()), ("action", "create"), ("email", "nieuw@heerlen.example"), ("name", "Nieuw"), ("role", "admin")];
        assert_eq!(browser.post(ACCOUNTS, &create).await.status(), 403);
        let promote = [("csrf", token.as_str()), ("action", "update"), ("name", "Medewerker"), ("role", "admin"), ("active", "on")];
        assert_eq!(browser.post(&format!("{ACCOUNTS}/{id}"), &promote).await.status(), 403);
        let file = buurten_with(|_| {});
        let imported = upload(&browser, &[("csrf", &token), ("level", "buurt"), ("year", "2025")], Some(("b.geojson", &file))).await;
        assert_eq!(imported.status(), 403);
        assert_eq!(api_accounts(&app).await.len(), 2);
        assert_eq!(api_account(&app, "coordinator@heerlen.example").await["role"], "coordinator");
        assert_eq!(import_log(&app).await.len(), 3);
    }

    async fn account_and_area_forms_without_the_sessions_token_or_from_another_site_are_refused(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(ACCOUNTS, 200).await);
        let fields = [("action", "create"), ("email", "nieuw@heerlen.example"), ("name", "Nieuw"), ("role", "analyst")];
        assert_eq!(browser.post(ACCOUNTS, &fields).await.status(), 403, "no token");
        let with_token = [("csrf", token.as_str()), ("action", "create"), ("email", "nieuw@heerlen.example"), ("name", "Nieuw"), ("role", "analyst")];
        let cross = browser.post_from(ACCOUNTS, &with_token, "cross-site", Some("https://evil.example")).await;
        assert_eq!(cross.status(), 403, "another site");
        assert!(cross.text().await.unwrap().contains("Er is niets veranderd"));
        assert_eq!(api_accounts(&app).await.len(), 1);

        let file = buurten_with(|_| {});
        let wrong = upload(&browser, &[("csrf", "1.abc"), ("level", "buurt"), ("year", "2025")], Some(("b.geojson", &file))).await;
        assert_eq!(wrong.status(), 403, "a wrong token");
        let (content_type, body) = upload_body(&[("level", "buurt"), ("year", "2025")], Some(("b.geojson", &file)));
        let mut late = body;
        // The token after the file: refused before the file is read.
        let boundary_end = late.len() - "--meldpunt-console-areas-5e2c--\r\n".len();
        late.truncate(boundary_end);
        late.extend_from_slice(format!("--meldpunt-console-areas-5e2c\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--meldpunt-console-areas-5e2c--\r\n").as_bytes());
        let refused = browser.client.post(app.url(AREAS)).headers(browser.headers()).header("Sec-Fetch-Site", SAME_SITE)
            .header("Content-Type", content_type).body(late).send().await.unwrap();
        assert_eq!(refused.status(), 403, "the token after the file");
        assert_eq!(import_log(&app).await.len(), 3);
    }
}

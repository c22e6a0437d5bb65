//! The staff console at `/console`: sessions, forms and their protection, the queue and a
//! report's page, through HTTP and in a real browser.

mod analysis;
mod announcements;
mod announcements_browser;
mod browser;
mod catalogue_browser;
mod config_browser;
mod config_catalogue;
mod config_events;
mod config_people;
mod config_people_browser;
mod config_rules;
mod events_browser;
mod pages;
mod reasons;
mod sessions;
mod setup;
mod sso_browser;
mod tiles;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::support::app::TestApp;

/// What a browser sends with a page's form: its own origin.
pub const SAME_SITE: &str = "same-origin";

/// A client that keeps the console's session cookie by hand (it is `Secure`, which a
/// cookie store would only send over HTTPS) and never follows redirects.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub session: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { app, client, session: None }
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("Accept", HeaderValue::from_static("text/html"));
        if let Some(token) = &self.session {
            headers.insert("Cookie", HeaderValue::from_str(&format!("meldpunt_session={token}")).unwrap());
        }
        headers
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.app.url(path)).headers(self.headers()).send().await.unwrap()
    }

    /// Posts a form as a page of this site would (`Sec-Fetch-Site: same-origin`).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(path, form, SAME_SITE, None).await
    }

    /// Posts a form with the given `Sec-Fetch-Site` and `Origin`.
    pub async fn post_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        site: &str,
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut request =
            self.client.post(self.app.url(path)).headers(self.headers()).header("Sec-Fetch-Site", site).form(form);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send().await.unwrap()
    }

    /// Logs in with the form; keeps the session cookie. Answers the `Set-Cookie` value.
    pub async fn log_in(&mut self, email: &str, password: &str) -> String {
        let response = self.post("/console/login", &[("email", email), ("password", password)]).await;
        assert_eq!(response.status(), 303, "login of {email}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        let token = cookie.strip_prefix("meldpunt_session=").unwrap().split(';').next().unwrap().to_owned();
        self.session = Some(token);
        cookie
    }

    /// A page's HTML, checking its status.
    pub async fn page(&self, path: &str, status: u16) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        response.text().await.unwrap()
    }
}

/// The form token in a page.
pub fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form token in the page") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

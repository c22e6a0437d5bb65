//! The satisfaction survey after resolution (issue 18 §2): the question and its one-tap
//! links in the resolution email, the page a GET shows (nothing recorded), the answer (once,
//! within `survey_days`), the request to reopen that a "no" makes, staff deciding on it,
//! the reporter's request from the follow link, the standard answers admins configure, and
//! wrong, used and expired links.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{SmtpServer, mails_in, smtp_app, token_after};
use crate::support::staff::*;
use crate::support::subscriptions::folder_app;

const REPORTER: &str = "tevreden.melder@example.nl";

async fn file(app: &TestApp, email: Option<&str>) -> Value {
    let mut body = street_light_report();
    if let Some(email) = email {
        body["reporter"] = json!({"email": email});
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

async fn move_to(app: &TestApp, admin: &str, id: &str, to: &str, text: Option<&str>) -> reqwest::Response {
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    send(app, Method::POST, &path, Some(admin), Some(json!({"to": to, "text": text}))).await
}

async fn staff_report(app: &TestApp, admin: &str, id: &str) -> Value {
    let response = send(app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(admin), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The survey token of the resolution email to `email` in the mail folder.
async fn survey_token(folder: &std::path::Path, email: &str) -> String {
    let resolved =
        || mails_in(folder).into_iter().filter(|m| m.contains(email) && m.contains("/api/v1/survey/")).count();
    wait_for("the resolution email with the survey", resolved, 1).await;
    let mail = mails_in(folder).into_iter().find(|m| m.contains(email) && m.contains("/api/v1/survey/")).unwrap();
    token_after(&mail, "/api/v1/survey/")
}

/// A report filed with an email address and resolved; its id and survey token.
async fn resolved_with_survey(app: &TestApp, admin: &str, folder: &std::path::Path, email: &str) -> (String, String) {
    let report = file(app, Some(email)).await;
    let id = report["id"].as_str().unwrap().to_owned();
    assert_eq!(move_to(app, admin, &id, "resolved", Some("De lamp is vervangen.")).await.status(), 200);
    (id, survey_token(folder, email).await)
}

fn json_request(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).header("Accept", "application/json")
}

/// Moves the survey's end (or the report's resolution) into the past: the clock cannot
/// wait `survey_days`, so this simulates time passing, behind the API's back.
async fn age(app: &TestApp, sql_sqlite: &'static str, sql_postgres: &'static str) {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        if url.starts_with("postgres") {
            diesel::pg::PgConnection::establish(&url).unwrap().batch_execute(sql_postgres).unwrap();
        } else {
            let path = url.trim_start_matches("sqlite://");
            // The server's pool may hold the write lock a moment: wait for it as the server does.
            let mut conn = diesel::sqlite::SqliteConnection::establish(path).unwrap();
            conn.batch_execute(&format!("PRAGMA busy_timeout = 10000; {sql_sqlite}")).unwrap();
        }
    })
    .await
    .unwrap();
}

on_both_backends! {
    async fn a_resolution_asks_the_reporter_whether_it_is_solved_and_a_no_asks_staff_to_reopen(backend: Backend) {
        let port = free_port();
        let smtp = SmtpServer::start(port);
        let app = smtp_app(backend, port, 1000, 5).await;
        let admin = admin_token(&app).await;
        let report = file(&app, Some(REPORTER)).await;
        let id = report["id"].as_str().unwrap();
        assert_eq!(move_to(&app, &admin, id, "resolved", Some("De lamp is vervangen.")).await.status(), 200);
        wait_for("confirmation and resolution", || smtp.messages().len(), 2).await;
        let mail = smtp.messages().into_iter().find(|m| m.contains("/api/v1/survey/")).unwrap();
        assert!(mail.contains("De lamp is vervangen.") && mail.contains("Is het probleem opgelost?"), "{mail}");
        assert!(mail.contains("?satisfied=yes") && mail.contains("?satisfied=no"), "{mail}");
        let token = token_after(&mail, "/api/v1/survey/");
        assert!(token.starts_with("mpq_"));

        // A GET (what a mail scanner does) shows the question and records nothing.
        let page = app.get(&format!("/api/v1/survey/{token}?satisfied=no")).await;
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let page = page.text().await.unwrap();
        assert!(page.contains("<form method=\"post\" action=\"/api/v1/survey/") && page.contains("Is het probleem opgelost?"));
        assert!(page.contains("Er is niets gedaan") && !page.contains("Snel opgelost"), "the tapped side's answers");
        let survey: Value = json_request(&app, Method::GET, &format!("/api/v1/survey/{token}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(survey["reference"], report["reference"]);
        assert_eq!(survey["answers"].as_array().unwrap().len(), 7);
        let before = staff_report(&app, &admin, id).await;
        assert_eq!(before["status"], "resolved");
        assert!(before["surveys"][0]["answered_at"].is_null());

        let nothing_done = survey["answers"].as_array().unwrap().iter()
            .find(|a| a["text_nl"] == "Er is niets gedaan").unwrap()["id"].as_str().unwrap().to_owned();
        let answered = app.client.post(app.url(&format!("/api/v1/survey/{token}?satisfied=no")))
            .form(&[("satisfied", "no"), ("answer_id", nothing_done.as_str()), ("text", "De lamp is nog steeds uit. Bel 06-12345678.")])
            .send().await.unwrap();
        assert_eq!(answered.status(), 200);
        assert!(answered.text().await.unwrap().contains("opnieuw"));

        let after = staff_report(&app, &admin, id).await;
        assert_eq!(after["status"], "reopen_requested");
        assert_eq!((after["surveys"][0]["satisfied"].as_bool(), after["surveys"][0]["reopen_requested"].as_bool()), (Some(false), Some(true)));
        assert_eq!(after["surveys"][0]["answer"], "Er is niets gedaan");
        let history = after["history"].as_array().unwrap();
        assert!(history.iter().any(|h| h["action"] == "status_changed" && h["actor"] == "reporter" && h["details"]["to"] == "reopen_requested"));
        let note = history.iter().find(|h| h["action"] == "note" && h["actor"] == "reporter").unwrap();
        assert_eq!(note["details"]["visibility"], "internal");
        assert!(note["details"]["text"].as_str().unwrap().contains("De lamp is nog steeds uit."));
        assert!(!after["overdue"].as_bool().unwrap(), "a fresh request is within its term");

        // Staff see it in the queue, with its own short term; the public sees no note.
        let queue = send(&app, Method::GET, "/api/v1/staff/reports?status=reopen_requested", Some(&admin), None).await;
        let queue: Value = queue.json().await.unwrap();
        assert_eq!(queue["items"].as_array().unwrap().len(), 1);
        assert!(queue["items"][0]["deadline_at"].is_string());
        let overdue = send(&app, Method::GET, "/api/v1/staff/reports?overdue=true", Some(&admin), None).await;
        assert_eq!(overdue.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 0);
        let follow = token_after(&mail, "/api/v1/follow/");
        let followed = app.get(&format!("/api/v1/follow/{follow}")).await.text().await.unwrap();
        assert!(followed.contains("reopen_requested") && !followed.contains("nog steeds uit"));

        // Open311 shows the request as open.
        let reference = report["reference"].as_str().unwrap();
        let open311: Value = app.get_json(&format!("/open311/v2/requests/{reference}.json")).await;
        assert_eq!(open311[0]["status"], "open");

        // Staff decide; they cannot make a request themselves, and need a text.
        let refused = move_to(&app, &admin, id, "reopen_requested", None).await;
        expect_problem(refused, 409).await;
        expect_problem(move_to(&app, &admin, id, "reopened", None).await, 422).await;
        assert_eq!(move_to(&app, &admin, id, "reopened", Some("We kijken opnieuw.")).await.status(), 200);
        assert_eq!(staff_report(&app, &admin, id).await["status"], "reopened");

        // One answer per survey.
        let again = json_request(&app, Method::POST, &format!("/api/v1/survey/{token}")).json(&json!({"satisfied": true})).send().await.unwrap();
        let problem = expect_problem(again, 410).await;
        assert!(problem["detail"].as_str().unwrap().contains("answered already"));
    }

    async fn a_yes_is_recorded_without_reopening_and_staff_may_send_a_request_back_to_resolved(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (id, token) = resolved_with_survey(&app, &admin, folder.path(), REPORTER).await;
        let yes = json_request(&app, Method::POST, &format!("/api/v1/survey/{token}")).json(&json!({"satisfied": true, "text": "Dank u wel!"})).send().await.unwrap();
        assert_eq!(yes.status(), 200);
        assert_eq!(yes.json::<Value>().await.unwrap(), json!({"satisfied": true, "reopen_requested": false}));
        let report = staff_report(&app, &admin, &id).await;
        assert_eq!(report["status"], "resolved");
        assert_eq!(report["surveys"][0]["satisfied"], true);
        let second = app.client.post(app.url(&format!("/api/v1/survey/{token}"))).form(&[("satisfied", "no")]).send().await.unwrap();
        assert_eq!(second.status(), 410, "the second answer is gone, on the page too");
        assert!(second.text().await.unwrap().contains("Deze vraag is al beantwoord"), "in the report's language");

        // A body-less POST records the link's side: no, which asks to reopen.
        let other = "ontevreden.melder@example.nl";
        let (id, token) = resolved_with_survey(&app, &admin, folder.path(), other).await;
        let no = json_request(&app, Method::POST, &format!("/api/v1/survey/{token}?satisfied=no")).send().await.unwrap();
        assert_eq!(no.json::<Value>().await.unwrap()["reopen_requested"], true);
        assert_eq!(staff_report(&app, &admin, &id).await["status"], "reopen_requested");
        let mails_before = mails_in(folder.path()).len();
        assert_eq!(move_to(&app, &admin, &id, "resolved", Some("Het is echt gerepareerd; de storing zat in het net.")).await.status(), 200);
        wait_for("the decision email", || mails_in(folder.path()).len(), mails_before + 1).await;
        let decision = mails_in(folder.path()).into_iter().find(|m| m.contains("storing zat in het net")).unwrap();
        assert!(!decision.contains("/api/v1/survey/"), "a decision on a request sends no new survey");
        let report = staff_report(&app, &admin, &id).await;
        assert_eq!((report["status"].as_str(), report["surveys"].as_array().unwrap().len()), (Some("resolved"), 1));
    }

    async fn wrong_altered_and_expired_survey_links_say_so_without_revealing_a_report(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (_, token) = resolved_with_survey(&app, &admin, folder.path(), REPORTER).await;
        // Flip the last character: always a different one, whatever the token ends with.
        let last = if token.ends_with('0') { '1' } else { '0' };
        let altered = format!("{}{last}", &token[..token.len() - 1]);
        assert_ne!(altered, token);
        let forged = "mpq_0190b5a0000070008000000000000000_00112233445566778899aabbccddeeff";
        let mut details = Vec::new();
        for wrong in [altered.as_str(), forged, "nonsense"] {
            let page = app.get(&format!("/api/v1/survey/{wrong}")).await;
            assert_eq!(page.status(), 404);
            assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
            assert!(page.text().await.unwrap().contains("De link is onbekend of niet helemaal gekopieerd"));
            let problem = expect_problem(json_request(&app, Method::GET, &format!("/api/v1/survey/{wrong}")).send().await.unwrap(), 404).await;
            details.push(problem["detail"].clone());
            let post = app.client.post(app.url(&format!("/api/v1/survey/{wrong}"))).form(&[("satisfied", "yes")]).send().await.unwrap();
            assert_eq!(post.status(), 404);
        }
        assert!(details.windows(2).all(|w| w[0] == w[1]), "the same words for every wrong link: {details:?}");

        age(&app, "UPDATE surveys SET expires_at = '2020-01-01T00:00:00.000000Z'", "UPDATE surveys SET expires_at = now() - interval '1 day'").await;
        let page = app.get(&format!("/api/v1/survey/{token}?satisfied=yes")).await;
        assert_eq!(page.status(), 410);
        assert!(page.text().await.unwrap().contains("De termijn om te antwoorden is voorbij"));
        let post = json_request(&app, Method::POST, &format!("/api/v1/survey/{token}")).json(&json!({"satisfied": false})).send().await.unwrap();
        let problem = expect_problem(post, 410).await;
        assert!(problem["detail"].as_str().unwrap().contains("14 days"));
    }

    async fn answers_are_checked_and_a_reporter_without_an_email_gets_no_survey(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (id, token) = resolved_with_survey(&app, &admin, folder.path(), REPORTER).await;
        let path = format!("/api/v1/survey/{token}");
        let yes_answer = app.admin_json(Method::GET, "/api/v1/admin/survey-answers", None).await.1[0]["id"].clone();
        for (body, pointer) in [
            (json!({}), "/satisfied"),
            (json!({"satisfied": false, "answer_id": yes_answer}), "/answer_id"),
            (json!({"satisfied": true, "text": "x".repeat(1001)}), "/text"),
            (json!({"satisfied": "misschien"}), "/satisfied"),
        ] {
            let problem = expect_problem(json_request(&app, Method::POST, &path).json(&body).send().await.unwrap(), 422).await;
            assert_eq!(crate::support::app::pointers(&problem), vec![pointer.to_owned()], "{body}");
        }
        let page = app.client.post(app.url(&path)).form(&[("satisfied", "misschien")]).send().await.unwrap();
        assert_eq!(page.status(), 422);
        assert!(page.text().await.unwrap().contains("Kies Ja of Nee"), "the page says what to change");
        assert!(staff_report(&app, &admin, &id).await["surveys"][0]["answered_at"].is_null(), "nothing recorded");

        let anonymous = file(&app, None).await;
        let anonymous_id = anonymous["id"].as_str().unwrap();
        assert_eq!(move_to(&app, &admin, anonymous_id, "resolved", Some("Opgelost.")).await.status(), 200);
        assert_eq!(staff_report(&app, &admin, anonymous_id).await["surveys"], json!([]));
    }

    async fn the_reporter_may_ask_to_reopen_from_the_follow_link_within_the_survey_period(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let report = file(&app, Some(REPORTER)).await;
        let id = report["id"].as_str().unwrap();
        wait_for("the confirmation", || mails_in(folder.path()).len(), 1).await;
        let follow = token_after(&mails_in(folder.path())[0], "/api/v1/follow/");
        let path = format!("/api/v1/follow/{follow}/reopen");
        let early = send(&app, Method::POST, &path, None, Some(json!({"text": "Nog niets gebeurd."}))).await;
        assert!(expect_problem(early, 409).await["detail"].as_str().unwrap().contains("only a resolved report"));
        let followed = format!("/api/v1/follow/{follow}");
        let can_reopen = |app: &TestApp| {
            let request = app.client.get(app.url(&followed));
            async move { request.send().await.unwrap().json::<Value>().await.unwrap()["can_reopen"].clone() }
        };
        assert_eq!(can_reopen(&app).await, json!(false), "an open report cannot be reopened");
        assert_eq!(move_to(&app, &admin, id, "resolved", Some("Klaar.")).await.status(), 200);
        assert_eq!(can_reopen(&app).await, json!(true));
        let asked = send(&app, Method::POST, &path, None, Some(json!({"text": "De lamp brandt nog steeds niet."}))).await;
        assert_eq!(asked.status(), 200);
        assert_eq!(asked.json::<Value>().await.unwrap()["status"], "reopen_requested");
        let staff = staff_report(&app, &admin, id).await;
        assert_eq!(staff["status"], "reopen_requested");
        assert!(staff["history"].as_array().unwrap().iter().any(|h| h["action"] == "note"
            && h["details"]["visibility"] == "internal"
            && h["details"]["text"].as_str().unwrap().contains("brandt nog steeds niet")));
        expect_problem(send(&app, Method::POST, &path, None, None).await, 409).await;
        expect_problem(send(&app, Method::POST, "/api/v1/follow/mpt_unknown/reopen", None, None).await, 404).await;

        // After the survey period the follow link can no longer ask.
        assert_eq!(move_to(&app, &admin, id, "resolved", Some("Toch klaar.")).await.status(), 200);
        age(&app, "UPDATE reports SET settled_at = '2020-01-01T00:00:00.000000Z'", "UPDATE reports SET settled_at = now() - interval '15 days'").await;
        assert_eq!(can_reopen(&app).await, json!(false), "the period is over");
        let page = app.client.get(app.url(&followed)).header("Accept", "text/html").send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Afgehandeld") && !page.contains("Vraag om heropenen"), "no form that can only be refused: {page}");
        let late = send(&app, Method::POST, &path, None, None).await;
        assert!(expect_problem(late, 410).await["detail"].as_str().unwrap().contains("14 days"));
    }

    async fn admins_configure_the_standard_answers_residents_choose_from(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let (status, seeded) = app.admin_json(Method::GET, "/api/v1/admin/survey-answers", None).await;
        assert_eq!(status, 200);
        let seeded = seeded.as_array().unwrap().clone();
        assert_eq!(seeded.len(), 7);
        assert_eq!((seeded[0]["satisfied"].as_bool(), seeded[0]["text_nl"].as_str()), (Some(true), Some("Snel opgelost")));
        assert!(seeded.iter().any(|a| a["text_nl"] == "Ik voelde me niet serieus genomen" && a["reopens"] == false));

        let (status, created) = app.admin_json(Method::POST, "/api/v1/admin/survey-answers",
            Some(&json!({"satisfied": true, "text_nl": "Opgelost, maar het komt vast terug", "text_en": "Solved, but it will be back", "reopens": true, "position": 5}))).await;
        assert_eq!(status, 201, "{created}");
        let new_id = created["id"].as_str().unwrap().to_owned();
        let (status, bad) = app.admin_json(Method::POST, "/api/v1/admin/survey-answers",
            Some(&json!({"satisfied": false, "text_nl": " ", "text_en": "x".repeat(201)}))).await;
        assert_eq!(status, 422);
        assert_eq!(crate::support::app::pointers(&bad), vec!["/text_nl", "/text_en"]);
        let old_id = seeded[1]["id"].as_str().unwrap();
        let (status, gone) = app.admin_json(Method::DELETE, &format!("/api/v1/admin/survey-answers/{old_id}"), None).await;
        assert_eq!((status, gone["active"].as_bool()), (200, Some(false)));
        let (status, changed) = app.admin_json(Method::PUT, &format!("/api/v1/admin/survey-answers/{new_id}"),
            Some(&json!({"satisfied": true, "text_nl": "Opgelost, maar komt terug", "text_en": "Solved, but will be back", "reopens": true}))).await;
        assert_eq!((status, changed["text_nl"].as_str()), (200, Some("Opgelost, maar komt terug")));
        let (status, _) = app.admin_json(Method::PUT, "/api/v1/admin/survey-answers/0190b5a0-0000-7000-8000-000000000000",
            Some(&json!({"satisfied": true, "text_nl": "a", "text_en": "a"}))).await;
        assert_eq!(status, 404);

        // Residents are offered the active ones; a "yes" answer marked `reopens` reopens.
        let (id, token) = resolved_with_survey(&app, &admin, folder.path(), REPORTER).await;
        let survey: Value = json_request(&app, Method::GET, &format!("/api/v1/survey/{token}?satisfied=yes")).send().await.unwrap().json().await.unwrap();
        let offered: Vec<&str> = survey["answers"].as_array().unwrap().iter().map(|a| a["text_nl"].as_str().unwrap()).collect();
        assert!(offered.contains(&"Opgelost, maar komt terug") && !offered.contains(&"Goed geholpen"), "{offered:?}");
        let answered = json_request(&app, Method::POST, &format!("/api/v1/survey/{token}")).json(&json!({"answer_id": new_id})).send().await.unwrap();
        assert_eq!(answered.json::<Value>().await.unwrap(), json!({"satisfied": true, "reopen_requested": true}));
        assert_eq!(staff_report(&app, &admin, &id).await["status"], "reopen_requested");
    }

    async fn supporters_are_not_asked_and_erasing_the_reporter_closes_their_survey(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let admin = admin_token(&app).await;
        let report = file(&app, Some(REPORTER)).await;
        let id = report["id"].as_str().unwrap();
        let supporter = "steun.betuiger@example.nl";
        let supported = send(&app, Method::POST, &format!("/api/v1/reports/{id}/support"), None, Some(json!({"email": supporter}))).await;
        assert_eq!(supported.status(), 201);
        let confirm_mail = || mails_in(folder.path()).into_iter().find(|m| m.contains(supporter) && m.contains("/api/v1/support/confirm/"));
        wait_for("the supporter's confirmation", || usize::from(confirm_mail().is_some()), 1).await;
        let confirm = token_after(&confirm_mail().unwrap(), "/api/v1/support/confirm/");
        assert_eq!(app.client.post(app.url(&format!("/api/v1/support/confirm/{confirm}"))).send().await.unwrap().status(), 200);
        assert_eq!(move_to(&app, &admin, id, "resolved", Some("De lamp is vervangen.")).await.status(), 200);
        let token = survey_token(folder.path(), REPORTER).await;
        let to_supporter = || mails_in(folder.path()).into_iter().filter(|m| m.contains(supporter) && m.contains("De lamp is vervangen.")).collect::<Vec<_>>();
        wait_for("the supporter's update", || to_supporter().len(), 1).await;
        assert!(!to_supporter()[0].contains("/api/v1/survey/"), "only the reporter is asked");

        let reporter_mail = mails_in(folder.path()).into_iter().find(|m| m.contains(REPORTER) && m.contains("/api/v1/survey/")).unwrap();
        let follow = token_after(&reporter_mail, "/api/v1/follow/");
        assert_eq!(app.client.post(app.url(&format!("/api/v1/follow/{follow}/erase"))).send().await.unwrap().status(), 200);
        let closed = json_request(&app, Method::GET, &format!("/api/v1/survey/{token}")).send().await.unwrap();
        expect_problem(closed, 410).await;
    }

    async fn satisfaction_is_a_share_of_the_answers_per_area_and_department_hidden_below_the_small_count(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().display().to_string();
        let app = crate::support::app::spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.mail_dir = path.clone();
            s.public_url = "https://meldpunt.test".into();
            s.outbox_poll_ms = 50;
            s.stats_min_count = 3;
        })
        .await;
        let admin = admin_token(&app).await;
        let month = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y-%m").to_string();
        // A public category: its counts are exact; the share alone follows the threshold.
        let query = "level=gemeente&gemeente=GM0917&period=month&measures=survey_answers,satisfied_share&category=straatverlichting-openbare-klok";
        let row = |answer: &Value| answer["rows"].as_array().unwrap().iter().find(|r| r["period"] == month.as_str()).unwrap().clone();
        for (n, satisfied) in [(1, true), (2, true), (3, false)] {
            let (_, token) = resolved_with_survey(&app, &admin, folder.path(), &format!("tevreden{n}@example.nl")).await;
            let answered = json_request(&app, Method::POST, &format!("/api/v1/survey/{token}")).json(&json!({"satisfied": satisfied})).send().await.unwrap();
            assert_eq!(answered.status(), 200);
            let answer: Value = app.admin(Method::GET, &format!("/api/v1/stats/reports?{query}")).send().await.unwrap().json().await.unwrap();
            let cell = row(&answer);
            assert_eq!(cell["survey_answers"], n, "{cell}");
            if n < 3 {
                assert!(cell.get("satisfied_share").is_none(), "a share of {n} answers is hidden: {cell}");
                assert_eq!(cell["suppressed"], json!(["satisfied_share"]));
            } else {
                assert_eq!(cell["satisfied_share"].as_f64(), Some(0.6667), "{cell}");
            }
        }
        assert!(answer_definitions_name_satisfaction(&app, query).await);

        // Per department and buurt: the three answers lie in one buurt and one department.
        let by_department = "level=buurt&gemeente=GM0917&period=month&measures=survey_answers,satisfied_share&group_by=department";
        let answer: Value = app.admin(Method::GET, &format!("/api/v1/stats/reports?{by_department}")).send().await.unwrap().json().await.unwrap();
        let answered: Vec<&Value> = answer["rows"].as_array().unwrap().iter()
            .filter(|r| r["period"] == month.as_str() && r["survey_answers"].as_i64().unwrap_or(0) > 0).collect();
        assert_eq!(answered.len(), 1, "{answered:#?}");
        let cell = answered[0];
        assert_eq!(cell["survey_answers"], 3, "{cell}");
        assert_eq!(cell["satisfied_share"].as_f64(), Some(0.6667), "{cell}");
        assert!(cell.to_string().contains("openbare-verlichting") && cell["area_code"].as_str().unwrap().starts_with("BU"), "{cell}");
    }
}

/// Whether the answer defines the satisfaction measures.
async fn answer_definitions_name_satisfaction(app: &TestApp, query: &str) -> bool {
    let answer: Value =
        app.admin(Method::GET, &format!("/api/v1/stats/reports?{query}")).send().await.unwrap().json().await.unwrap();
    answer["measures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "satisfied_share" && m["unit"] == "share (0 to 1)")
}

//! The settings' loading and checks.

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>().into_iter()
}

#[test]
fn environment_overrides_the_file_which_overrides_the_defaults() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("meldpunt.toml");
    std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nintake_batch_max = 10\n").unwrap_or_else(|e| panic!("{e}"));
    let settings = Settings::load(
        Some(&file),
        env(&[("MELDPUNT_INTAKE_BATCH_MAX", "20"), ("DATABASE_URL", "postgres://x/y"), ("HOME", "/")]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.listen, "0.0.0.0:9000");
    assert_eq!(settings.intake_batch_max, 20);
    assert_eq!(settings.database_url, "postgres://x/y");
    assert_eq!(settings.log, "info");
}

#[test]
fn bad_settings_are_refused_with_the_setting_named() {
    let error =
        Settings::load(None, env(&[("MELDPUNT_SEED_DEMO", "maybe")])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("MELDPUNT_SEED_DEMO"), "{error}");
    let error = Settings::load(None, env(&[("MELDPUNT_SQLITE_SYNCHRONOUS", "sometimes")]))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("sometimes"), "{error}");
}

#[test]
fn web_push_is_off_without_a_vapid_key_and_a_bad_key_or_subject_stops_the_start() {
    assert!(Settings::load(None, env(&[])).unwrap_or_else(|e| panic!("{e}")).vapid_keys().is_ok_and(|k| k.is_none()));
    let (private, public) = crate::notify::webpush::generate_key_pair();
    let settings = Settings::load(
        None,
        env(&[("MELDPUNT_VAPID_PRIVATE_KEY", &private), ("MELDPUNT_VAPID_SUBJECT", "mailto:ops@example.org")]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let keys = settings.vapid_keys().unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("keys"));
    assert_eq!(keys.public_key_b64url(), public);
    let error =
        |pairs: &[(&str, &str)]| Settings::load(None, env(pairs)).err().map(|e| e.to_string()).unwrap_or_default();
    let without_subject = error(&[("MELDPUNT_VAPID_PRIVATE_KEY", &private)]);
    assert!(without_subject.contains("vapid_subject must be set"), "{without_subject}");
    let bad_subject = error(&[("MELDPUNT_VAPID_PRIVATE_KEY", &private), ("MELDPUNT_VAPID_SUBJECT", "ops@example.org")]);
    assert!(bad_subject.contains("mailto:"), "{bad_subject}");
    let bad_key =
        error(&[("MELDPUNT_VAPID_PRIVATE_KEY", "c2hvcnQ"), ("MELDPUNT_VAPID_SUBJECT", "mailto:ops@example.org")]);
    assert!(bad_key.contains("vapid_private_key") && !bad_key.contains("c2hvcnQ"), "{bad_key}");
    let subject_alone = error(&[("MELDPUNT_VAPID_SUBJECT", "nonsense")]);
    assert!(subject_alone.is_empty(), "a subject without a key is unused: {subject_alone}");
}

#[test]
fn metrics_are_off_by_default_and_metrics_listen_must_be_an_address() {
    assert_eq!(Settings::load(None, env(&[])).unwrap_or_else(|e| panic!("{e}")).metrics_listen, "");
    let on =
        Settings::load(None, env(&[("MELDPUNT_METRICS_LISTEN", "0.0.0.0:9090")])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(on.metrics_listen, "0.0.0.0:9090");
    let error = Settings::load(None, env(&[("MELDPUNT_METRICS_LISTEN", "9090")]))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("metrics_listen"), "{error}");
}

#[test]
fn trusted_proxies_cors_origins_and_the_proxy_header_are_checked_with_the_setting_named() {
    let refused =
        |pairs: &[(&str, &str)]| Settings::load(None, env(pairs)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused(&[("MELDPUNT_TRUSTED_PROXIES", "10.0.0.1, proxy.local")]).contains("trusted_proxies"));
    assert!(refused(&[("MELDPUNT_TRUSTED_PROXY_HEADER", "x-real-ip")]).contains("trusted_proxy_header"));
    assert!(refused(&[("MELDPUNT_CORS_ALLOWED_ORIGINS", "https://a.example/")]).contains("cors_allowed_origins"));
    assert!(refused(&[("MELDPUNT_CORS_ALLOWED_ORIGINS", "*, https://a.example")]).contains("cors_allowed_origins"));
    assert!(refused(&[("MELDPUNT_LIMIT_LOGIN_BACKOFF_MAX_SECONDS", "0")]).contains("limit_login_backoff_max_seconds"));
    let settings = Settings::load(
        None,
        env(&[
            ("MELDPUNT_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/24, ::1"),
            ("MELDPUNT_CORS_ALLOWED_ORIGINS", "https://meldingen.heerlen.nl, http://localhost:3000"),
            ("MELDPUNT_LIMIT_REPORTS_PER_HOUR", "0"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.client_addressing().map(|a| a.proxies.len()).unwrap_or_default(), 3);
    assert_eq!(settings.cors_origins().map(|o| o.len()).unwrap_or_default(), 2);
    assert_eq!(settings.limit_reports_per_hour, 0);
}

#[test]
fn single_sign_on_is_read_from_the_oidc_table_and_the_environment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("meldpunt.toml");
    std::fs::write(&file, "listen = \"0.0.0.0:9000\"\n[oidc]\nissuer = \"https://login.example.org/realms/heerlen/\"\nclient_id = \"meldpunt\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let settings =
        Settings::load(Some(&file), env(&[("MELDPUNT_OIDC_CREATE_ACCOUNTS", "yes")])).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.oidc.create_accounts);
    assert_eq!(settings.oidc.email_claim, "email", "defaults fill what the table leaves out");
    let config = settings.oidc_config().unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("on"));
    assert_eq!(config.issuer, "https://login.example.org/realms/heerlen");
    assert_eq!(config.audience, "meldpunt", "the audience defaults to the client id");
    assert_eq!(config.client_secret, None);
    assert!(Settings::load(None, env(&[])).unwrap_or_else(|e| panic!("{e}")).oidc_config().is_ok_and(|c| c.is_none()));
    std::fs::write(&file, "[oidc]\nisuer = \"x\"\n").unwrap_or_else(|e| panic!("{e}"));
    let error = Settings::load(Some(&file), env(&[])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("oidc.isuer"), "{error}");
}

#[test]
fn bad_single_sign_on_settings_stop_the_start_with_the_setting_named() {
    let error =
        |pairs: &[(&str, &str)]| Settings::load(None, env(pairs)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error(&[("MELDPUNT_OIDC_PASSWORD_LOGIN", "false")]).contains("oidc.password_login = false needs"));
    assert!(error(&[("MELDPUNT_OIDC_ISSUER", "http://login.example.org")]).contains("https"));
    assert!(error(&[("MELDPUNT_OIDC_ISSUER", "https://login.example.org")]).contains("oidc.client_id"));
    let with = |extra: (&str, &str)| {
        error(&[("MELDPUNT_OIDC_ISSUER", "https://login.example.org"), ("MELDPUNT_OIDC_CLIENT_ID", "m"), extra])
    };
    assert!(with(("MELDPUNT_OIDC_SCOPES", "email profile")).contains("openid"));
    assert!(with(("MELDPUNT_OIDC_JWKS_REFRESH_SECONDS", "0")).contains("jwks_refresh_seconds"));
    assert!(with(("MELDPUNT_OIDC_JWKS_REFRESH_SECONDS", "soon")).contains("MELDPUNT_OIDC_JWKS_REFRESH_SECONDS"));
    assert!(with(("MELDPUNT_OIDC_PASSWORD_LOGIN", "false")).is_empty(), "single sign-on alone is fine");
    assert!(error(&[("MELDPUNT_OIDC_ISSUER", "http://127.0.0.1:9999"), ("MELDPUNT_OIDC_CLIENT_ID", "m")]).is_empty());
}

#[test]
fn the_console_map_lies_on_pdok_by_default_can_be_turned_off_and_a_bad_tile_url_stops_the_start() {
    let defaults = Settings::load(None, env(&[])).unwrap_or_else(|e| panic!("{e}"));
    let tiles = defaults.console_tiles().unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("no tiles"));
    assert_eq!(tiles.origin, "https://service.pdok.nl");
    assert_eq!(tiles.attribution, "Kaartgegevens © Kadaster");
    assert!(tiles.tile(14, 8464, 5520).ends_with("/EPSG:3857/14/8464/5520.png"), "{}", tiles.tile(14, 8464, 5520));
    let off = Settings::load(None, env(&[("MELDPUNT_CONSOLE_TILE_URL", "")])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(off.console_tiles().ok(), Some(None));
    for (bad, says) in [
        ("https://tiles.example/{z}/{x}.png", "lacks one of {z}, {x} and {y}"),
        ("ftp://tiles.example/{z}/{x}/{y}.png", "http(s)"),
        ("tiles/{z}/{x}/{y}.png", "not a URL"),
        ("https://tiles.example/{z}/{x}/{y}.png\"onload=\"x", "quote"),
    ] {
        let error = Settings::load(None, env(&[("MELDPUNT_CONSOLE_TILE_URL", bad)]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("console_tile_url") && error.contains(says), "{bad}: {error}");
    }
}

//! Settings from the environment: `MELDPUNT_<SETTING>` (and `DATABASE_URL`), typed like the
//! setting's default; `MELDPUNT_OIDC_<NAME>` sets `<name>` in the `[oidc]` table.

use super::ConfigError;

/// Applies the environment's settings to `merged` (the defaults and the file, merged).
pub(super) fn apply(
    defaults: &toml::Table,
    merged: &mut toml::Table,
    env: impl Iterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (name, value) in env {
        let key = if name == "DATABASE_URL" {
            "database_url".to_owned()
        } else if let Some(rest) = name.strip_prefix("MELDPUNT_") {
            rest.to_ascii_lowercase()
        } else {
            continue;
        };
        // `MELDPUNT_OIDC_ISSUER` sets `issuer` in the `[oidc]` table.
        if let Some(inner) = key.strip_prefix("oidc_")
            && let Some(toml::Value::Table(oidc_defaults)) = defaults.get("oidc")
            && let Some(default) = oidc_defaults.get(inner)
        {
            let parsed = env_value(&name, &value, default)?;
            if let Some(toml::Value::Table(oidc)) = merged.get_mut("oidc") {
                oidc.insert(inner.to_owned(), parsed);
            }
            continue;
        }
        let Some(default) = defaults.get(&key) else { continue };
        let parsed = env_value(&name, &value, default)?;
        merged.insert(key, parsed);
    }
    Ok(())
}

/// The value of environment variable `name`, typed like the setting's `default`.
fn env_value(name: &str, value: &str, default: &toml::Value) -> Result<toml::Value, ConfigError> {
    Ok(match default {
        toml::Value::Integer(_) => value
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| ConfigError(format!("{name} must be a whole number, not '{value}'")))?,
        toml::Value::Boolean(_) => match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
            "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(ConfigError(format!("{name} must be true or false, not '{value}'"))),
        },
        _ => toml::Value::String(value.to_owned()),
    })
}

//! The retention settings read into the domain's policy and checked at start: the terms
//! (each with its floor) and the time of the daily run.

use super::{ConfigError, Settings};

impl Settings {
    /// The retention policy, refused when a term is not a number of days or below its floor.
    pub fn retention_policy(&self) -> Result<crate::domain::retention::RetentionPolicy, ConfigError> {
        let days = |name: &str, value: i64| {
            u32::try_from(value)
                .ok()
                .filter(|d| *d <= 36_500)
                .ok_or_else(|| ConfigError(format!("{name} must be a number of days between 0 and 36500, not {value}")))
        };
        let policy = crate::domain::retention::RetentionPolicy {
            anonymise_days: days("retention_anonymise_days", self.retention_anonymise_days)?,
            resolved_days: days("retention_resolved_days", self.retention_resolved_days)?,
            cancelled_days: days("retention_cancelled_days", self.retention_cancelled_days)?,
            photo_days: days("retention_photo_days", self.retention_photo_days)?,
            outbox_days: days("retention_outbox_days", self.retention_outbox_days)?,
            unconfirmed_days: days("retention_unconfirmed_days", self.retention_unconfirmed_days)?,
            audit_days: days("retention_audit_days", self.retention_audit_days)?,
        };
        policy.check().map_err(ConfigError)?;
        Ok(policy)
    }

    /// The time of the daily retention run (`None`: off).
    pub fn retention_daily_at(&self) -> Result<Option<chrono::NaiveTime>, ConfigError> {
        crate::domain::retention::parse_daily_time(&self.retention_at).map_err(ConfigError)
    }
}

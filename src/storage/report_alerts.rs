//! Alerts about new public reports for subscribers who chose report categories: a
//! cursor-driven job that reads the reports filed after its cursor and queues an outbox row
//! per matching subscription in the same transaction that advances the cursor. Intake does
//! no extra work; each report is alerted once.
//!
//! Imported reports (`source = import`, history from an earlier system) are never alerted.
//!
//! Reports are read only once they are `lag` old: several intake writers commit batches
//! whose `created_at` lie slightly apart, and a report committed after the cursor moved past
//! its time would otherwise be skipped.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use uuid::Uuid;

use super::connection::{DbTime, DbUuid, PortableTimestamp, PortableUuid};
use super::schema::{categories, report_alert_cursor, reports};
use super::{DbConnection, StorageError};

type ReportRow = (DbUuid, DbTime, String, Option<String>, Option<String>, Option<String>, DbUuid);

/// Queues alerts for up to 200 reports after the cursor that are at least `lag` old, and
/// advances the cursor, in one transaction. Returns how many alerts were queued. The first
/// run only places the cursor at `now` (no alerts about the past).
pub fn advance(conn: &mut DbConnection, now: DateTime<Utc>, lag: Duration) -> Result<usize, StorageError> {
    conn.write_transaction(|conn| -> Result<usize, StorageError> {
        let cursor: Option<(DbTime, DbUuid)> = report_alert_cursor::table
            .find(1)
            .select((report_alert_cursor::created_at, report_alert_cursor::report_id))
            .first(conn)
            .optional()?;
        let Some((at, last)) = cursor else {
            diesel::insert_into(report_alert_cursor::table)
                .values((
                    report_alert_cursor::id.eq(1),
                    report_alert_cursor::created_at.eq(DbTime::new(now)),
                    report_alert_cursor::report_id.eq(DbUuid(Uuid::nil())),
                ))
                .execute(conn)?;
            return Ok(0);
        };
        // Imported history is never announced, however recent its dates.
        let rows: Vec<ReportRow> = reports::table
            .filter(reports::created_at.gt(at).or(reports::created_at.eq(at).and(reports::id.gt(last))))
            .filter(reports::source.ne(crate::domain::report::ReportSource::Import.as_str()))
            .filter(reports::created_at.le(DbTime::new(now - lag)))
            .order((reports::created_at, reports::id))
            .limit(200)
            .select((
                reports::id,
                reports::created_at,
                reports::reference,
                reports::buurt_code,
                reports::wijk_code,
                reports::gemeente_code,
                reports::category_id,
            ))
            .load(conn)?;
        let Some((last_id, last_at, ..)) = rows.last().cloned() else { return Ok(0) };
        let catalog: HashMap<DbUuid, (String, Option<DbUuid>, bool, bool)> = categories::table
            .select((
                categories::id,
                categories::slug,
                categories::parent_id,
                categories::is_public,
                categories::is_sensitive,
            ))
            .load::<(DbUuid, String, Option<DbUuid>, bool, bool)>(conn)?
            .into_iter()
            .map(|(id, slug, parent, public, sensitive)| (id, (slug, parent, public, sensitive)))
            .collect();
        let mut queued = 0;
        for (id, _, reference, buurt, wijk, gemeente, category) in rows {
            let Some((slug, parent, public, sensitive)) = catalog.get(&category) else { continue };
            // Only reports the public may see in full are announced.
            if !public || *sensitive {
                continue;
            }
            let mut slugs = vec![slug.clone()];
            if let Some((parent_slug, ..)) = parent.and_then(|p| catalog.get(&p)) {
                slugs.push(parent_slug.clone());
            }
            let cells: Vec<String> = [buurt, wijk, gemeente].into_iter().flatten().collect();
            let params = serde_json::json!({"reference": reference, "category": slug}).to_string();
            queued += enqueue(conn, id.0, &cells, &slugs, &params, now)?;
        }
        diesel::update(report_alert_cursor::table.find(1))
            .set((report_alert_cursor::created_at.eq(last_at), report_alert_cursor::report_id.eq(last_id)))
            .execute(conn)?;
        Ok(queued)
    })
}

fn enqueue(
    conn: &mut DbConnection,
    report: Uuid,
    cells: &[String],
    slugs: &[String],
    params: &str,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let prefix = Uuid::now_v7().to_string().get(..24).unwrap_or_default().to_owned();
    const COLUMNS: &str = "id, report_id, recipient, language, template, params, status, attempts, \
        next_attempt_at, created_at, channel, subscription_id";
    Ok(match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "INSERT INTO outbox ({COLUMNS}) \
             SELECT ?1 || printf('%012x', ROW_NUMBER() OVER ()), ?2, '', s.language, 'report_alert', ?3, 'pending', 0, ?4, ?4, \
                    s.channel, s.id \
             FROM subscriptions s \
             WHERE s.id IN (SELECT sa.subscription_id FROM subscription_areas sa \
                            JOIN subscription_categories sc ON sc.subscription_id = sa.subscription_id \
                            WHERE sa.area_code IN (SELECT value FROM json_each(?5)) \
                              AND sc.category_slug IN (SELECT value FROM json_each(?6))) \
               AND s.status = 'active'"
        ))
        .bind::<Text, _>(&prefix)
        .bind::<PortableUuid, _>(DbUuid(report))
        .bind::<Text, _>(params)
        .bind::<PortableTimestamp, _>(DbTime::new(now))
        .bind::<Text, _>(serde_json::json!(cells).to_string())
        .bind::<Text, _>(serde_json::json!(slugs).to_string())
        .execute(c)?,
        DbConnection::Postgresql(c) => diesel::sql_query(format!(
            "INSERT INTO outbox ({COLUMNS}) \
             SELECT ($1 || lpad(to_hex(ROW_NUMBER() OVER ()), 12, '0'))::uuid, $2, '', s.language, 'report_alert', $3, \
                    'pending', 0, $4, $4, s.channel, s.id \
             FROM subscriptions s \
             WHERE s.id IN (SELECT sa.subscription_id FROM subscription_areas sa \
                            JOIN subscription_categories sc ON sc.subscription_id = sa.subscription_id \
                            WHERE sa.area_code = ANY($5) AND sc.category_slug = ANY($6)) \
               AND s.status = 'active'"
        ))
        .bind::<Text, _>(&prefix)
        .bind::<PortableUuid, _>(DbUuid(report))
        .bind::<Text, _>(params)
        .bind::<PortableTimestamp, _>(DbTime::new(now))
        .bind::<Array<Text>, _>(cells)
        .bind::<Array<Text>, _>(slugs)
        .execute(c)?,
    })
}

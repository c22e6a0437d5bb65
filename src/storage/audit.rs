//! The audit log of staff access to reporters' personal data (`audit_log`): writing an
//! entry in the transaction of the access itself, and reading pages of it for the privacy
//! officer's export, newest first, by keyset on the sequence number, with the account's
//! email and name and the report's reference beside their ids.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{accounts, audit_log, reports};
use super::{DbConnection, StorageError};
use crate::domain::privacy::audit::{AuditAction, AuditFilter};

/// One audit log entry, with who and which report in readable form.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Sequence number (ascending with time of writing).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: the staff account.
    pub account_id: Uuid,
    /// The account's email (`None` only if the account row is missing; accounts are
    /// deactivated, never deleted).
    pub account_email: Option<String>,
    /// The account's name (as above).
    pub account_name: Option<String>,
    /// What (`viewed_reporter_contact`, `anonymised_reporter`).
    pub action: String,
    /// Which report (`None` once the report was deleted under the retention terms).
    pub report_id: Option<Uuid>,
    /// The report's public reference (`None` as above).
    pub report_reference: Option<String>,
}

/// Records that staff account `account` did `action` with the personal data of report
/// `report_id` (inside the caller's transaction, so the entry exists exactly when the access
/// happened).
pub fn record(
    conn: &mut DbConnection,
    account: Uuid,
    action: AuditAction,
    report_id: Uuid,
) -> Result<(), StorageError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(DbTime::new(Utc::now())),
            audit_log::account_id.eq(DbUuid(account)),
            audit_log::action.eq(action.as_str()),
            audit_log::report_id.eq(Some(DbUuid(report_id))),
        ))
        .execute(conn)?;
    Ok(())
}

type EntryColumns = (i64, DbTime, DbUuid, Option<String>, Option<String>, String, Option<DbUuid>, Option<String>);

/// The entries of one page of `filter`, newest first: at most `filter.limit + 1`, the
/// extra one telling the caller that another page follows. Paging by sequence number
/// (`before_id`) loses and repeats nothing, whatever is written meanwhile: new entries
/// have larger numbers and come before the first page.
pub fn page(conn: &mut DbConnection, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StorageError> {
    let mut query = audit_log::table
        .left_join(accounts::table.on(accounts::id.eq(audit_log::account_id)))
        .left_join(reports::table.on(audit_log::report_id.eq(reports::id.nullable())))
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::account_id,
            accounts::email.nullable(),
            accounts::name.nullable(),
            audit_log::action,
            audit_log::report_id,
            reports::reference.nullable(),
        ))
        .order(audit_log::id.desc())
        .limit(filter.limit.saturating_add(1))
        .into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(DbTime::new(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::at.lt(DbTime::new(to)));
    }
    if let Some(account) = filter.account_id {
        query = query.filter(audit_log::account_id.eq(DbUuid(account)));
    }
    if let Some(report) = filter.report_id {
        query = query.filter(audit_log::report_id.eq(DbUuid(report)));
    }
    if let Some(reference) = &filter.reference {
        query = query.filter(reports::reference.eq(reference.clone()));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.as_str()));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(audit_log::id.lt(before));
    }
    Ok(query
        .load::<EntryColumns>(conn)?
        .into_iter()
        .map(|(id, at, account, email, name, action, report, reference)| AuditEntry {
            id,
            at: at.0,
            account_id: account.0,
            account_email: email,
            account_name: name,
            action,
            report_id: report.map(|r| r.0),
            report_reference: reference,
        })
        .collect())
}

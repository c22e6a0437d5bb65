//! Reading the roll-up: the cells of one boundary year's stamps from a month on, summed by
//! the database over the dimensions the question does not split by (a question without
//! `group_by` gets one cell per area and month, whatever the categories, departments and
//! sources), each returned as one text the database joins.
//!
//! Why so: a question over Heerlen's two busiest years reads ~43,000 cells of 1,000,000
//! reports; decoding 18 columns a row through diesel's multi-backend connection took most of
//! the answer's time (perf: ~2 µs a row against ~0.5 µs for the database to read it), and
//! summing in the database first leaves a few thousand rows for most questions.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use uuid::Uuid;

use super::super::connection::{DbUuid, PortableUuid};
use super::super::stats::Within;
use super::super::{DbConnection, StorageError};
use crate::domain::stats::rollup::{self, CellKey, CellSums};

/// Which cells to read: one boundary year's stamps, from `first_month` on (the months
/// after the question's are needed for the backlog) and the "open now" rows.
#[derive(Debug, Clone, Default)]
pub struct CellSelection {
    /// The stamps' boundary year.
    pub year: i32,
    /// Municipalities to read (when `within` is `None`).
    pub gemeenten: Vec<String>,
    /// Or only these wijken and buurten.
    pub within: Option<Within>,
    /// The first month of the question.
    pub first_month: i32,
    /// The last month of the question (resolution times are read up to it).
    pub last_month: i32,
    /// Only these categories (empty: all).
    pub categories: Vec<Uuid>,
    /// Only these departments (empty: all).
    pub departments: Vec<Uuid>,
    /// Only these sources (empty: all).
    pub sources: Vec<String>,
    /// Categories kept apart (otherwise the cells carry the nil UUID). A split by main
    /// category keeps the subcategories apart too: the caller adds them up, so the database
    /// sums in the order of the table's key and sorts nothing.
    pub by_category: bool,
    /// Departments kept apart (otherwise the cells carry the nil UUID).
    pub by_department: bool,
    /// Sources kept apart (otherwise the cells carry an empty source).
    pub by_source: bool,
}

/// The wijk a buurt code lies in (CBS codes: BU + gemeente + wijk + buurt digits).
fn wijk_of_buurt(buurt: &str) -> Option<String> {
    buurt.get(2..8).map(|digits| format!("WK{digits}"))
}

enum Bind {
    Int(i32),
    Text(String),
    Uuid(Uuid),
}

/// The statement text (`$n` placeholders) and its values, in order.
struct Statement {
    sql: String,
    binds: Vec<Bind>,
}

impl Statement {
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// `column IN (...)`, or a condition that holds for nothing when `values` is empty.
    fn in_list(&mut self, column: &str, values: Vec<Bind>) -> String {
        if values.is_empty() {
            return "1 = 0".into();
        }
        let placeholders: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        format!("{column} IN ({})", placeholders.join(", "))
    }
}

#[derive(QueryableByName)]
struct Packed {
    #[diesel(sql_type = Text)]
    cell: String,
}

const NIL: &str = "'00000000-0000-0000-0000-000000000000'";

fn statement(selection: &CellSelection, postgres: bool) -> Statement {
    let mut st = Statement { sql: String::new(), binds: Vec::new() };
    let texts = |values: &[String]| values.iter().cloned().map(Bind::Text).collect::<Vec<_>>();
    let uuids = |values: &[Uuid]| values.iter().copied().map(Bind::Uuid).collect::<Vec<_>>();
    let category = if selection.by_category { "m.category_id" } else { NIL };
    let department = if selection.by_department { "m.department_id" } else { NIL };
    let source = if selection.by_source { "m.source" } else { "''" };
    let mut dimensions = vec!["m.gemeente_code", "m.area_year", "m.month", "m.wijk_code", "m.buurt_code"];
    for (kept, expression) in
        [(selection.by_category, category), (selection.by_department, department), (selection.by_source, source)]
    {
        if kept {
            dimensions.push(expression);
        }
    }
    let year = st.bind(Bind::Int(selection.year));
    let first = st.bind(Bind::Int(selection.first_month));
    let mut conditions = vec![format!("m.area_year = {year}"), format!("m.month >= {first}")];
    match &selection.within {
        None => conditions.push(st.in_list("m.gemeente_code", texts(&selection.gemeenten))),
        Some(within) => {
            let mut wijken: Vec<String> = within.wijken.clone();
            wijken.extend(within.buurten.iter().filter_map(|b| wijk_of_buurt(b)));
            wijken.sort();
            wijken.dedup();
            conditions.push(st.in_list("m.wijk_code", texts(&wijken)));
            if !within.buurten.is_empty() {
                let wijk = st.in_list("m.wijk_code", texts(&within.wijken));
                let buurt = st.in_list("m.buurt_code", texts(&within.buurten));
                conditions.push(format!("({wijk} OR {buurt})"));
            }
        }
    }
    if !selection.categories.is_empty() {
        conditions.push(st.in_list("m.category_id", uuids(&selection.categories)));
    }
    if !selection.departments.is_empty() {
        conditions.push(st.in_list("m.department_id", uuids(&selection.departments)));
    }
    if !selection.sources.is_empty() {
        conditions.push(st.in_list("m.source", texts(&selection.sources)));
    }
    let sums = ["received", "me_too", "resolved", "cancelled", "reopened", "with_deadline", "on_time"]
        .iter()
        .chain(&["late_factor_3", "open_change"])
        .map(|c| format!("SUM(m.{c})"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    let seconds = if postgres {
        "COALESCE(string_agg(m.resolution_seconds, ' '), '')"
    } else {
        "group_concat(m.resolution_seconds, ' ')"
    };
    st.sql = format!(
        "SELECT m.gemeente_code || '|' || m.area_year || '|' || m.month || '|' || m.wijk_code || '|' || m.buurt_code \
         || '|' || {category} || '|' || {department} || '|' || {source} || '|' || {sums} || '|' || {seconds} AS cell \
         FROM stats_months m WHERE {} GROUP BY {}",
        conditions.join(" AND "),
        dimensions.join(", ")
    );
    st
}

/// Reads the cells of `selection`, summed over what it does not keep apart.
pub fn cells(conn: &mut DbConnection, selection: &CellSelection) -> Result<Vec<(CellKey, CellSums)>, StorageError> {
    let packed: Vec<Packed> = match conn {
        DbConnection::Sqlite(c) => {
            let st = statement(selection, false);
            let mut query = diesel::sql_query(st.sql.replace('$', "?")).into_boxed::<diesel::sqlite::Sqlite>();
            for bind in st.binds {
                query = match bind {
                    Bind::Int(v) => query.bind::<Integer, _>(v),
                    Bind::Text(v) => query.bind::<Text, _>(v),
                    Bind::Uuid(v) => query.bind::<PortableUuid, _>(DbUuid(v)),
                };
            }
            query.load(c)?
        }
        DbConnection::Postgresql(c) => {
            let st = statement(selection, true);
            let mut query = diesel::sql_query(st.sql).into_boxed::<diesel::pg::Pg>();
            for bind in st.binds {
                query = match bind {
                    Bind::Int(v) => query.bind::<Integer, _>(v),
                    Bind::Text(v) => query.bind::<Text, _>(v),
                    Bind::Uuid(v) => query.bind::<PortableUuid, _>(DbUuid(v)),
                };
            }
            query.load(c)?
        }
    };
    packed.iter().map(|p| unpack(&p.cell, selection.last_month)).collect()
}

/// Reads a cell as the database joined it; resolution seconds only of months up to
/// `last_month` (later months count for the backlog only).
fn unpack(text: &str, last_month: i32) -> Result<(CellKey, CellSums), StorageError> {
    let corrupt = || StorageError::corrupt("stats_months", "cell", format!("unreadable cell {text:?}"));
    let fields: Vec<&str> = text.splitn(18, '|').collect();
    let [gemeente, year, month, wijk, buurt, category, department, source, counts @ .., seconds] = fields.as_slice()
    else {
        return Err(corrupt());
    };
    let int = |t: &str| t.parse::<i64>().map_err(|_| corrupt());
    let uuid = |t: &str| Uuid::parse_str(t).map_err(|_| corrupt());
    let [received, me_too, resolved, cancelled, reopened, with_deadline, on_time, late_factor_3, open_change] = counts
    else {
        return Err(corrupt());
    };
    let month = i32::try_from(int(month)?).map_err(|_| corrupt())?;
    let resolution_seconds = if month <= last_month && !seconds.trim().is_empty() {
        rollup::parse_seconds(seconds)
            .map_err(|detail| StorageError::corrupt("stats_months", "resolution_seconds", detail))?
    } else {
        Vec::new()
    };
    Ok((
        CellKey {
            gemeente: (*gemeente).to_owned(),
            area_year: i32::try_from(int(year)?).map_err(|_| corrupt())?,
            month,
            wijk: (*wijk).to_owned(),
            buurt: (*buurt).to_owned(),
            category: uuid(category)?,
            department: uuid(department)?,
            source: (*source).to_owned(),
        },
        CellSums {
            received: int(received)?,
            me_too: int(me_too)?,
            resolved: int(resolved)?,
            cancelled: int(cancelled)?,
            reopened: int(reopened)?,
            with_deadline: int(with_deadline)?,
            on_time: int(on_time)?,
            late_factor_3: int(late_factor_3)?,
            open_change: int(open_change)?,
            resolution_seconds,
        },
    ))
}

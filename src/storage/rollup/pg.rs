//! The roll-up's count upsert on PostgreSQL as one fixed statement: the cells travel as one
//! array per column and are unnested by the server. Its text never changes with the number
//! of cells, so the connection prepares it once and then only executes it: a batch of cells
//! costs one round trip and no parsing or planning, where a `VALUES` list of its own length
//! (which diesel cannot keep prepared) costs a prepare, an execute and a plan each time.
//! Intake writes it in every transaction, which is why this matters.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Integer, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::CellRow;

/// `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` adding the counts of `rows`.
pub(super) struct AddCounts {
    gemeente: Vec<String>,
    area_year: Vec<i32>,
    month: Vec<i32>,
    wijk: Vec<String>,
    buurt: Vec<String>,
    category: Vec<Uuid>,
    department: Vec<Uuid>,
    source: Vec<String>,
    counts: [Vec<i32>; COUNTS.len()],
}

/// The count columns, in the order of `CellRow::counts`.
const COUNTS: [&str; 9] = [
    "received",
    "me_too",
    "resolved",
    "cancelled",
    "reopened",
    "with_deadline",
    "on_time",
    "late_factor_3",
    "open_change",
];

impl AddCounts {
    pub(super) fn new(rows: &[CellRow]) -> Self {
        let mut query = AddCounts {
            gemeente: Vec::with_capacity(rows.len()),
            area_year: Vec::with_capacity(rows.len()),
            month: Vec::with_capacity(rows.len()),
            wijk: Vec::with_capacity(rows.len()),
            buurt: Vec::with_capacity(rows.len()),
            category: Vec::with_capacity(rows.len()),
            department: Vec::with_capacity(rows.len()),
            source: Vec::with_capacity(rows.len()),
            counts: std::array::from_fn(|_| Vec::with_capacity(rows.len())),
        };
        for row in rows {
            query.gemeente.push(row.gemeente_code.clone());
            query.area_year.push(row.area_year);
            query.month.push(row.month);
            query.wijk.push(row.wijk_code.clone());
            query.buurt.push(row.buurt_code.clone());
            query.category.push(row.category_id.0);
            query.department.push(row.department_id.0);
            query.source.push(row.source.clone());
            for (column, value) in query.counts.iter_mut().zip(row.counts()) {
                column.push(value);
            }
        }
        query
    }
}

impl QueryId for AddCounts {
    type QueryId = AddCounts;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for AddCounts {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO stats_months (gemeente_code, area_year, month, wijk_code, buurt_code, \
             category_id, department_id, source",
        );
        for column in COUNTS {
            out.push_sql(", ");
            out.push_sql(column);
        }
        out.push_sql(") SELECT * FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.gemeente)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.area_year)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.month)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.wijk)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.buurt)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<SqlUuid>, _>(&self.category)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<SqlUuid>, _>(&self.department)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.source)?;
        for values in &self.counts {
            out.push_sql(", ");
            out.push_bind_param::<Array<Integer>, _>(values)?;
        }
        // The rows arrive in key order (unnest keeps the arrays' order), so two writers lock
        // shared cells in the same order.
        out.push_sql(
            ") ON CONFLICT (gemeente_code, area_year, month, wijk_code, buurt_code, category_id, \
             department_id, source) DO UPDATE SET ",
        );
        for (index, column) in COUNTS.iter().enumerate() {
            if index > 0 {
                out.push_sql(", ");
            }
            out.push_sql(column);
            out.push_sql(" = stats_months.");
            out.push_sql(column);
            out.push_sql(" + excluded.");
            out.push_sql(column);
        }
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for AddCounts {}

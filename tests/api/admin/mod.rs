//! The admin API: the area registry, CBS key figures, routing (departments, categories,
//! rules, explain), the history import and the export of the audit log.

mod areas;
mod audit;
mod figures;
mod imports;
mod routing;

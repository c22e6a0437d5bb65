//! The admin API: the area registry, CBS key figures, routing (departments, categories,
//! rules, explain) and the history import.

mod areas;
mod figures;
mod imports;
mod routing;

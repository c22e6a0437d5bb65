//! The admin API: the area registry, routing (departments, categories, rules, explain) and
//! the history import.

mod areas;
mod imports;
mod routing;

//! The admin API: the area registry, CBS key figures and routing (departments, categories,
//! rules, explain).

mod areas;
mod figures;
mod routing;

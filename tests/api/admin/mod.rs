//! The admin API: the area registry and routing (departments, categories, rules, explain).

mod areas;
mod routing;

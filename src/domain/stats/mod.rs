//! Statistics for analysts: reports summed per area, group and period, with measures that
//! carry their own definitions, periods in Europe/Amsterdam, and the small-count rule for
//! non-public categories. Pure: the caller loads the reports and the areas.

pub mod grid;
pub mod lifecycle;
pub mod measures;
pub mod period;
pub mod project;
pub mod query;
pub mod rollup;
pub mod table;

pub use grid::{Fact, Grid, Sums};
pub use lifecycle::{LifeEvent, LifeEventKind};
pub use measures::Measure;
pub use period::{Period, TIME_ZONE};
pub use query::{Dimension, StatsQuery, StatsRequest};

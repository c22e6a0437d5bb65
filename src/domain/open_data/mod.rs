//! Open data: what meldpunt publishes to anyone, and the rules that keep it from
//! identifying anybody (the disclosure control in [`disclosure`]), the report-level
//! records ([`records`], written as files by [`record_files`]) and the DCAT catalogue
//! ([`catalog`]).

pub mod aggregates;
pub mod catalog;
pub mod disclosure;
pub mod grid;
pub mod query;
pub mod record_files;
pub mod records;

/// The open-data settings of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSettings {
    /// Counts below this are published as "fewer than N" (at least 3).
    pub min_count: i64,
    /// Counts of `min_count` or more are rounded to a multiple of this (1: exact).
    pub rounding_base: i64,
    /// Whether the public statistics split main categories into subcategories.
    pub subcategories: bool,
    /// The data's licence (an SPDX identifier of [`LICENCES`]).
    pub licence: String,
    /// Publisher named in the catalogue; empty: derived from the served municipalities.
    pub publisher: String,
    /// How long a protected grid is kept before it is read again.
    pub keep_for: std::time::Duration,
}

impl OpenSettings {
    /// The rule counts are published by.
    pub fn rule(&self) -> disclosure::Rule {
        disclosure::Rule::new(self.min_count, self.rounding_base)
    }
}

/// A licence open data can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licence {
    /// SPDX identifier.
    pub id: &'static str,
    /// Its canonical URL (as DCAT names it).
    pub url: &'static str,
    /// Its name.
    pub name: &'static str,
}

/// The licences meldpunt can publish under.
pub const LICENCES: [Licence; 3] = [
    Licence { id: "CC0-1.0", url: "http://creativecommons.org/publicdomain/zero/1.0/deed.nl", name: "CC0 1.0" },
    Licence { id: "CC-BY-4.0", url: "http://creativecommons.org/licenses/by/4.0/deed.nl", name: "CC BY 4.0" },
    Licence { id: "PDDL-1.0", url: "http://opendatacommons.org/licenses/pddl/1.0/", name: "ODC PDDL 1.0" },
];

/// The licence of the CBS boundaries (Kadaster / CBS publish them under CC BY 4.0).
pub const BOUNDARY_LICENCE: Licence = LICENCES[1];

/// The licence with this SPDX identifier.
pub fn licence(id: &str) -> Option<Licence> {
    LICENCES.iter().copied().find(|l| l.id == id)
}

/// The attribution the CBS boundaries of `year` require.
pub fn boundary_attribution(year: i32) -> String {
    format!("Kadaster / Centraal Bureau voor de Statistiek, {year}")
}

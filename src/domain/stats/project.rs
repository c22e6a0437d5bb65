//! Baseline (nulmeting) and monitoring projects: the definition an analyst gives, its
//! checks, and the arithmetic of the results (rates with 95% Poisson intervals, the change
//! against the baseline, and the difference in differences against comparison areas).

use chrono::NaiveDate;
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::domain::area::{AreaLevel, parse_geometry};
use crate::domain::validation::{FieldError, FieldErrors};

/// Fewer reports than this in a window and a rate says too little to conclude anything.
pub const FEW_REPORTS: i64 = 10;

/// What a project is about, as the analyst defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDefinition {
    /// CBS codes of the project area (buurten, wijken or a gemeente; a wijk means its
    /// buurten). Give these or `polygon`, not both.
    #[serde(default)]
    pub areas: Vec<String>,
    /// A drawn project area instead of `areas`: a GeoJSON Polygon or MultiPolygon (WGS84
    /// lon/lat), stored as given. It counts every report whose location lies in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    /// Category slugs the project is about (main or sub); empty: every category.
    #[serde(default)]
    pub categories: Vec<String>,
    /// First month of the baseline (`YYYY-MM`).
    pub baseline_from: String,
    /// Last month of the baseline (`YYYY-MM`), before the intervention starts.
    pub baseline_to: String,
    /// The day the intervention starts (`YYYY-MM-DD`); follow-up periods start with its month.
    pub intervention_start: NaiveDate,
    /// Follow-up period: `month`, `quarter` or `year`.
    pub follow_up: Period,
    /// Comparison areas (CBS codes); empty: the rest of the project's municipality (for a
    /// polygon: the rest of the municipalities it overlaps).
    #[serde(default)]
    pub comparison_areas: Vec<String>,
    /// The boundary year the project counts in; set to the newest loaded at creation.
    #[serde(default)]
    pub boundary_year: Option<i32>,
}

impl ProjectDefinition {
    /// Checks the definition on its own (codes and slugs are checked against the data by
    /// the caller); `prefix` is the JSON Pointer of the definition in the request body.
    pub fn check(&self, prefix: &str) -> Result<(i64, i64), Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        match (self.areas.is_empty(), &self.polygon) {
            (true, None) => {
                let detail = "name the project area: areas (buurt, wijk or gemeente codes) or a polygon";
                errors.add(format!("{prefix}/areas"), detail);
                errors.add(format!("{prefix}/polygon"), detail);
            }
            (false, Some(_)) => {
                let detail = "give the project area as areas or as a polygon, not both";
                errors.add(format!("{prefix}/areas"), detail);
                errors.add(format!("{prefix}/polygon"), detail);
            }
            (true, Some(polygon)) => {
                if let Err(why) = parse_geometry(polygon) {
                    errors.add(format!("{prefix}/polygon"), format!("invalid polygon: {why}"));
                }
            }
            (false, None) => {}
        }
        for (field, codes) in [("areas", &self.areas), ("comparison_areas", &self.comparison_areas)] {
            for (i, code) in codes.iter().enumerate() {
                if AreaLevel::of_code(code).is_none() {
                    errors.add(
                        format!("{prefix}/{field}/{i}"),
                        format!("{code:?} is not a CBS code (GM0917, WK091710, BU09171001)"),
                    );
                }
            }
        }
        let month = |errors: &mut FieldErrors, field: &str, text: &str| {
            errors.check(
                &format!("{prefix}/{field}"),
                Period::Month.parse_label(text).ok_or_else(|| format!("{text:?} is not a month YYYY-MM")),
            )
        };
        let from = month(&mut errors, "baseline_from", &self.baseline_from);
        let to = month(&mut errors, "baseline_to", &self.baseline_to);
        let start = Period::Month.index_of(self.intervention_start);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.add(format!("{prefix}/baseline_from"), "the baseline starts after it ends");
            } else if to >= start {
                errors.add(
                    format!("{prefix}/baseline_to"),
                    format!(
                        "the baseline must end before the month the intervention starts ({}); end it in {} at the latest",
                        Period::Month.label(start),
                        Period::Month.label(start - 1)
                    ),
                );
            } else if to - from + 1 > Period::Month.max_span() {
                errors.add(format!("{prefix}/baseline_from"), "a baseline of more than ten years is too long");
            }
        }
        if self.follow_up == Period::Day || self.follow_up == Period::Week {
            errors.add(format!("{prefix}/follow_up"), "follow up per month, quarter or year");
        }
        let overlap: Vec<&String> = self.comparison_areas.iter().filter(|c| self.areas.contains(c)).collect();
        if !overlap.is_empty() {
            errors.add(format!("{prefix}/comparison_areas"), "a comparison area cannot be a project area as well");
        }
        errors.finish(|| Some((from?, to?)))
    }

    /// The drawn project area, when the definition has a valid polygon.
    pub fn shape(&self) -> Option<MultiPolygon<f64>> {
        self.polygon.as_ref().and_then(|p| parse_geometry(p).ok())
    }
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Project {
    pub id: uuid::Uuid,
    pub name: String,
    pub description: String,
    pub definition: ProjectDefinition,
    /// `active` or `closed`.
    pub status: String,
    /// When results were first read; the definition is frozen from then on.
    pub frozen_at: Option<chrono::DateTime<chrono::Utc>>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who created it (`admin` or `staff:<account id>`).
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// One entry of a project's change log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProjectChange {
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who (`admin` or `staff:<account id>`).
    pub actor: String,
    /// `created`, `updated`, `frozen` or `closed`.
    pub action: String,
    /// What changed: per field, the value before and after.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A count over a number of months, as a monthly rate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rate {
    /// Reports per month.
    pub per_month: f64,
    /// Lower end of the 95% interval.
    pub lower: f64,
    /// Upper end of the 95% interval.
    pub upper: f64,
}

/// The 95% interval of a Poisson count: exact (Garwood, found by bisection on the Poisson
/// distribution) up to 200, Byar's approximation above (within 0.1% of exact there).
pub fn poisson_interval(count: i64) -> (f64, f64) {
    let z = 1.959_964;
    if count > 200 {
        #[allow(clippy::cast_precision_loss)]
        let x = count as f64;
        let lower = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * x.sqrt())).powi(3);
        let y = x + 1.0;
        let upper = y * (1.0 - 1.0 / (9.0 * y) + z / (3.0 * y.sqrt())).powi(3);
        return (lower, upper);
    }
    let k = count.max(0);
    // P(X <= k) for mean m, summed in log space.
    let cdf = |m: f64, k: i64| -> f64 {
        let mut term = (-m).exp();
        let mut sum = term;
        for i in 1..=k {
            #[allow(clippy::cast_precision_loss)]
            let i = i as f64;
            term *= m / i;
            sum += term;
        }
        sum
    };
    // Mean where `f` crosses 0.025, `f` falling with the mean.
    let solve = |f: &dyn Fn(f64) -> f64| -> f64 {
        let (mut lo, mut hi) = (0.0_f64, 400.0_f64);
        for _ in 0..80 {
            let mid = (lo + hi) / 2.0;
            if f(mid) > 0.025 { lo = mid } else { hi = mid }
        }
        (lo + hi) / 2.0
    };
    let upper = solve(&|m| cdf(m, k));
    // The lower end: P(X >= k) = 0.025, i.e. P(X <= k - 1) = 0.975.
    let lower = if k == 0 { 0.0 } else { solve(&|m| cdf(m, k - 1) - 0.95) };
    (lower, upper)
}

/// `count` reports over `months` months as a monthly rate with its interval.
pub fn rate(count: i64, months: i64) -> Rate {
    let (lower, upper) = poisson_interval(count);
    #[allow(clippy::cast_precision_loss)]
    let months = months.max(1) as f64;
    #[allow(clippy::cast_precision_loss)]
    let per_month = count as f64 / months;
    Rate { per_month: round3(per_month), lower: round3(lower / months), upper: round3(upper / months) }
}

/// A ratio of two rates with its approximate 95% interval (log scale, Poisson variances).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ratio {
    /// The ratio (1 = no change).
    pub ratio: f64,
    /// Lower end of the 95% interval.
    pub lower: f64,
    /// Upper end of the 95% interval.
    pub upper: f64,
}

/// The rate ratio of `after` reports over `after_months` against `before` over
/// `before_months`; `None` when either count is zero.
pub fn rate_ratio(after: i64, after_months: i64, before: i64, before_months: i64) -> Option<Ratio> {
    ratio_of(&[(after, after_months)], &[(before, before_months)])
}

/// Difference in differences as a ratio of rate ratios: (project after / project before) /
/// (comparison after / comparison before). 1 means the project area changed as the
/// comparison did.
pub fn difference_in_differences(project: (i64, i64, i64, i64), comparison: (i64, i64, i64, i64)) -> Option<Ratio> {
    let (pa, pam, pb, pbm) = project;
    let (ca, cam, cb, cbm) = comparison;
    ratio_of(&[(pa, pam), (cb, cbm)], &[(pb, pbm), (ca, cam)])
}

fn ratio_of(numerator: &[(i64, i64)], denominator: &[(i64, i64)]) -> Option<Ratio> {
    let mut log = 0.0;
    let mut variance = 0.0;
    for (sign, parts) in [(1.0, numerator), (-1.0, denominator)] {
        for &(count, months) in parts {
            if count <= 0 || months <= 0 {
                return None;
            }
            #[allow(clippy::cast_precision_loss)]
            let (c, m) = (count as f64, months as f64);
            log += sign * (c / m).ln();
            variance += 1.0 / c;
        }
    }
    let spread = 1.959_964 * variance.sqrt();
    Some(Ratio { ratio: round3(log.exp()), lower: round3((log - spread).exp()), upper: round3((log + spread).exp()) })
}

/// Whether the data allow a conclusion, and if not, why not (in plain words).
pub fn verdict(counts: &[i64], ratio: Option<Ratio>) -> Option<String> {
    if counts.iter().any(|&c| c < FEW_REPORTS) {
        return Some(format!("too few reports to conclude anything (fewer than {FEW_REPORTS} in a window)"));
    }
    match ratio {
        None => Some("no rate to compare".into()),
        Some(r) if r.lower <= 1.0 && r.upper >= 1.0 => {
            Some("the 95% interval includes no change: the data do not show an effect either way".into())
        }
        Some(_) => None,
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> ProjectDefinition {
        ProjectDefinition {
            areas: vec!["BU09171000".into()],
            polygon: None,
            categories: vec![],
            baseline_from: "2024-01".into(),
            baseline_to: "2024-12".into(),
            intervention_start: NaiveDate::from_ymd_opt(2025, 1, 15).unwrap_or_default(),
            follow_up: Period::Quarter,
            comparison_areas: vec![],
            boundary_year: None,
        }
    }

    #[test]
    fn a_baseline_that_ends_after_the_start_is_refused_by_pointer() {
        assert!(definition().check("").is_ok());
        let late = ProjectDefinition { baseline_to: "2025-01".into(), ..definition() };
        let pointers: Vec<String> = late.check("").err().unwrap_or_default().into_iter().map(|e| e.pointer).collect();
        assert_eq!(pointers, ["/baseline_to"]);
        let bad = ProjectDefinition { areas: vec!["Heerlen".into()], follow_up: Period::Week, ..definition() };
        let pointers: Vec<String> =
            bad.check("/definition").err().unwrap_or_default().into_iter().map(|e| e.pointer).collect();
        assert_eq!(pointers, ["/definition/areas/0", "/definition/follow_up"]);
    }

    #[test]
    fn a_project_area_is_given_as_codes_or_as_a_polygon_never_both_nor_neither() {
        let square = serde_json::json!({"type": "Polygon", "coordinates": [[[5.91, 50.92], [5.92, 50.92], [5.92, 50.93], [5.91, 50.93], [5.91, 50.92]]]});
        let drawn = ProjectDefinition { areas: vec![], polygon: Some(square.clone()), ..definition() };
        assert!(drawn.check("").is_ok());
        assert!(drawn.shape().is_some());
        let pointers = |d: ProjectDefinition| -> Vec<String> {
            d.check("/definition").err().unwrap_or_default().into_iter().map(|e| e.pointer).collect()
        };
        let both = ProjectDefinition { polygon: Some(square), ..definition() };
        assert_eq!(pointers(both), ["/definition/areas", "/definition/polygon"]);
        let neither = ProjectDefinition { areas: vec![], ..definition() };
        assert_eq!(pointers(neither), ["/definition/areas", "/definition/polygon"]);
        let open = serde_json::json!({"type": "Polygon", "coordinates": [[[5.91, 50.92], [5.92, 50.92], [5.92, 50.93], [5.91, 50.93]]]});
        let open = ProjectDefinition { areas: vec![], polygon: Some(open), ..definition() };
        assert_eq!(pointers(open), ["/definition/polygon"]);
    }

    #[test]
    fn poisson_intervals_match_the_exact_ones_closely() {
        // Exact (Garwood) 95% intervals: 0 -> (0, 3.689), 1 -> (0.0253, 5.572), 10 -> (4.795, 18.39).
        let (l0, u0) = poisson_interval(0);
        assert!(l0 == 0.0 && (u0 - 3.689).abs() < 0.001, "{u0}");
        let (l1, u1) = poisson_interval(1);
        assert!((l1 - 0.0253).abs() < 0.0005 && (u1 - 5.572).abs() < 0.001, "{l1} {u1}");
        let (l10, u10) = poisson_interval(10);
        assert!((l10 - 4.795).abs() < 0.001 && (u10 - 18.39).abs() < 0.01, "{l10} {u10}");
        // Both methods agree where they meet.
        let (exact, _) = poisson_interval(200);
        let (byar, _) = poisson_interval(201);
        assert!((byar - exact - 1.0).abs() < 0.2, "{exact} {byar}");
    }

    #[test]
    fn a_municipality_wide_trend_is_not_taken_for_the_projects_effect() {
        // Both halved: the project did nothing special.
        let did = difference_in_differences((50, 12, 100, 12), (500, 12, 1000, 12));
        assert_eq!(did.map(|r| r.ratio), Some(1.0));
        assert!(verdict(&[50, 100], did).is_some());
        // The project area halved while the rest stayed: an effect, clearly outside the interval.
        let did = difference_in_differences((50, 12, 100, 12), (1000, 12, 1000, 12));
        assert!(did.is_some_and(|r| r.ratio == 0.5 && r.upper < 1.0));
        assert_eq!(verdict(&[50, 100, 1000, 1000], did), None);
        assert!(verdict(&[3, 100], did).is_some_and(|v| v.contains("too few")));
        assert_eq!(rate(12, 12).per_month, 1.0);
        assert_eq!(rate_ratio(0, 3, 10, 12), None);
    }
}

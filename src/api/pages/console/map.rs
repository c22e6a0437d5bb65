//! The queue's map: the CBS buurt outlines of the served municipalities (meldpunt's own
//! polygons, through the dashboard's projection) with a dot per report that links to it.
//! Inline SVG, with the optional background tiles of [`super::tiles`].

use std::fmt::Write;

use crate::api::pages::dashboard::svg::{Projection, WIDTH};
use crate::api::pages::html_escape;
use crate::api::state::AppState;
use crate::domain::area::AreaLevel;
use crate::domain::report::Location;

/// A report on the map.
pub struct Dot<'a> {
    /// Where it goes.
    pub href: &'a str,
    /// Its reference (the link's name).
    pub label: &'a str,
    /// Where it is.
    pub at: Location,
}

/// The map, or `None` when the served municipalities have no buurten in the registry.
pub fn queue_map(state: &AppState, title: &str, dots: &[Dot<'_>]) -> Option<String> {
    let snapshot = state.config.snapshot();
    let buurten: Vec<_> = snapshot
        .areas
        .areas()
        .iter()
        .filter(|area| area.level == AreaLevel::Buurt)
        .filter(|area| state.served.is_empty() || state.served.contains(&area.gemeente_code))
        .collect();
    let projection = Projection::fit(buurten.iter().map(|area| &area.geometry))?;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-12 -12 {w} {h}\" role=\"group\" aria-labelledby=\"map-title\">\
         <title id=\"map-title\">{title}</title><g class=\"areas\" aria-hidden=\"true\">",
        w = WIDTH + 24.0,
        h = projection.height + 24.0,
        title = html_escape(title),
    );
    for area in &buurten {
        let _ = write!(svg, "<path class=\"area\" d=\"{}\"/>", projection.path(&area.geometry));
    }
    svg.push_str("</g>");
    for dot in dots {
        let (x, y) = projection.point(dot.at.lon, dot.at.lat);
        let _ = write!(
            svg,
            "<a href=\"{href}\" aria-label=\"{label}\"><circle class=\"spot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"11\"/></a>",
            href = html_escape(dot.href),
            label = html_escape(dot.label),
        );
    }
    svg.push_str("</svg>");
    Some(background(state, svg, &projection))
}

/// `svg`, a console map drawn with `projection`, with the background tiles when
/// `console_tile_url` is set.
pub fn background(state: &AppState, svg: String, projection: &Projection) -> String {
    match &state.console_tiles {
        Some(source) => super::tiles::with_background(svg, source, projection, projection.height),
        None => svg,
    }
}

//! The dashboard's pictures as inline SVG, drawn on the server: the choropleth of the areas
//! (lon/lat projected equirectangularly, x scaled by cos(latitude)) and the bar chart of a
//! time series. Suppressed counts are filled with patterns, not colours, so they read as
//! "not published" rather than as a low or high value.

use std::fmt::Write;

use geo::{BoundingRect, LineString, MultiPolygon};

use super::view::html;
use crate::domain::open_data::disclosure::Shown;

/// Width of both pictures in SVG units (they scale to the screen).
pub const WIDTH: f64 = 640.0;

/// The fill colours of the classes, light to dark (ColorBrewer Blues).
pub const CLASS_COLOURS: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

/// The fill of a count "fewer than N" (a pattern of [`patterns`]).
pub const SMALL_FILL: &str = "url(#fill-small)";
/// The fill of a count hidden to protect a small one.
pub const PROTECTING_FILL: &str = "url(#fill-protecting)";

/// The patterns both pictures and the legend use, in a hidden SVG of their own.
pub fn patterns() -> &'static str {
    "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\"><defs>\
     <pattern id=\"fill-small\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
     <rect width=\"8\" height=\"8\" fill=\"#fff7e6\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#a04000\" stroke-width=\"3\"/></pattern>\
     <pattern id=\"fill-protecting\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">\
     <rect width=\"8\" height=\"8\" fill=\"#d9d9d9\"/><path d=\"M0 0L8 8M8 0L0 8\" stroke=\"#444\" stroke-width=\"1.2\"/></pattern>\
     </defs></svg>"
}

/// The upper bounds of the colour classes for counts up to `max` (equal steps, at least 1).
pub fn class_bounds(max: i64, base: i64) -> [i64; 5] {
    let base = base.max(1);
    let step = (max.max(5) + 4) / 5;
    let step = (step + base - 1) / base * base;
    [step, step * 2, step * 3, step * 4, step * 5]
}

/// The fill of a published cell.
pub fn fill(shown: Shown, bounds: &[i64; 5]) -> &'static str {
    match shown {
        Shown::Small => SMALL_FILL,
        Shown::Protecting => PROTECTING_FILL,
        Shown::Count(n) => {
            let class = bounds.iter().position(|&b| n <= b).unwrap_or(CLASS_COLOURS.len() - 1);
            CLASS_COLOURS.get(class).copied().unwrap_or("#08519c")
        }
    }
}

/// Maps lon/lat onto the picture.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    min_lon: f64,
    max_lat: f64,
    scale_x: f64,
    scale_y: f64,
    /// Height of the picture in SVG units.
    pub height: f64,
}

impl Projection {
    /// The projection that fits `shapes` into [`WIDTH`]; `None` when there are none.
    pub fn fit<'a>(shapes: impl Iterator<Item = &'a MultiPolygon<f64>>) -> Option<Projection> {
        let rect = shapes.filter_map(BoundingRect::bounding_rect).reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })?;
        let squeeze = ((rect.min().y + rect.max().y) / 2.0).to_radians().cos();
        let width = (rect.width() * squeeze).max(1e-9);
        let scale = WIDTH / width;
        Some(Projection {
            min_lon: rect.min().x,
            max_lat: rect.max().y,
            scale_x: scale * squeeze,
            scale_y: scale,
            height: (rect.height() * scale).ceil().max(1.0),
        })
    }

    /// The SVG coordinates of a point.
    pub fn point(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.min_lon) * self.scale_x, (self.max_lat - lat) * self.scale_y)
    }

    /// The longitude and latitude at SVG coordinates (the inverse of [`Projection::point`]).
    pub fn lon_lat(&self, x: f64, y: f64) -> (f64, f64) {
        (self.min_lon + x / self.scale_x, self.max_lat - y / self.scale_y)
    }

    /// The SVG path data of a shape, dropping points less than half a unit from the last.
    pub fn path(&self, shape: &MultiPolygon<f64>) -> String {
        let mut data = String::new();
        for polygon in shape {
            self.ring(&mut data, polygon.exterior());
            for hole in polygon.interiors() {
                self.ring(&mut data, hole);
            }
        }
        data
    }

    fn ring(&self, data: &mut String, ring: &LineString<f64>) {
        let mut last: Option<(f64, f64)> = None;
        for coord in ring.coords() {
            let (x, y) = self.point(coord.x, coord.y);
            if let Some((lx, ly)) = last
                && (x - lx).abs() < 0.5
                && (y - ly).abs() < 0.5
            {
                continue;
            }
            let _ = write!(data, "{}{:.1} {:.1}", if last.is_none() { "M" } else { "L" }, x, y);
            last = Some((x, y));
        }
        if last.is_some() {
            data.push('Z');
        }
    }
}

/// One area of the map.
pub struct MapArea<'a> {
    /// CBS code.
    pub code: &'a str,
    /// Its shape.
    pub shape: &'a MultiPolygon<f64>,
    /// What is published.
    pub shown: Shown,
    /// Its accessible name (name and value).
    pub label: String,
    /// Where a click on it goes (selects it for the time series).
    pub href: String,
    /// Whether it is the area of the time series.
    pub selected: bool,
}

/// The choropleth: one link with one path per area.
pub fn map(title_id: &str, areas: &[MapArea<'_>], bounds: &[i64; 5]) -> String {
    let Some(projection) = Projection::fit(areas.iter().map(|a| a.shape)) else { return String::new() };
    let mut svg = format!(
        "<svg id=\"map\" class=\"map\" viewBox=\"-2 -2 {w} {h}\" role=\"group\" aria-labelledby=\"{title_id}\">",
        w = WIDTH + 4.0,
        h = projection.height + 4.0
    );
    for area in areas {
        let state = match area.shown {
            Shown::Count(_) => "count",
            Shown::Small => "small",
            Shown::Protecting => "protecting",
        };
        let _ = write!(
            svg,
            "<a href=\"{href}\" class=\"area{selected}\" aria-label=\"{label}\"{current}><path d=\"{d}\" fill=\"{fill}\" data-area=\"{code}\" data-state=\"{state}\"><title>{label}</title></path></a>",
            href = html(&area.href),
            selected = if area.selected { " selected" } else { "" },
            current = if area.selected { " aria-current=\"true\"" } else { "" },
            label = html(&area.label),
            d = projection.path(area.shape),
            fill = fill(area.shown, bounds),
            code = html(area.code),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One bar of the time series.
pub struct Bar {
    /// The period's short label (axis).
    pub label: String,
    /// What is published.
    pub shown: Shown,
    /// Its accessible name.
    pub title: String,
}

/// The bar chart of a time series; suppressed bars are patterned at the height of the
/// threshold less one (the most they can be).
pub fn bars(title_id: &str, bars: &[Bar], min_count: i64) -> String {
    let (height, left, bottom, top) = (240.0, 40.0, 28.0, 12.0);
    let max = bars
        .iter()
        .map(|b| match b.shown {
            Shown::Count(n) => n,
            _ => min_count - 1,
        })
        .max()
        .unwrap_or(0)
        .max(min_count);
    let plot = height - bottom - top;
    let y = |v: i64| top + plot - plot * (v as f64) / (max as f64);
    let mut svg =
        format!("<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{title_id}\">");
    for tick in [0, max / 2, max] {
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{WIDTH}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#767676\" stroke-width=\"0.5\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\" class=\"tick\">{tick}</text>",
            yy = y(tick),
            tx = left - 6.0,
            ty = y(tick) + 4.0,
        );
    }
    let slot = (WIDTH - left) / (bars.len().max(1) as f64);
    for (i, bar) in bars.iter().enumerate() {
        let x = left + slot * (i as f64) + slot * 0.15;
        let (value, fill_of) = match bar.shown {
            Shown::Count(n) => (n, "#3182bd"),
            Shown::Small => (min_count - 1, SMALL_FILL),
            Shown::Protecting => (min_count - 1, PROTECTING_FILL),
        };
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{ry:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"{fill_of}\" stroke=\"#333\" stroke-width=\"0.5\"><title>{title}</title></rect>\
             <text x=\"{lx:.1}\" y=\"{ly}\" text-anchor=\"middle\" class=\"tick\">{label}</text>",
            ry = y(value),
            bw = slot * 0.7,
            bh = (y(0) - y(value)).max(0.0),
            title = html(&bar.title),
            lx = x + slot * 0.35,
            ly = height - 8.0,
            label = html(&bar.label),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fall_into_five_classes_and_suppressed_cells_into_patterns() {
        let bounds = class_bounds(50, 1);
        assert_eq!(bounds, [10, 20, 30, 40, 50]);
        assert_eq!(class_bounds(15, 5), [5, 10, 15, 20, 25], "classes of rounded counts are multiples of the base");
        assert_eq!(class_bounds(120, 5), [25, 50, 75, 100, 125]);
        assert_eq!(fill(Shown::Count(0), &bounds), "#eff3ff");
        assert_eq!(fill(Shown::Count(50), &bounds), "#08519c");
        assert_eq!(fill(Shown::Small, &bounds), SMALL_FILL);
        assert_eq!(fill(Shown::Protecting, &bounds), PROTECTING_FILL);
    }

    #[test]
    fn a_square_at_sixty_degrees_north_is_drawn_twice_as_high_as_wide() {
        let ring = vec![(0.0, 59.5), (1.0, 59.5), (1.0, 60.5), (0.0, 60.5), (0.0, 59.5)];
        let square = geo::Polygon::new(LineString::from(ring), vec![]);
        let shape = MultiPolygon::new(vec![square]);
        let projection = Projection::fit(std::iter::once(&shape)).unwrap_or_else(|| panic!("no projection"));
        assert!((projection.height / WIDTH - 2.0).abs() < 0.01, "{}", projection.height);
        assert!(projection.path(&shape).starts_with("M0.0 "));
    }
}

//! The console maps' optional background: the tiles of `console_tile_url` (PDOK's BRT
//! achtergrondkaart by default) under meldpunt's own area outlines, as SVG `<image>`s placed
//! by the map's own projection, with the attribution in a corner. The tiles are decoration
//! (`aria-hidden`); every map says the same without them, and a page whose tiles do not load
//! still shows the areas and reports.
//!
//! The tiles are Web Mercator (`{z}/{x}/{y}`, 256 pixels). The maps' projection is
//! equirectangular with the longitude squeezed by the cosine of the middle latitude: over a
//! municipality the two differ by less than a pixel, and each tile is placed by its own
//! corners, so the difference cannot add up.

use std::f64::consts::PI;
use std::fmt::Write;

use crate::api::pages::dashboard::svg::{Projection, WIDTH};
use crate::api::pages::html_escape;
use crate::config::console::TileSource;

/// The margin of every console map's `viewBox` around the projected areas.
const MARGIN: f64 = 12.0;

/// Most tiles on one map; a larger area takes a lower zoom.
const MAX_TILES: u64 = 64;

/// Highest zoom asked for (PDOK's BRT serves up to 19).
const MAX_ZOOM: u8 = 19;

/// Web Mercator's latitude limit.
const MAX_LAT: f64 = 85.051_128_78;

fn tile_x(lon: f64, n: f64) -> f64 {
    (lon + 180.0) / 360.0 * n
}

fn tile_y(lat: f64, n: f64) -> f64 {
    let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / PI) / 2.0 * n
}

fn lon_of(x: f64, n: f64) -> f64 {
    x / n * 360.0 - 180.0
}

fn lat_of(y: f64, n: f64) -> f64 {
    (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees()
}

/// One tile and where it goes in the map's SVG coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub z: u8,
    pub x: u32,
    pub y: u32,
    /// Top-left corner and size in SVG units.
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// The tiles that cover a map of `height` (SVG units, besides the margin) drawn with
/// `projection`: the lowest zoom whose tiles are drawn no wider than their 256 pixels, or a
/// lower one when that would take more than [`MAX_TILES`].
pub fn cover(projection: &Projection, height: f64) -> Vec<Placed> {
    let (west, north) = projection.lon_lat(-MARGIN, -MARGIN);
    let (east, south) = projection.lon_lat(WIDTH + MARGIN, height + MARGIN);
    let span = |z: u8| {
        let n = f64::from(1_u32 << z);
        let columns = (tile_x(west, n).floor(), (tile_x(east, n) - 1e-9).floor());
        let rows = (tile_y(north, n).floor(), (tile_y(south, n) - 1e-9).floor());
        (n, columns, rows)
    };
    let tile_units = |z: u8| {
        let n = f64::from(1_u32 << z);
        projection.point(lon_of(1.0, n), 0.0).0 - projection.point(lon_of(0.0, n), 0.0).0
    };
    let mut zoom = (0..=MAX_ZOOM).find(|&z| tile_units(z) <= 256.0).unwrap_or(MAX_ZOOM);
    loop {
        let (_, columns, rows) = span(zoom);
        let count = (columns.1 - columns.0 + 1.0).max(0.0) * (rows.1 - rows.0 + 1.0).max(0.0);
        if count <= MAX_TILES as f64 || zoom == 0 {
            break;
        }
        zoom -= 1;
    }
    let (n, columns, rows) = span(zoom);
    let last = n - 1.0;
    let mut placed = Vec::new();
    let mut row = rows.0.max(0.0);
    while row <= rows.1.min(last) {
        let mut column = columns.0.max(0.0);
        while column <= columns.1.min(last) {
            let (left, top) = projection.point(lon_of(column, n), lat_of(row, n));
            let (right, bottom) = projection.point(lon_of(column + 1.0, n), lat_of(row + 1.0, n));
            placed.push(Placed {
                z: zoom,
                x: column as u32,
                y: row as u32,
                left,
                top,
                width: right - left,
                height: bottom - top,
            });
            column += 1.0;
        }
        row += 1.0;
    }
    placed
}

/// `svg` (a console map drawn with `projection`, `height` SVG units high, whose first
/// element is its `<title>`) with the background tiles under its areas and the attribution
/// in its lower right corner.
pub fn with_background(svg: String, source: &TileSource, projection: &Projection, height: f64) -> String {
    let mut layer = String::from("<g class=\"tiles\" aria-hidden=\"true\">");
    for tile in cover(projection, height) {
        // A quarter unit more on each side hides the hairlines between tiles.
        let _ = write!(
            layer,
            "<image href=\"{href}\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" preserveAspectRatio=\"none\"/>",
            href = html_escape(&source.tile(tile.z, tile.x, tile.y)),
            x = tile.left,
            y = tile.top,
            w = tile.width + 0.25,
            h = tile.height + 0.25,
        );
    }
    layer.push_str("</g>");
    let attribution = if source.attribution.is_empty() {
        String::new()
    } else {
        format!(
            "<text class=\"attribution\" x=\"{x:.0}\" y=\"{y:.0}\" text-anchor=\"end\">{text}</text>",
            x = WIDTH + MARGIN - 4.0,
            y = height + MARGIN - 6.0,
            text = html_escape(&source.attribution),
        )
    };
    let Some(title_end) = svg.find("</title>").map(|at| at + "</title>".len()) else { return svg };
    let Some(end) = svg.rfind("</svg>") else { return svg };
    let (head, rest) = svg.split_at(title_end);
    let (middle, tail) = rest.split_at(end - title_end);
    format!("{}{layer}{middle}{attribution}{tail}", head.replacen("<svg ", "<svg class=\"tiled\" ", 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    fn heerlen() -> Projection {
        let shape: MultiPolygon<f64> = polygon![
            (x: 5.93, y: 50.84), (x: 6.03, y: 50.84), (x: 6.03, y: 50.93), (x: 5.93, y: 50.93), (x: 5.93, y: 50.84)
        ]
        .into();
        Projection::fit(std::iter::once(&shape)).unwrap_or_else(|| panic!("no projection"))
    }

    #[test]
    fn a_municipality_is_covered_by_a_few_dozen_tiles_no_wider_than_their_pixels() {
        let projection = heerlen();
        let tiles = cover(&projection, projection.height);
        assert!(!tiles.is_empty() && tiles.len() as u64 <= MAX_TILES, "{} tiles", tiles.len());
        assert!(tiles.iter().all(|t| t.z == tiles[0].z && t.width <= 256.5), "{tiles:?}");
        // The map's corners are inside the union of the tiles.
        let (left, top) = (
            tiles.iter().map(|t| t.left).fold(f64::MAX, f64::min),
            tiles.iter().map(|t| t.top).fold(f64::MAX, f64::min),
        );
        let right = tiles.iter().map(|t| t.left + t.width).fold(f64::MIN, f64::max);
        let bottom = tiles.iter().map(|t| t.top + t.height).fold(f64::MIN, f64::max);
        assert!(left <= -MARGIN && top <= -MARGIN, "{left} {top}");
        assert!(right >= WIDTH + MARGIN && bottom >= projection.height + MARGIN, "{right} {bottom}");
    }

    #[test]
    fn a_point_lands_in_the_tile_that_web_mercator_gives_it() {
        let projection = heerlen();
        let tiles = cover(&projection, projection.height);
        // Heerlen's town hall.
        let (lon, lat) = (5.9795, 50.8882);
        let n = f64::from(1_u32 << tiles[0].z);
        let (x, y) = (tile_x(lon, n).floor() as u32, tile_y(lat, n).floor() as u32);
        let tile = tiles.iter().find(|t| t.x == x && t.y == y).unwrap_or_else(|| panic!("no tile {x}/{y}"));
        let (px, py) = projection.point(lon, lat);
        assert!(px >= tile.left && px <= tile.left + tile.width, "{px} in {tile:?}");
        assert!(py >= tile.top && py <= tile.top + tile.height, "{py} in {tile:?}");
        // Within the tile, the point is where Web Mercator puts it, to a unit.
        let inside_x = (tile_x(lon, n) - f64::from(x)) * tile.width + tile.left;
        let inside_y = (tile_y(lat, n) - f64::from(y)) * tile.height + tile.top;
        assert!(
            (inside_x - px).abs() < 1.0 && (inside_y - py).abs() < 1.0,
            "({inside_x}, {inside_y}) against ({px}, {py})"
        );
    }

    #[test]
    fn the_background_goes_under_the_areas_and_the_attribution_on_top() {
        let projection = heerlen();
        let source = TileSource::parse("https://tiles.example/{z}/{x}/{y}.png?a=1&b=2", "© Kadaster")
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("a valid source"));
        let svg = "<svg viewBox=\"0 0 1 1\"><title>Kaart</title><path class=\"area\" d=\"M0 0\"/></svg>".to_owned();
        let drawn = with_background(svg, &source, &projection, projection.height);
        assert!(drawn.starts_with("<svg class=\"tiled\" viewBox"), "{drawn}");
        let tiles = drawn.find("<g class=\"tiles\"").unwrap_or(usize::MAX);
        let area = drawn.find("<path class=\"area\"").unwrap_or(0);
        assert!(drawn.find("</title>").unwrap_or(usize::MAX) < tiles && tiles < area, "{drawn}");
        assert!(drawn.contains("?a=1&amp;b=2") && drawn.contains(">© Kadaster</text></svg>"), "{drawn}");
    }
}

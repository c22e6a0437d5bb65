//! The console's background map: a tile URL template (`{z}/{x}/{y}`, Web Mercator, 256-pixel
//! tiles, as PDOK's BRT achtergrondkaart serves them) and the attribution shown with it.
//! Empty turns the background off; every map then shows meldpunt's own polygons alone.

use super::{ConfigError, Settings};

/// The default background: PDOK's BRT achtergrondkaart (Kadaster), the Dutch government's
/// base map, in Web Mercator.
pub const PDOK_BRT: &str = "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png";

/// The attribution PDOK's terms ask for with the BRT achtergrondkaart (CC BY 4.0).
pub const PDOK_ATTRIBUTION: &str = "Kaartgegevens © Kadaster";

/// A checked tile source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSource {
    /// The URL template with `{z}`, `{x}` and `{y}`.
    pub template: String,
    /// The template's origin (`https://service.pdok.nl`), for the pages' `img-src`.
    pub origin: String,
    /// The text shown with the map; may be empty.
    pub attribution: String,
}

impl TileSource {
    /// Reads a tile URL template: `None` when empty, an error that says what to change when
    /// it is not an `http(s)` URL with `{z}`, `{x}` and `{y}`.
    pub fn parse(template: &str, attribution: &str) -> Result<Option<TileSource>, ConfigError> {
        let template = template.trim();
        if template.is_empty() {
            return Ok(None);
        }
        let problem = |why: &str| {
            ConfigError(format!(
                "console_tile_url {template:?} {why}; give a tile URL such as {PDOK_BRT:?}, or leave it empty for no background map"
            ))
        };
        if ["{z}", "{x}", "{y}"].iter().any(|part| !template.contains(part)) {
            return Err(problem("lacks one of {z}, {x} and {y}"));
        }
        let sample = template.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0");
        let url = url::Url::parse(&sample).map_err(|_| problem("is not a URL"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(problem("is not an http(s) URL with a host"));
        }
        if template.contains(['"', '<', '>', '\'', ' ', '\\']) {
            return Err(problem("contains a quote, angle bracket, space or backslash"));
        }
        Ok(Some(TileSource {
            template: template.to_owned(),
            origin: url.origin().ascii_serialization(),
            attribution: attribution.trim().to_owned(),
        }))
    }

    /// The address of tile `x`, `y` at zoom `z`.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> String {
        self.template.replace("{z}", &z.to_string()).replace("{x}", &x.to_string()).replace("{y}", &y.to_string())
    }
}

impl Settings {
    /// The console's background map, `None` when `console_tile_url` is empty.
    pub fn console_tiles(&self) -> Result<Option<TileSource>, ConfigError> {
        TileSource::parse(&self.console_tile_url, &self.console_tile_attribution)
    }
}

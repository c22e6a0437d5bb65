//! The DCAT catalogue of the open data: a JSON-LD `dcat:Catalog` in the DCAT-AP-NL (DONL)
//! profile that data.overheid.nl harvests, listing the report-level records (one
//! distribution per year and format) and the aggregates per buurt and wijk, with their
//! licences, schemas, update dates and periods. Titles and descriptions are in Dutch and
//! English (language-tagged literals).

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

use super::{BOUNDARY_LICENCE, Licence, boundary_attribution};

/// Where the records' Table Schema is served.
pub const RECORDS_SCHEMA_PATH: &str = "/api/v1/open/schema/records.json";
/// Where the aggregates' Table Schema is served.
pub const AGGREGATES_SCHEMA_PATH: &str = "/api/v1/open/schema/aggregates.json";
/// Where the catalogue itself is served.
pub const CATALOG_PATH: &str = "/api/v1/open/catalog.jsonld";

/// A year with reports in public categories.
#[derive(Debug, Clone, PartialEq)]
pub struct YearSummary {
    pub year: i32,
    /// Reports published for it.
    pub records: i64,
    /// When the newest change to one of them was made.
    pub modified: DateTime<Utc>,
}

/// What the catalogue is made of.
#[derive(Debug, Clone)]
pub struct CatalogInput {
    /// The public base URL of the service (no trailing slash).
    pub base_url: String,
    /// Who publishes the data.
    pub publisher: String,
    /// The data's licence.
    pub licence: Licence,
    /// The served municipalities: CBS code and name.
    pub gemeenten: Vec<(String, String)>,
    /// The years with reports, oldest first.
    pub years: Vec<YearSummary>,
    /// The newest loaded boundary year (named in the boundaries' attribution).
    pub boundary_year: Option<i32>,
}

/// The download formats: extension, IANA media type, EU file type.
const FORMATS: [(&str, &str, &str); 2] = [("csv", "text/csv", "CSV"), ("geojson", "application/geo+json", "GEOJSON")];

fn text(nl: &str, en: &str) -> Json {
    json!([{"@value": nl, "@language": "nl"}, {"@value": en, "@language": "en"}])
}

fn id(iri: &str) -> Json {
    json!({"@id": iri})
}

fn date_time(at: DateTime<Utc>) -> Json {
    json!({"@value": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "@type": "xsd:dateTime"})
}

fn year_period(year: i32) -> Json {
    json!({
        "@type": "dct:PeriodOfTime",
        "dcat:startDate": {"@value": format!("{year}-01-01"), "@type": "xsd:date"},
        "dcat:endDate": {"@value": format!("{year}-12-31"), "@type": "xsd:date"},
    })
}

/// The JSON-LD context: the vocabularies the catalogue uses.
fn context() -> Json {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    })
}

/// One distribution: a download of `path` (with its query) in `format`.
fn distribution(
    input: &CatalogInput,
    title: Json,
    path: &str,
    format: (&str, &str, &str),
    licence: Licence,
    summary: &YearSummary,
    schema: &str,
) -> Json {
    let (_, media_type, file_type) = format;
    let url = format!("{}{path}", input.base_url);
    json!({
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dcat:accessURL": id(&url),
        "dcat:downloadURL": id(&url),
        "dcat:mediaType": id(&format!("https://www.iana.org/assignments/media-types/{media_type}")),
        "dct:format": id(&format!("http://publications.europa.eu/resource/authority/file-type/{file_type}")),
        "dct:license": id(licence.url),
        "dct:modified": date_time(summary.modified),
        "dct:temporal": year_period(summary.year),
        "dct:conformsTo": id(&format!("{}{schema}", input.base_url)),
    })
}

fn dataset_common(input: &CatalogInput) -> Json {
    json!({
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": input.publisher},
        "dct:language": id("http://publications.europa.eu/resource/authority/language/NLD"),
        "dct:spatial": input.gemeenten.iter().map(|(code, name)| json!({
            "@type": "dct:Location", "dct:identifier": code, "skos:prefLabel": name,
        })).collect::<Vec<_>>(),
        "dct:temporal": input.years.iter().map(|s| year_period(s.year)).collect::<Vec<_>>(),
        "dcat:theme": [
            id("http://standaarden.overheid.nl/owms/terms/Ruimte_en_infrastructuur"),
            id("http://publications.europa.eu/resource/authority/data-theme/GOVE"),
        ],
        "dct:accrualPeriodicity": id("http://publications.europa.eu/resource/authority/frequency/CONT"),
    })
}

fn merge(mut base: Json, extra: Json) -> Json {
    if let (Some(base), Json::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// The catalogue as JSON-LD.
pub fn catalog(input: &CatalogInput) -> Json {
    let newest = input.years.iter().map(|s| s.modified).max();
    let records_distributions: Vec<Json> = input
        .years
        .iter()
        .flat_map(|summary| {
            FORMATS.iter().map(move |&format| {
                let (extension, _, label) = format;
                let title = text(
                    &format!("Meldingen {} ({label})", summary.year),
                    &format!("Reports {} ({label})", summary.year),
                );
                let path = format!("/api/v1/open/records.{extension}?year={}", summary.year);
                distribution(input, title, &path, format, input.licence, summary, RECORDS_SCHEMA_PATH)
            })
        })
        .collect();
    let aggregates_distributions: Vec<Json> = input
        .years
        .iter()
        .flat_map(|summary| {
            ["buurt", "wijk"].into_iter().flat_map(move |level| {
                FORMATS.iter().map(move |&format| {
                    let (extension, _, label) = format;
                    let title = text(
                        &format!("Meldingen per {level} {} ({label})", summary.year),
                        &format!("Reports per {level} {} ({label})", summary.year),
                    );
                    let path = format!("/api/v1/open/aggregates.{extension}?year={}&level={level}", summary.year);
                    distribution(input, title, &path, format, input.licence, summary, AGGREGATES_SCHEMA_PATH)
                })
            })
        })
        .collect();
    let attribution = input.boundary_year.map(boundary_attribution);
    let rights = format!(
        "De cijfers: {}. De gebiedsgrenzen (buurten, wijken) in de GeoJSON-bestanden: {} ({}), naamsvermelding \"{}\". \
         / The figures: {}. The area boundaries in the GeoJSON files: {} ({}), attribution \"{}\".",
        input.licence.name,
        BOUNDARY_LICENCE.name,
        BOUNDARY_LICENCE.url,
        attribution.as_deref().unwrap_or("Kadaster / Centraal Bureau voor de Statistiek"),
        input.licence.name,
        BOUNDARY_LICENCE.name,
        BOUNDARY_LICENCE.url,
        attribution.as_deref().unwrap_or("Kadaster / Centraal Bureau voor de Statistiek"),
    );
    let records = merge(
        dataset_common(input),
        json!({
            "@id": format!("{}/api/v1/open/records", input.base_url),
            "@type": "dcat:Dataset",
            "dct:identifier": format!("{}/api/v1/open/records", input.base_url),
            "dct:title": text("Meldingen openbare ruimte (records)", "Public space reports (records)"),
            "dct:description": text(
                "Eén regel per melding in een openbare categorie, per jaar van ontvangst: referentie, categorie, status, \
                 dag van ontvangst en afhandeling, CBS-buurt, -wijk en -gemeente met het grenzenjaar, en de locatie \
                 (exact, of het midden van een vak van ~280 m bij gevoelige categorieën). Nooit tekst, adres, foto's \
                 of contactgegevens.",
                "One line per report in a public category, per year of receipt: reference, category, status, day of \
                 receipt and of resolution, CBS buurt, wijk and gemeente with the boundary year, and the location \
                 (exact, or the centre of a ~280 m cell for sensitive categories). Never text, address, photos or \
                 contact details.",
            ),
            "dcat:keyword": text("meldingen", "reports").as_array().cloned().unwrap_or_default().into_iter()
                .chain(text("openbare ruimte", "public space").as_array().cloned().unwrap_or_default())
                .collect::<Vec<_>>(),
            "dct:license": id(input.licence.url),
            "dct:conformsTo": id(&format!("{}{RECORDS_SCHEMA_PATH}", input.base_url)),
            "dct:modified": newest.map(date_time),
            "dcat:distribution": records_distributions,
        }),
    );
    let aggregates = merge(
        dataset_common(input),
        json!({
            "@id": format!("{}/api/v1/open/aggregates", input.base_url),
            "@type": "dcat:Dataset",
            "dct:identifier": format!("{}/api/v1/open/aggregates", input.base_url),
            "dct:title": text("Statistieken meldingen per buurt en wijk (aggregates)", "Report statistics per buurt and wijk (aggregates)"),
            "dct:description": text(
                "Aantallen meldingen in openbare categorieën per CBS-buurt en -wijk, hoofdcategorie en periode, met \
                 onthullingscontrole: kleine aantallen worden niet gepubliceerd en zijn niet af te leiden. De \
                 GeoJSON-bestanden bevatten de gebiedsgrenzen van het CBS.",
                "Counts of reports in public categories per CBS buurt and wijk, main category and period, with \
                 disclosure control: small counts are not published and cannot be derived. The GeoJSON files carry \
                 the CBS area boundaries.",
            ),
            "dcat:keyword": text("statistiek", "statistics").as_array().cloned().unwrap_or_default().into_iter()
                .chain(text("buurten", "neighbourhoods").as_array().cloned().unwrap_or_default())
                .collect::<Vec<_>>(),
            "dct:license": id(input.licence.url),
            "dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": rights},
            "dct:conformsTo": id(&format!("{}{AGGREGATES_SCHEMA_PATH}", input.base_url)),
            "dct:modified": newest.map(date_time),
            "dcat:distribution": aggregates_distributions,
        }),
    );
    json!({
        "@context": context(),
        "@id": format!("{}{CATALOG_PATH}", input.base_url),
        "@type": "dcat:Catalog",
        "dct:title": text("Open data meldingen openbare ruimte", "Open data of public space reports"),
        "dct:description": text(
            "Open data van meldpunt: meldingen over de openbare ruimte en statistieken daarvan, zonder gegevens die \
             iemand kunnen identificeren.",
            "Open data of meldpunt: reports about public space and their statistics, without anything that can \
             identify anyone.",
        ),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": input.publisher},
        "dct:license": id(input.licence.url),
        "dct:language": id("http://publications.europa.eu/resource/authority/language/NLD"),
        "foaf:homepage": id(&input.base_url),
        "dct:modified": newest.map(date_time),
        "dcat:dataset": [records, aggregates],
    })
}

/// The publisher named when none is configured: the served municipalities by name.
pub fn default_publisher(gemeenten: &[(String, String)]) -> String {
    let names: Vec<String> = gemeenten.iter().map(|(_, name)| format!("Gemeente {name}")).collect();
    if names.is_empty() { "meldpunt".into() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::open_data::LICENCES;

    #[test]
    fn the_catalogue_lists_a_distribution_per_year_and_format_with_absolute_urls() {
        let modified = DateTime::from_timestamp(1_740_000_000, 0).unwrap_or_default();
        let input = CatalogInput {
            base_url: "https://meldpunt.example".into(),
            publisher: default_publisher(&[("GM0917".into(), "Heerlen".into())]),
            licence: LICENCES[0],
            gemeenten: vec![("GM0917".into(), "Heerlen".into())],
            years: vec![
                YearSummary { year: 2024, records: 3, modified },
                YearSummary { year: 2025, records: 1, modified },
            ],
            boundary_year: Some(2025),
        };
        let document = catalog(&input);
        assert!(document["@context"].is_object());
        let [records, aggregates] = [&document["dcat:dataset"][0], &document["dcat:dataset"][1]];
        assert_eq!(records["dcat:distribution"].as_array().map(Vec::len), Some(4));
        assert_eq!(aggregates["dcat:distribution"].as_array().map(Vec::len), Some(8));
        assert_eq!(
            records["dcat:distribution"][0]["dcat:downloadURL"]["@id"],
            "https://meldpunt.example/api/v1/open/records.csv?year=2024"
        );
        assert_eq!(records["dct:publisher"]["foaf:name"], "Gemeente Heerlen");
        assert!(
            aggregates["dct:rights"]["rdfs:label"]
                .as_str()
                .unwrap_or_default()
                .contains("Kadaster / Centraal Bureau voor de Statistiek, 2025")
        );
    }
}

//! The dashboard's words in Dutch (the default) and English.

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Dutch.
    Nl,
    /// English.
    En,
}

impl Lang {
    /// The language of `?lang=` (`nl`, `en`); `None` for any other.
    pub fn parse(text: Option<&str>) -> Option<Lang> {
        match text.map(str::trim) {
            None | Some("") | Some("nl") => Some(Lang::Nl),
            Some("en") => Some(Lang::En),
            Some(_) => None,
        }
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// The words of the page.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        }
    }
}

/// Every fixed text of the dashboard.
pub struct Texts {
    pub title: &'static str,
    pub skip: &'static str,
    pub intro: &'static str,
    pub other_language: &'static str,
    pub other_language_name: &'static str,
    pub controls: &'static str,
    pub year: &'static str,
    pub category: &'static str,
    pub period: &'static str,
    pub shown_period: &'static str,
    pub level: &'static str,
    pub show: &'static str,
    pub month: &'static str,
    pub quarter: &'static str,
    pub whole_year: &'static str,
    pub buurt: &'static str,
    pub wijk: &'static str,
    pub gemeente: &'static str,
    pub map_heading: &'static str,
    pub map_hint: &'static str,
    pub legend: &'static str,
    pub received: &'static str,
    pub resolved: &'static str,
    pub area: &'static str,
    pub code: &'static str,
    pub reports: &'static str,
    pub fewer_than: &'static str,
    pub protecting: &'static str,
    pub series_heading: &'static str,
    pub series_table: &'static str,
    pub map_table: &'static str,
    pub month_col: &'static str,
    pub about: &'static str,
    pub method: &'static str,
    pub rounded: &'static str,
    pub rounded_after: &'static str,
    pub method_text: &'static str,
    pub data_links: &'static str,
    pub no_areas: &'static str,
    pub error_title: &'static str,
    pub error_intro: &'static str,
    pub back: &'static str,
}

static NL: Texts = Texts {
    title: "Meldingen openbare ruimte per buurt",
    skip: "Naar de inhoud",
    intro: "Hoeveel meldingen over de openbare ruimte kwamen binnen en werden afgehandeld, per buurt, wijk of gemeente. Alleen afgelopen perioden en openbare categorieën; kleine aantallen worden niet getoond, zodat niemand herkenbaar is.",
    other_language: "English",
    other_language_name: "en",
    controls: "Kies wat u wilt zien",
    year: "Jaar",
    category: "Categorie",
    period: "Periode-indeling",
    shown_period: "Periode op de kaart",
    level: "Gebiedsniveau",
    show: "Toon",
    month: "maand",
    quarter: "kwartaal",
    whole_year: "jaar",
    buurt: "buurten",
    wijk: "wijken",
    gemeente: "gemeente",
    map_heading: "Kaart: ontvangen meldingen",
    map_hint: "Kies een gebied op de kaart of in de tabel om de tijdreeks ervan te zien.",
    legend: "Legenda",
    received: "ontvangen",
    resolved: "afgehandeld",
    area: "Gebied",
    code: "Code",
    reports: "meldingen",
    fewer_than: "minder dan",
    protecting: "verborgen ter bescherming van een klein aantal",
    series_heading: "Tijdreeks: ontvangen meldingen per maand",
    series_table: "Ontvangen en afgehandelde meldingen per maand in",
    map_table: "Ontvangen en afgehandelde meldingen per gebied in",
    month_col: "Maand",
    about: "Over deze cijfers",
    method: "Methode",
    rounded: "Andere aantallen zijn afgerond op een veelvoud van",
    rounded_after: "; elk aantal apart, dus delen tellen niet altijd precies op tot hun totaal.",
    method_text: "waar een klein aantal uit andere cijfers af te leiden zou zijn (de andere buurten en de wijk, de andere categorieën, de andere maanden en het kwartaal), is nog een aantal verborgen. Meldpunt controleert dat met een aanvaller die alle gepubliceerde cijfers van het jaar combineert: geen klein aantal is precies te achterhalen.",
    data_links: "De cijfers als open data",
    no_areas: "Voor dit jaar zijn geen gebieden geladen.",
    error_title: "Deze vraag kan het dashboard niet beantwoorden",
    error_intro: "Pas het volgende aan:",
    back: "Terug naar het dashboard",
};

static EN: Texts = Texts {
    title: "Reports about public space per neighbourhood",
    skip: "Skip to content",
    intro: "How many reports about public space were received and resolved, per neighbourhood (buurt), district (wijk) or municipality. Only ended periods and public categories; small counts are not shown, so that nobody can be identified.",
    other_language: "Nederlands",
    other_language_name: "nl",
    controls: "Choose what to see",
    year: "Year",
    category: "Category",
    period: "Periods of",
    shown_period: "Period on the map",
    level: "Area level",
    show: "Show",
    month: "month",
    quarter: "quarter",
    whole_year: "year",
    buurt: "neighbourhoods (buurten)",
    wijk: "districts (wijken)",
    gemeente: "municipality",
    map_heading: "Map: reports received",
    map_hint: "Choose an area on the map or in the table to see its time series.",
    legend: "Legend",
    received: "received",
    resolved: "resolved",
    area: "Area",
    code: "Code",
    reports: "reports",
    fewer_than: "fewer than",
    protecting: "hidden to protect a small count",
    series_heading: "Time series: reports received per month",
    series_table: "Reports received and resolved per month in",
    map_table: "Reports received and resolved per area in",
    month_col: "Month",
    about: "About these figures",
    method: "Method",
    rounded: "Other counts are rounded to a multiple of",
    rounded_after: "; each on its own, so parts do not always add up exactly to their total.",
    method_text: "where a small count could be worked out from other figures (the other buurten and the wijk, the other categories, the other months and the quarter), one more count is hidden. Meldpunt checks this with an attacker who combines every published figure of the year: no small count can be worked out exactly.",
    data_links: "The figures as open data",
    no_areas: "No areas are loaded for this year.",
    error_title: "The dashboard cannot answer this question",
    error_intro: "Please change the following:",
    back: "Back to the dashboard",
};

//! The names of a history entry's details on a report's page: the stored keys
//! (`from_department`, `rule_id`, …) in the page's language.

use super::Lang;

/// The name of detail `key` (as stored, `_id` and all) in `lang`; an unknown key is shown
/// as it is, with spaces for underscores.
pub fn detail_name(lang: Lang, key: &str) -> String {
    let key = key.trim_end_matches("_id");
    let (nl, en) = match key {
        "from" => ("van", "from"),
        "to" => ("naar", "to"),
        "text" => ("tekst", "text"),
        "reason" => ("reden", "reason"),
        "visibility" => ("zichtbaarheid", "visibility"),
        "category" => ("categorie", "category"),
        "department" => ("afdeling", "department"),
        "from_department" => ("van afdeling", "from department"),
        "to_department" => ("naar afdeling", "to department"),
        "rule" => ("regel", "rule"),
        "count" => ("aantal", "count"),
        "source" => ("bron", "source"),
        "change" | "changes" => ("wijziging", "change"),
        "lat" => ("breedtegraad", "latitude"),
        "lon" => ("lengtegraad", "longitude"),
        "into" => ("samengevoegd in", "merged into"),
        "reference" => ("referentie", "reference"),
        "priority" => ("prioriteit", "priority"),
        "assignee" | "assigned_to" => ("toegewezen aan", "assigned to"),
        "status" => ("status", "status"),
        "note" => ("notitie", "note"),
        "via" => ("via", "via"),
        "details" => ("details", "details"),
        "photos" => ("foto's", "photos"),
        other => return other.replace('_', " "),
    };
    match lang {
        Lang::Nl => nl.to_owned(),
        Lang::En => en.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_are_named_in_the_pages_language_and_unknown_ones_readably() {
        assert_eq!(detail_name(Lang::Nl, "from_department_id"), "van afdeling");
        assert_eq!(detail_name(Lang::En, "rule_id"), "rule");
        assert_eq!(detail_name(Lang::Nl, "some_new_key"), "some new key");
    }
}

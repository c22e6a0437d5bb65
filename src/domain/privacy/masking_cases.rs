//! The table of real-looking texts: what is masked, and what must stay as typed.

use super::{SIDECODES, mask};

/// Texts in which something is masked, and the text the public sees.
const MASKED: &[(&str, &str)] = &[
    // E-mail addresses.
    ("mail piet@example.nl", "mail [e-mailadres verborgen]"),
    ("mail naar Piet.Klaassen+meldpunt@gemeente-heerlen.nl.", "mail naar [e-mailadres verborgen]."),
    ("mijn adres is bad@@example.nl", "mijn adres is [e-mailadres verborgen]"),
    // Dutch phone numbers, in every grouping residents use.
    ("bel 06-12345678", "bel [telefoonnummer verborgen]"),
    ("bel 0612345678 na vijven", "bel [telefoonnummer verborgen] na vijven"),
    ("bel 06 12345678", "bel [telefoonnummer verborgen]"),
    ("bel 06 1234 5678", "bel [telefoonnummer verborgen]"),
    ("bel 06-12 34 56 78", "bel [telefoonnummer verborgen]"),
    ("tel. 045-5551234", "tel. [telefoonnummer verborgen]"),
    ("tel 045 555 12 34", "tel [telefoonnummer verborgen]"),
    ("tel (045) 555 12 34", "tel [telefoonnummer verborgen]"),
    ("tel (045)5551234", "tel [telefoonnummer verborgen]"),
    ("tel (0475) 123456", "tel [telefoonnummer verborgen]"),
    ("mobiel (06) 12345678", "mobiel [telefoonnummer verborgen]"),
    ("tel 020-1234567 of 010 123 45 67", "tel [telefoonnummer verborgen] of [telefoonnummer verborgen]"),
    ("tel 06/12345678", "tel [telefoonnummer verborgen]"),
    // Dutch numbers written internationally.
    ("bel +31 6 12345678", "bel [telefoonnummer verborgen]"),
    ("bel +31612345678", "bel [telefoonnummer verborgen]"),
    ("bel +31 (0)6 12345678", "bel [telefoonnummer verborgen]"),
    ("bel +31 (0)45-5551234", "bel [telefoonnummer verborgen]"),
    ("bel 0031 45 5551234", "bel [telefoonnummer verborgen]"),
    ("bel 0031612345678", "bel [telefoonnummer verborgen]"),
    // Numbers abroad: Belgium and Germany are next door.
    ("bel +32 2 123 45 67", "bel [telefoonnummer verborgen]"),
    ("bel 0049 241 1234567", "bel [telefoonnummer verborgen]"),
    ("bel +49-30-12345678", "bel [telefoonnummer verborgen]"),
    // Licence plates, sidecodes 1 to 14, with dashes.
    ("auto 12-34-ab", "auto [kenteken verborgen]"),
    ("auto AB-12-34", "auto [kenteken verborgen]"),
    ("auto 12-34-AB", "auto [kenteken verborgen]"),
    ("auto 12-AB-34", "auto [kenteken verborgen]"),
    ("auto AB-12-CD", "auto [kenteken verborgen]"),
    ("auto AB-CD-12", "auto [kenteken verborgen]"),
    ("auto 12-AB-CD", "auto [kenteken verborgen]"),
    ("auto 12-ABC-3", "auto [kenteken verborgen]"),
    ("auto 1-ABC-23", "auto [kenteken verborgen]"),
    ("auto XK-123-B staat ervoor", "auto [kenteken verborgen] staat ervoor"),
    ("auto X-123-BC", "auto [kenteken verborgen]"),
    ("auto XKB-12-C", "auto [kenteken verborgen]"),
    ("auto X-12-BCD", "auto [kenteken verborgen]"),
    ("auto 1-XK-234", "auto [kenteken verborgen]"),
    ("auto 123-XK-4", "auto [kenteken verborgen]"),
    ("busje xk-123-b", "busje [kenteken verborgen]"),
    // Licence plates without dashes, or with spaces, in capitals.
    ("auto XK123B", "auto [kenteken verborgen]"),
    ("auto XK 123 B", "auto [kenteken verborgen]"),
    ("auto 1ABC23.", "auto [kenteken verborgen]."),
    ("auto GBXK12", "auto [kenteken verborgen]"),
    // IBANs.
    ("terugbetalen op NL91ABNA0417164300", "terugbetalen op [IBAN verborgen]"),
    ("terugbetalen op NL91 ABNA 0417 1643 00 graag", "terugbetalen op [IBAN verborgen] graag"),
    ("rekening nl91abna0417164300", "rekening [IBAN verborgen]"),
    ("Konto DE89 3704 0044 0532 0130 00", "Konto [IBAN verborgen]"),
    // Everything at once, as the issue found it.
    (
        "bel Piet Klaassen 0698765432 of piet@example.nl, auto XK-123-B staat ervoor",
        "bel Piet Klaassen [telefoonnummer verborgen] of [e-mailadres verborgen], auto [kenteken verborgen] staat ervoor",
    ),
    (
        "Sinds 03-12-2025 staat er een auto (XK-123-B), eigenaar: 06-12345678",
        "Sinds 03-12-2025 staat er een auto ([kenteken verborgen]), eigenaar: [telefoonnummer verborgen]",
    ),
];

/// Texts a report needs to be understood: none of them is touched.
const KEPT: &[&str] = &[
    "De lantaarnpaal voor Akerstraat 12 is uit.",
    "Akerstraat 12-14, Heerlen",
    "Akerstraat 12A, 6411 AB Heerlen",
    "postcode 6411AB",
    "Sinds 12-03-2025 ligt er afval.",
    "Sinds 03-12-2025 12 uur al.",
    "Sinds 2025-03-12 ligt er afval.",
    "op 12.03.2025 om 10:30 uur",
    "op 03/12/2025 om 22.15 uur",
    "lichtmast 45-123 knippert",
    "mast 45-123 en lichtmast nr. 091712",
    "masten 091712 091713 091714",
    "schade van € 1.250,00 aan de auto",
    "kosten 1250 euro, 12 m2, 3 x 4 m",
    "de 14 045 gebeld, geen antwoord",
    "bus 45, lijn 012345",
    "sinds week 12-2025",
    "het COVID19 testpunt",
    "de A76 en de N281",
    "ongeveer 0,5 m diep",
    "kunt u mailen via het formulier?",
];

#[test]
fn personal_data_in_real_looking_texts_is_masked() {
    for (typed, shown) in MASKED {
        let masked = mask(typed);
        assert_eq!(masked.text, *shown, "{typed}");
        assert!(masked.masked, "{typed}");
    }
}

#[test]
fn house_numbers_dates_times_lamp_posts_postcodes_and_amounts_are_left_alone() {
    for typed in KEPT {
        let masked = mask(typed);
        assert_eq!(masked.text, *typed);
        assert!(!masked.masked, "{typed}");
    }
}

/// A Dutch phone number in one of the groupings residents use.
fn grouped(digits: &str, grouping: usize) -> String {
    let (head, tail) = digits.split_at(if digits.starts_with("06") { 2 } else { 3 });
    match grouping {
        0 => digits.to_owned(),
        1 => format!("{head}-{tail}"),
        2 => format!("{head} {tail}"),
        3 => format!("({head}) {tail}"),
        _ => format!("+31 {} {tail}", head.trim_start_matches('0')),
    }
}

proptest::proptest! {
    #[test]
    fn a_dutch_phone_number_in_any_grouping_inside_any_sentence_is_masked(
        area in proptest::sample::select(vec!["06", "045", "020", "010", "043"]),
        rest in "[0-9]{8}",
        grouping in 0usize..5,
        before in "[a-zA-Z ,.]{0,30}",
        after in "[a-zA-Z ,.]{0,30}",
    ) {
        let digits: String = format!("{area}{rest}").chars().take(10).collect();
        let number = grouped(&digits, grouping);
        let typed = format!("{before} {number} {after}");
        let masked = mask(&typed);
        proptest::prop_assert!(masked.masked, "{typed}");
        proptest::prop_assert!(!masked.text.contains(&number), "{typed} -> {}", masked.text);
        proptest::prop_assert!(masked.text.contains("[telefoonnummer verborgen]"));
    }

    #[test]
    fn a_licence_plate_of_every_sidecode_is_masked_with_dashes_in_any_case_and_without_in_capitals(
        code in 0usize..14,
        letters in "[A-Z]{3}",
        digits in "[0-9]{3}",
        lower in proptest::bool::ANY,
        dashed in proptest::bool::ANY,
    ) {
        let groups = SIDECODES.get(code).copied().unwrap_or_default();
        let parts: Vec<String> = groups
            .iter()
            .map(|&(kind, count)| if kind == 'L' { letters[..count].to_owned() } else { digits[..count].to_owned() })
            .collect();
        // Sidecode 2 (99-99-XX) without dashes is a postcode's shape: only with dashes.
        let dashed = dashed || code == 1;
        let plate = if dashed { parts.join("-") } else { parts.concat() };
        let plate = if lower && dashed { plate.to_lowercase() } else { plate };
        let typed = format!("de auto {plate} staat er al weken");
        proptest::prop_assert_eq!(mask(&typed).text, "de auto [kenteken verborgen] staat er al weken");
    }

    #[test]
    fn masking_twice_changes_nothing_more(typed in "[a-zA-Z0-9@ .,:()+/-]{0,80}") {
        let once = mask(&typed).text.into_owned();
        let twice = mask(&once);
        proptest::prop_assert_eq!(&twice.text, &once);
        proptest::prop_assert!(!twice.masked);
    }

    #[test]
    fn text_without_digits_or_at_signs_is_never_touched(typed in "[a-zA-Zéëï ,.!?'-]{0,120}") {
        let masked = mask(&typed);
        proptest::prop_assert_eq!(&masked.text, &typed);
    }
}

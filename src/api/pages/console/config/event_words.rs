//! The fixed words of the event webhook pages (`/console/config/event-endpoints`), in Dutch
//! (the default) and English: the endpoints, their deliveries, the failure reasons by the
//! API's `last_error_class`, and what each form did.

use crate::api::pages::dashboard::text::Lang;

/// Every fixed text of the event webhook pages.
pub struct EventWords {
    /// The language of these words (of the reasons made of them).
    pub lang: Lang,
    pub title: &'static str,
    pub intro: &'static str,
    pub no_endpoints: &'static str,
    pub url: &'static str,
    pub url_hint: &'static str,
    pub description: &'static str,
    pub description_hint: &'static str,
    pub state: &'static str,
    pub active: &'static str,
    pub paused: &'static str,
    pub filters: &'static str,
    pub all_events: &'static str,
    pub events: &'static str,
    pub departments: &'static str,
    pub categories: &'static str,
    pub areas: &'static str,
    pub contact: &'static str,
    pub contact_allowed: &'static str,
    pub contact_not_allowed: &'static str,
    pub delivered: &'static str,
    pub pending: &'static str,
    pub failing: &'static str,
    pub failing_count: &'static str,
    pub dead: &'static str,
    pub all: &'static str,
    pub counts_caption: &'static str,
    pub new_endpoint: &'static str,
    pub register: &'static str,
    /// The register form's filters and contact allowance.
    pub events_field: &'static str,
    pub events_hint: &'static str,
    pub departments_field: &'static str,
    pub departments_hint: &'static str,
    pub categories_field: &'static str,
    pub categories_hint: &'static str,
    pub areas_field: &'static str,
    pub areas_hint: &'static str,
    pub contact_field: &'static str,
    pub contact_hint: &'static str,
    pub secret_heading: &'static str,
    pub secret_text: &'static str,
    pub secret_field: &'static str,
    pub deliveries: &'static str,
    pub no_deliveries: &'static str,
    pub show: &'static str,
    pub which: &'static str,
    pub event: &'static str,
    pub report: &'static str,
    pub occurred: &'static str,
    pub status: &'static str,
    pub attempts: &'static str,
    pub held: &'static str,
    pub held_yes: &'static str,
    pub held_no: &'static str,
    pub reason: &'static str,
    pub next_attempt: &'static str,
    pub delivered_at: &'static str,
    pub replayed_mark: &'static str,
    pub older: &'static str,
    pub newest: &'static str,
    pub actions: &'static str,
    pub pause: &'static str,
    pub pause_hint: &'static str,
    pub resume: &'static str,
    pub resume_hint: &'static str,
    pub requeue: &'static str,
    pub requeue_hint: &'static str,
    pub replay: &'static str,
    pub replay_hint: &'static str,
    pub since: &'static str,
    pub delete: &'static str,
    pub delete_hint: &'static str,
    pub back: &'static str,
    pub not_done: &'static str,
    pub since_empty: &'static str,
    pub since_unreadable: &'static str,
    pub unknown_action: &'static str,
    pub not_found_title: &'static str,
    pub gone: &'static str,
    pub done_registered: &'static str,
    pub done_deleted: &'static str,
    pub done_paused: &'static str,
    pub done_resumed: &'static str,
    /// "{n} …": how many deliveries a requeue put back (one, and more than one).
    pub done_requeued: [&'static str; 2],
    /// "{n} …": how many events a replay queued (one, and more than one).
    pub done_replayed: [&'static str; 2],
    /// Event types in words, by the API's name.
    pub event_types: [(&'static str, &'static str); 5],
    /// Why the last attempt failed, by the API's `last_error_class`.
    pub classes: [(&'static str, &'static str); 4],
    pub other_class: &'static str,
    pub api_words: &'static str,
}

impl EventWords {
    /// An event type in words (the API's name when it is not known here).
    pub fn event_type<'a>(&self, name: &'a str) -> &'a str {
        self.event_types.iter().find(|(n, _)| *n == name).map_or(name, |(_, words)| words)
    }

    /// Why a delivery failed, in words, for the API's `last_error_class`.
    pub fn class(&self, class: &str) -> &'static str {
        self.classes.iter().find(|(c, _)| *c == class).map_or(self.other_class, |(_, words)| words)
    }

    /// `n` in the one-or-more sentence `forms` (`{n}` stands for the number).
    pub fn counted(&self, forms: [&'static str; 2], n: usize) -> String {
        let [one, more] = forms;
        if n == 1 { one } else { more }.replace("{n}", &n.to_string())
    }
}

/// The words in `lang`.
pub fn of(lang: Lang) -> &'static EventWords {
    match lang {
        Lang::Nl => &NL,
        Lang::En => &EN,
    }
}

static NL: EventWords = EventWords {
    lang: Lang::Nl,
    title: "Webhooks voor meldingen",
    intro: "Systemen die bij elke gebeurtenis van een melding een bericht krijgen (nieuw, status gewijzigd, notitie, doorgestuurd, samengevoegd). Per adres: wat is afgeleverd, wat wacht, wat mislukt en waarom.",
    no_endpoints: "Er zijn nog geen webhooks voor meldingen.",
    url: "Adres (URL)",
    url_hint: "Een https-adres op een openbaar adres, bijvoorbeeld https://zaaksysteem.example.nl/meldpunt/events.",
    description: "Omschrijving",
    description_hint: "Waarvoor is het? Hoogstens 200 tekens (optioneel).",
    state: "Staat",
    active: "actief",
    paused: "gepauzeerd",
    filters: "Welke gebeurtenissen",
    all_events: "alle gebeurtenissen van alle meldingen",
    events: "soorten",
    departments: "afdelingen",
    categories: "categorieën",
    areas: "gebieden",
    contact: "Contactgegevens melder",
    contact_allowed: "meegestuurd",
    contact_not_allowed: "niet meegestuurd",
    delivered: "afgeleverd",
    pending: "wachtend",
    failing: "mislukt, wordt opnieuw geprobeerd",
    failing_count: "waarvan mislukt",
    dead: "opgegeven",
    all: "alle",
    counts_caption: "Leveringen per staat",
    new_endpoint: "Nieuwe webhook",
    register: "Webhook toevoegen",
    events_field: "Welke gebeurtenissen",
    events_hint: "Niets aangevinkt: alle gebeurtenissen.",
    departments_field: "Alleen meldingen van deze afdelingen",
    departments_hint: "De korte namen (slugs), gescheiden door komma's, bijvoorbeeld openbare-verlichting. Leeg: alle afdelingen.",
    categories_field: "Alleen meldingen in deze categorieën",
    categories_hint: "De korte namen (slugs), gescheiden door komma's; een hoofdcategorie omvat haar subcategorieën. Leeg: alle categorieën.",
    areas_field: "Alleen meldingen in deze gebieden",
    areas_hint: "CBS-codes van gemeenten, wijken of buurten, gescheiden door komma's, bijvoorbeeld WK091710. Leeg: overal.",
    contact_field: "Contactgegevens van de melder meesturen",
    contact_hint: "Alleen als het systeem de melder moet kunnen benaderen. Elke levering met contactgegevens komt op uw naam in het auditlog.",
    secret_heading: "Het geheim van de nieuwe webhook",
    secret_text: "Kopieer het geheim nu: dit is de enige keer dat het getoond wordt. De ontvanger controleert er de handtekening (Meldpunt-Signature) mee.",
    secret_field: "Geheim",
    deliveries: "Leveringen",
    no_deliveries: "Er zijn geen leveringen in deze staat.",
    show: "Tonen",
    which: "Welke leveringen",
    event: "Gebeurtenis",
    report: "Melding",
    occurred: "Gebeurd op",
    status: "Staat",
    attempts: "Mislukte pogingen",
    held: "Wacht op eerdere levering",
    held_yes: "ja, na een eerdere levering van dezelfde melding",
    held_no: "nee",
    reason: "Waarom mislukt",
    next_attempt: "Volgende poging",
    delivered_at: "Afgeleverd op",
    replayed_mark: "opnieuw afgespeeld",
    older: "Oudere leveringen",
    newest: "Nieuwste leveringen",
    actions: "Acties",
    pause: "Pauzeren",
    pause_hint: "Gepauzeerd krijgt de webhook geen nieuwe gebeurtenissen; wat in de wachtrij staat, wacht.",
    resume: "Weer activeren",
    resume_hint: "Wat in de wachtrij staat, wordt op volgorde verstuurd.",
    requeue: "Opgegeven leveringen opnieuw proberen",
    requeue_hint: "Zet alle opgegeven leveringen terug in de wachtrij, met nul pogingen.",
    replay: "Opnieuw afspelen",
    replay_hint: "Elke gebeurtenis vanaf dit moment (Nederlandse tijd) die het filter doorlaat, gaat opnieuw in de wachtrij.",
    since: "Vanaf",
    delete: "Webhook en al haar leveringen verwijderen",
    delete_hint: "Dit is niet terug te draaien: gebeurtenissen in de wachtrij worden niet meer verstuurd.",
    back: "Alle webhooks",
    not_done: "Niet gedaan",
    since_empty: "vul een datum en tijd in",
    since_unreadable: "dit is geen datum en tijd; gebruik dag-maand-jaar uu:mm",
    unknown_action: "dit formulier heeft geen bekende actie; laad de pagina opnieuw",
    not_found_title: "Niet gevonden",
    gone: "Deze webhook bestaat niet (meer).",
    done_registered: "De webhook is toegevoegd.",
    done_deleted: "De webhook en haar leveringen zijn verwijderd.",
    done_paused: "De webhook is gepauzeerd: ze krijgt geen nieuwe gebeurtenissen en wat in de wachtrij staat, wacht.",
    done_resumed: "De webhook is weer actief; wat in de wachtrij staat, wordt verstuurd.",
    done_requeued: [
        "{n} opgegeven levering opnieuw in de wachtrij.",
        "{n} opgegeven leveringen opnieuw in de wachtrij.",
    ],
    done_replayed: ["{n} gebeurtenis opnieuw in de wachtrij.", "{n} gebeurtenissen opnieuw in de wachtrij."],
    event_types: [
        ("report.created", "nieuwe melding"),
        ("report.status_changed", "status gewijzigd"),
        ("report.note_added", "notitie toegevoegd"),
        ("report.rerouted", "doorgestuurd"),
        ("report.merged", "samengevoegd"),
    ],
    classes: [
        ("webhook_status", "Het adres antwoordde met een foutcode (geen 2xx)."),
        (
            "webhook_unreachable",
            "Het adres was niet bereikbaar: verbinding geweigerd, geen antwoord op tijd, naam onbekend of adres niet toegestaan.",
        ),
        ("internal", "Een fout in meldpunt zelf."),
        ("no_subscription", "De melding bestaat niet meer."),
    ],
    other_class: "Een andere fout.",
    api_words: "Melding van het systeem (Engels):",
};

static EN: EventWords = EventWords {
    lang: Lang::En,
    title: "Webhooks for reports",
    intro: "Systems that get a message at every event of a report (new, status changed, note, rerouted, merged). Per address: what was delivered, what is waiting, what is failing and why.",
    no_endpoints: "There are no webhooks for reports yet.",
    url: "Address (URL)",
    url_hint: "An https address on a public host, for example https://zaaksysteem.example.nl/meldpunt/events.",
    description: "Description",
    description_hint: "What is it for? At most 200 characters (optional).",
    state: "State",
    active: "active",
    paused: "paused",
    filters: "Which events",
    all_events: "every event of every report",
    events: "types",
    departments: "departments",
    categories: "categories",
    areas: "areas",
    contact: "Reporter's contact",
    contact_allowed: "sent along",
    contact_not_allowed: "not sent",
    delivered: "delivered",
    pending: "waiting",
    failing: "failing, will retry",
    failing_count: "of which failing",
    dead: "given up",
    all: "all",
    counts_caption: "Deliveries by state",
    new_endpoint: "New webhook",
    register: "Add webhook",
    events_field: "Which events",
    events_hint: "Nothing ticked: every event.",
    departments_field: "Only reports of these departments",
    departments_hint: "Their short names (slugs), separated by commas, for example openbare-verlichting. Empty: every department.",
    categories_field: "Only reports in these categories",
    categories_hint: "Their short names (slugs), separated by commas; a main category covers its subcategories. Empty: every category.",
    areas_field: "Only reports in these areas",
    areas_hint: "CBS codes of gemeenten, wijken or buurten, separated by commas, for example WK091710. Empty: everywhere.",
    contact_field: "Send the reporter's contact along",
    contact_hint: "Only when the system must be able to reach the reporter. Every delivery with the contact is recorded in the audit log in your name.",
    secret_heading: "The new webhook's secret",
    secret_text: "Copy the secret now: this is the only time it is shown. The receiver checks the signature (Meldpunt-Signature) with it.",
    secret_field: "Secret",
    deliveries: "Deliveries",
    no_deliveries: "There are no deliveries in this state.",
    show: "Show",
    which: "Which deliveries",
    event: "Event",
    report: "Report",
    occurred: "Happened at",
    status: "State",
    attempts: "Failed attempts",
    held: "Waits for an earlier delivery",
    held_yes: "yes, after an earlier delivery of the same report",
    held_no: "no",
    reason: "Why it failed",
    next_attempt: "Next attempt",
    delivered_at: "Delivered at",
    replayed_mark: "replayed",
    older: "Older deliveries",
    newest: "Newest deliveries",
    actions: "Actions",
    pause: "Pause",
    pause_hint: "While paused the webhook gets no new events; what is queued waits.",
    resume: "Resume",
    resume_hint: "What is queued is sent, in order.",
    requeue: "Retry the given-up deliveries",
    requeue_hint: "Puts every given-up delivery back in the queue, with no attempts.",
    replay: "Replay",
    replay_hint: "Every event from this moment on (Dutch time) that the filter lets through is queued again.",
    since: "From",
    delete: "Delete the webhook and all its deliveries",
    delete_hint: "This cannot be undone: queued events are no longer sent.",
    back: "All webhooks",
    not_done: "Not done",
    since_empty: "enter a date and time",
    since_unreadable: "this is not a date and time; use day-month-year hh:mm",
    unknown_action: "this form has no known action; reload the page",
    not_found_title: "Not found",
    gone: "This webhook does not exist (any more).",
    done_registered: "The webhook is added.",
    done_deleted: "The webhook and its deliveries are deleted.",
    done_paused: "The webhook is paused: it gets no new events and what is queued waits.",
    done_resumed: "The webhook is active again; what is queued is sent.",
    done_requeued: ["{n} given-up delivery queued again.", "{n} given-up deliveries queued again."],
    done_replayed: ["{n} event queued again.", "{n} events queued again."],
    event_types: [
        ("report.created", "new report"),
        ("report.status_changed", "status changed"),
        ("report.note_added", "note added"),
        ("report.rerouted", "rerouted"),
        ("report.merged", "merged"),
    ],
    classes: [
        ("webhook_status", "The address answered with an error code (not 2xx)."),
        (
            "webhook_unreachable",
            "The address could not be reached: connection refused, no answer in time, unknown name or address not allowed.",
        ),
        ("internal", "An error in meldpunt itself."),
        ("no_subscription", "The report no longer exists."),
    ],
    other_class: "Another error.",
    api_words: "The system's message:",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_one_reads_in_the_singular_and_any_other_in_the_plural() {
        let w = of(Lang::Nl);
        assert_eq!(w.counted(w.done_replayed, 1), "1 gebeurtenis opnieuw in de wachtrij.");
        assert_eq!(w.counted(w.done_replayed, 12), "12 gebeurtenissen opnieuw in de wachtrij.");
        assert_eq!(of(Lang::En).counted(of(Lang::En).done_requeued, 0), "0 given-up deliveries queued again.");
    }

    #[test]
    fn an_unknown_failure_class_or_event_type_still_reads_as_something() {
        let w = of(Lang::En);
        assert_eq!(w.class("webhook_unreachable"), w.classes[1].1);
        assert_eq!(w.class("something_new"), "Another error.");
        assert_eq!(w.event_type("report.merged"), "merged");
        assert_eq!(w.event_type("report.unknown"), "report.unknown");
    }

    #[test]
    fn both_languages_word_every_failure_class_and_event_type_alike() {
        let names = |w: &EventWords| (w.classes.map(|(c, _)| c), w.event_types.map(|(t, _)| t));
        assert_eq!(names(of(Lang::Nl)), names(of(Lang::En)));
    }
}

//! The backend-neutral table definitions. Both migration trees create exactly these
//! columns; UUIDs and instants use the portable types from `connection`.
//!
//! One file on purpose (about 500 lines): diesel's `table!`, `joinable!` and
//! `allow_tables_to_appear_in_same_query!` declarations must see each other.

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    departments (id) {
        id -> PortableUuid,
        slug -> Text,
        name_nl -> Text,
        name_en -> Text,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    categories (id) {
        id -> PortableUuid,
        parent_id -> Nullable<PortableUuid>,
        slug -> Text,
        name_nl -> Text,
        name_en -> Text,
        description_nl -> Nullable<Text>,
        description_en -> Nullable<Text>,
        is_public -> Bool,
        is_sensitive -> Bool,
        handling_hours -> Nullable<Integer>,
        default_department_id -> Nullable<PortableUuid>,
        questions -> Text,
        active -> Bool,
        position -> Integer,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        duplicate_radius_m -> Integer,
        duplicate_window_days -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    reports (id) {
        id -> PortableUuid,
        reference -> Text,
        category_id -> PortableUuid,
        description -> Text,
        lat -> Double,
        lon -> Double,
        address -> Nullable<Text>,
        status -> Text,
        priority -> Text,
        source -> Text,
        answers -> Text,
        department_id -> Nullable<PortableUuid>,
        deadline_at -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        gemeente_code -> Nullable<Text>,
        wijk_code -> Nullable<Text>,
        buurt_code -> Nullable<Text>,
        area_year -> Nullable<Integer>,
        routing_rule_id -> Nullable<PortableUuid>,
        routing_reason -> Text,
        department_locked -> Bool,
        media_url -> Nullable<Text>,
        assignee_id -> Nullable<PortableUuid>,
        merged_into_id -> Nullable<PortableUuid>,
        lifecycle -> Text,
        settled_at -> Nullable<PortableTimestamp>,
        me_too -> Integer,
        source_id -> Nullable<Text>,
        public_description -> Nullable<Text>,
        description_moderation -> Nullable<Text>,
        reopen_due_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    report_history (id) {
        id -> BigInt,
        report_id -> PortableUuid,
        at -> PortableTimestamp,
        actor -> Text,
        action -> Text,
        details -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    reporter_contacts (report_id) {
        report_id -> PortableUuid,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        name -> Nullable<Text>,
        consent_to_contact -> Bool,
        created_at -> PortableTimestamp,
        language -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    idempotency_keys (key) {
        key -> Text,
        request_hash -> Text,
        report_id -> PortableUuid,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    areas (id) {
        id -> BigInt,
        level -> Text,
        code -> Text,
        name -> Text,
        year -> Integer,
        gemeente_code -> Text,
        wijk_code -> Nullable<Text>,
        geometry -> Text,
        min_lon -> Double,
        min_lat -> Double,
        max_lon -> Double,
        max_lat -> Double,
        imported_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    area_imports (id) {
        id -> BigInt,
        level -> Text,
        year -> Integer,
        features -> Integer,
        source -> Text,
        imported_at -> PortableTimestamp,
        imported_by -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    routing_rules (id) {
        id -> PortableUuid,
        position -> Integer,
        name -> Text,
        active -> Bool,
        conditions -> Text,
        department_id -> PortableUuid,
        priority -> Nullable<Text>,
        deadline_hours -> Nullable<Integer>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    config_generation (id) {
        id -> Integer,
        settings -> BigInt,
        areas -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    area_figures (code, year, figure) {
        code -> Text,
        year -> Integer,
        figure -> Text,
        value -> BigInt,
        source -> Text,
        loaded_from -> Text,
        imported_at -> PortableTimestamp,
    }
}

diesel::joinable!(routing_rules -> departments (department_id));
diesel::joinable!(categories -> departments (default_department_id));
diesel::joinable!(reports -> categories (category_id));
diesel::joinable!(reports -> departments (department_id));
diesel::joinable!(report_history -> reports (report_id));
diesel::joinable!(reporter_contacts -> reports (report_id));

diesel::allow_tables_to_appear_in_same_query!(
    departments,
    categories,
    reports,
    report_history,
    reporter_contacts,
    idempotency_keys,
    areas,
    area_imports,
    area_figures,
    routing_rules,
    config_generation,
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    accounts (id) {
        id -> PortableUuid,
        email -> Text,
        name -> Text,
        role -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableUuid;

    account_departments (account_id, department_id) {
        account_id -> PortableUuid,
        department_id -> PortableUuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    auth_tokens (id) {
        id -> PortableUuid,
        account_id -> PortableUuid,
        token_hash -> Text,
        kind -> Text,
        label -> Nullable<Text>,
        created_at -> PortableTimestamp,
        expires_at -> Nullable<PortableTimestamp>,
        revoked_at -> Nullable<PortableTimestamp>,
        last_used_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    audit_log (id) {
        id -> BigInt,
        at -> PortableTimestamp,
        account_id -> PortableUuid,
        action -> Text,
        report_id -> Nullable<PortableUuid>,
    }
}

diesel::joinable!(account_departments -> accounts (account_id));
diesel::joinable!(auth_tokens -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(accounts, account_departments, auth_tokens, audit_log);
diesel::allow_tables_to_appear_in_same_query!(accounts, reports);
diesel::allow_tables_to_appear_in_same_query!(accounts, departments);
diesel::allow_tables_to_appear_in_same_query!(account_departments, reports);
diesel::allow_tables_to_appear_in_same_query!(account_departments, departments);
diesel::allow_tables_to_appear_in_same_query!(audit_log, reports);

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    follow_tokens (token_hash) {
        token_hash -> Text,
        report_id -> PortableUuid,
        created_at -> PortableTimestamp,
        supporter_id -> Nullable<PortableUuid>,
        reporter_of -> Nullable<PortableUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    report_photos (id) {
        id -> PortableUuid,
        report_id -> PortableUuid,
        position -> Integer,
        media_type -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        thumbnail_bytes -> BigInt,
        sha256 -> Text,
        thumbnail_sha256 -> Text,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    outbox (id) {
        id -> PortableUuid,
        report_id -> Nullable<PortableUuid>,
        recipient -> Text,
        language -> Text,
        template -> Text,
        params -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> PortableTimestamp,
        last_error -> Nullable<Text>,
        created_at -> PortableTimestamp,
        sent_at -> Nullable<PortableTimestamp>,
        channel -> Text,
        subscription_id -> Nullable<PortableUuid>,
        last_error_class -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(follow_tokens, reports);
diesel::allow_tables_to_appear_in_same_query!(outbox, reports);

diesel::table! {
    photo_upload_secret (id) {
        id -> Integer,
        secret -> Text,
    }
}

diesel::table! {
    map_generation (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::joinable!(report_photos -> reports (report_id));
diesel::allow_tables_to_appear_in_same_query!(report_photos, reports);

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    report_supporters (id) {
        id -> PortableUuid,
        report_id -> PortableUuid,
        email -> Nullable<Text>,
        language -> Text,
        created_at -> PortableTimestamp,
        confirmed_at -> Nullable<PortableTimestamp>,
        confirm_token_hash -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(report_supporters, reports);
diesel::allow_tables_to_appear_in_same_query!(report_supporters, follow_tokens);

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    access_requests (token_hash) {
        token_hash -> Text,
        email -> Text,
        language -> Text,
        created_at -> PortableTimestamp,
        expires_at -> PortableTimestamp,
        used_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    subscriptions (id) {
        id -> PortableUuid,
        channel -> Text,
        status -> Text,
        email -> Nullable<Text>,
        webhook_url -> Nullable<Text>,
        webhook_secret -> Nullable<Text>,
        push_endpoint -> Nullable<Text>,
        push_p256dh -> Nullable<Text>,
        push_auth -> Nullable<Text>,
        language -> Text,
        targets -> Text,
        home_area -> Nullable<Text>,
        all_tags -> Bool,
        tags -> Text,
        categories -> Text,
        confirm_token_hash -> Nullable<Text>,
        challenge -> Nullable<Text>,
        created_at -> PortableTimestamp,
        confirmed_at -> Nullable<PortableTimestamp>,
        ended_at -> Nullable<PortableTimestamp>,
        seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableUuid;

    subscription_areas (area_code, subscription_seq) {
        subscription_id -> PortableUuid,
        area_code -> Text,
        subscription_seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableUuid;

    subscription_tags (subscription_id, tag) {
        subscription_id -> PortableUuid,
        tag -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    announcements (id) {
        id -> PortableUuid,
        status -> Text,
        title -> Text,
        body -> Text,
        areas -> Text,
        polygon -> Nullable<Text>,
        tags -> Text,
        valid_from -> Nullable<PortableTimestamp>,
        valid_until -> Nullable<PortableTimestamp>,
        question_text -> Nullable<Text>,
        question_options -> Nullable<Text>,
        question_closed_at -> Nullable<PortableTimestamp>,
        publish_at -> Nullable<PortableTimestamp>,
        published_at -> Nullable<PortableTimestamp>,
        withdrawn_at -> Nullable<PortableTimestamp>,
        created_by -> Text,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        seq -> BigInt,
        deliveries_claimed_to -> BigInt,
        deliveries_last -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    announcement_deliveries (announcement_seq, subscription_seq) {
        announcement_seq -> BigInt,
        subscription_seq -> BigInt,
        channel -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<PortableTimestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<PortableTimestamp>,
        last_error_class -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableUuid;

    announcement_areas (area_code, announcement_id) {
        announcement_id -> PortableUuid,
        area_code -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    answers (announcement_id, subscription_id) {
        announcement_id -> PortableUuid,
        subscription_id -> PortableUuid,
        option -> Integer,
        area_code -> Text,
        answered_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableUuid;

    subscription_categories (category_slug, subscription_id) {
        subscription_id -> PortableUuid,
        category_slug -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    report_alert_cursor (id) {
        id -> Integer,
        created_at -> PortableTimestamp,
        report_id -> PortableUuid,
    }
}

diesel::table! {
    link_secrets (purpose) {
        purpose -> Text,
        secret -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    subscriptions,
    subscription_areas,
    subscription_tags,
    subscription_categories,
    announcements,
    announcement_areas,
    announcement_deliveries,
    answers,
    outbox,
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    projects (id) {
        id -> PortableUuid,
        name -> Text,
        description -> Text,
        definition -> Text,
        status -> Text,
        frozen_at -> Nullable<PortableTimestamp>,
        closed_at -> Nullable<PortableTimestamp>,
        created_by -> Text,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    project_changes (id) {
        id -> BigInt,
        project_id -> PortableUuid,
        at -> PortableTimestamp,
        actor -> Text,
        action -> Text,
        details -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableUuid;

    stats_months (gemeente_code, area_year, month, wijk_code, buurt_code, category_id, department_id, source) {
        gemeente_code -> Text,
        area_year -> Integer,
        month -> Integer,
        wijk_code -> Text,
        buurt_code -> Text,
        category_id -> PortableUuid,
        department_id -> PortableUuid,
        source -> Text,
        received -> Integer,
        me_too -> Integer,
        resolved -> Integer,
        cancelled -> Integer,
        reopened -> Integer,
        with_deadline -> Integer,
        on_time -> Integer,
        late_factor_3 -> Integer,
        open_change -> Integer,
        resolution_seconds -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    stats_rollup_state (id) {
        id -> Integer,
        built_at -> PortableTimestamp,
        reports -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    report_records (id) {
        id -> PortableUuid,
        category_id -> PortableUuid,
        department_id -> Nullable<PortableUuid>,
        source -> Text,
        status -> Text,
        created_at -> PortableTimestamp,
        deadline_at -> Nullable<PortableTimestamp>,
        settled_at -> Nullable<PortableTimestamp>,
        lifecycle -> Text,
        me_too -> Integer,
        gemeente_code -> Nullable<Text>,
        wijk_code -> Nullable<Text>,
        buurt_code -> Nullable<Text>,
        area_year -> Nullable<Integer>,
        cell_lat -> Double,
        cell_lon -> Double,
        deleted_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    retention_runs (id) {
        id -> BigInt,
        started_at -> PortableTimestamp,
        finished_at -> Nullable<PortableTimestamp>,
        trigger -> Text,
        outcome -> Text,
        anonymised_reports -> BigInt,
        deleted_photos -> BigInt,
        deleted_resolved_reports -> BigInt,
        deleted_cancelled_reports -> BigInt,
        erased_outbox_messages -> BigInt,
        purged_subscriptions -> BigInt,
        purged_audit_entries -> BigInt,
        removed_tokens -> BigInt,
        purged_supporter_addresses -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::PortableTimestamp;

    retention_lease (id) {
        id -> Integer,
        holder -> Text,
        expires_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    event_endpoints (id) {
        id -> PortableUuid,
        url -> Text,
        secret -> Text,
        description -> Text,
        event_types -> Text,
        departments -> Text,
        categories -> Text,
        areas -> Text,
        include_reporter_contact -> Bool,
        contact_allowed_by -> Nullable<PortableUuid>,
        active -> Bool,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    report_events (id) {
        id -> PortableUuid,
        report_id -> PortableUuid,
        event_type -> Text,
        data -> Text,
        occurred_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    event_deliveries (id) {
        id -> BigInt,
        endpoint_id -> PortableUuid,
        event_id -> PortableUuid,
        report_id -> PortableUuid,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> PortableTimestamp,
        last_error -> Nullable<Text>,
        last_error_class -> Nullable<Text>,
        replay -> Bool,
        contact_included -> Bool,
        created_at -> PortableTimestamp,
        delivered_at -> Nullable<PortableTimestamp>,
    }
}

diesel::joinable!(event_deliveries -> report_events (event_id));
diesel::joinable!(event_deliveries -> event_endpoints (endpoint_id));
diesel::allow_tables_to_appear_in_same_query!(event_deliveries, report_events, event_endpoints);

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    survey_answers (id) {
        id -> PortableUuid,
        satisfied -> Bool,
        text_nl -> Text,
        text_en -> Text,
        reopens -> Bool,
        position -> Integer,
        active -> Bool,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::storage::connection::{PortableTimestamp, PortableUuid};

    surveys (id) {
        id -> PortableUuid,
        report_id -> Nullable<PortableUuid>,
        sent_at -> PortableTimestamp,
        expires_at -> PortableTimestamp,
        answered_at -> Nullable<PortableTimestamp>,
        satisfied -> Nullable<Bool>,
        answer_id -> Nullable<PortableUuid>,
        reopen_requested -> Bool,
        category_id -> Nullable<PortableUuid>,
        department_id -> Nullable<PortableUuid>,
        source -> Nullable<Text>,
        gemeente_code -> Nullable<Text>,
        wijk_code -> Nullable<Text>,
        buurt_code -> Nullable<Text>,
        area_year -> Nullable<Integer>,
    }
}

//! The backend-neutral table definitions. Both migration trees create exactly these
//! columns; UUIDs and instants use the portable types from `connection`.
#![expect(missing_docs, reason = "diesel::table! generates undocumented modules and column types")]

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
);

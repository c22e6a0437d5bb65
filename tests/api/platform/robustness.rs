//! Arbitrary input never crashes the server or half-stores a report: every answer is a
//! 201 or a 4xx problem document, and the number of stored reports equals the 201s.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("straatverlichting-openbare-klok")),
        Just(json!("uit")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid report with one field (possibly nested) replaced by arbitrary JSON.
fn mutated_report() -> impl Strategy<Value = Value> {
    let fields = prop::sample::select(vec![
        "/category",
        "/description",
        "/location",
        "/location/lat",
        "/location/lon",
        "/address",
        "/reporter",
        "/reporter/email",
        "/reporter/phone",
        "/answers",
        "/answers/probleem",
        "/answers/aantal_lampen",
        "/extra",
    ]);
    (fields, any_json()).prop_map(|(pointer, value)| {
        let mut body = street_light_report();
        body["reporter"] = json!({"email": "a@b.nl"});
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() { Some(&mut body) } else { body.pointer_mut(parent) };
        if let Some(Value::Object(map)) = target {
            map.insert(key.to_owned(), value);
        }
        body
    })
}

on_both_backends! {
    async fn arbitrary_bodies_get_a_201_or_a_problem_and_nothing_half_stored(app) {
        let mut runner = TestRunner::deterministic();
        let whole = any_json();
        let mutated = mutated_report();
        let mut created = 0;
        for case in 0..160 {
            let body = if case % 4 == 0 {
                whole.new_tree(&mut runner).unwrap().current()
            } else {
                mutated.new_tree(&mut runner).unwrap().current()
            };
            let response = app.post_report(&body, None).await;
            let status = response.status().as_u16();
            match status {
                201 => created += 1,
                400..=499 => {
                    expect_problem(response, status).await;
                }
                other => panic!("{other} for body {body}"),
            }
        }
        assert_eq!(app.stored_reports().await, created);
        assert!(created > 0, "some mutations keep the report valid");
    }
}

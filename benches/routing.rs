//! A routing decision with 200 rules of every kind (categories, areas, a polygon, weekdays,
//! time windows, answers). The report matches only the last rule: the worst case.
//!
//! Short run: `cargo bench --bench routing -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use chrono::{NaiveTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use geo::{LineString, MultiPolygon, Polygon};
use meldpunt::domain::routing::{Conditions, RoutingInput, Rule, route, route_fast};
use serde_json::{Map, Value};
use uuid::Uuid;

fn rules() -> Vec<Rule> {
    let mut rules = Vec::with_capacity(200);
    for i in 0..199u32 {
        let mut conditions = Conditions::default();
        match i % 5 {
            0 => {
                conditions.categories = [format!("categorie-{i}"), "grofvuil".to_owned()].into();
            }
            1 => {
                conditions.categories = ["straatverlichting-openbare-klok".to_owned()].into();
                conditions.areas = [format!("WK0917{:02}", i % 90 + 10), format!("BU0917{:04}", i)].into();
            }
            2 => {
                let (x, y) = (4.0 + f64::from(i) * 0.01, 52.0);
                let ring =
                    LineString::from(vec![(x, y), (x + 0.005, y), (x + 0.005, y + 0.005), (x, y + 0.005), (x, y)]);
                conditions.polygon = Some(MultiPolygon(vec![Polygon::new(ring, vec![])]));
            }
            3 => {
                conditions.weekdays = [5, 6].into();
                conditions.time_window = NaiveTime::from_hms_opt(22, 0, 0).zip(NaiveTime::from_hms_opt(6, 0, 0));
            }
            _ => {
                conditions.categories = ["straatverlichting-openbare-klok".to_owned()].into();
                conditions.answers = [("probleem".to_owned(), vec![Value::from("knippert")])].into();
            }
        }
        rules.push(Rule {
            id: Uuid::from_u128(u128::from(i) + 1),
            name: format!("rule {i}"),
            active: true,
            conditions,
            department_id: Uuid::from_u128(1000 + u128::from(i)),
            priority: None,
            deadline_hours: None,
        });
    }
    rules.push(Rule {
        id: Uuid::from_u128(999),
        name: "the one that matches".into(),
        active: true,
        conditions: Conditions { areas: ["WK091733".to_owned()].into(), ..Conditions::default() },
        department_id: Uuid::from_u128(5000),
        priority: Some("high".into()),
        deadline_hours: None,
    });
    rules
}

fn routing(c: &mut Criterion) {
    let rules = rules();
    let mut answers = Map::new();
    answers.insert("probleem".into(), Value::from("uit"));
    let input = RoutingInput {
        category: "straatverlichting-openbare-klok",
        main_category: Some("wegen-verkeer-straatmeubilair"),
        area_codes: vec!["GM0917", "WK091733", "BU09173301"],
        lon: 5.98,
        lat: 50.88,
        answers: &answers,
        at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single().unwrap_or_default(),
    };
    let (department, rule) = route_fast(&rules, &input, None);
    assert_eq!((department, rule.map(|r| r.id)), (Some(Uuid::from_u128(5000)), Some(Uuid::from_u128(999))));
    let mut group = c.benchmark_group("routing, 200 rules, last one matches");
    group.bench_function("route_fast (intake)", |b| b.iter(|| route_fast(black_box(&rules), black_box(&input), None)));
    group.bench_function("route with explanations (explain)", |b| {
        b.iter(|| route(black_box(&rules), black_box(&input), None))
    });
    group.finish();
}

mod group {
    use super::*;
    criterion_group!(benches, routing);
}
criterion_main!(group::benches);

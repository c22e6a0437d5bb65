//! Point lookup over a synthetic national tessellation: ~15,000 buurt-like polygons with
//! 52-200 vertices each over the bounding box of the Netherlands, neighbours sharing their
//! jittered edges exactly (like a real CBS layer), plus 342 gemeente rectangles.
//! Goal: at least 1 million lookups per second on one core (criterion prints it as
//! `thrpt … elem/s`; one element is one lookup).
//!
//! Short run: `cargo bench --bench lookup -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use meldpunt::domain::area::{Area, AreaLevel};
use meldpunt::domain::spatial::AreaIndex;

const MIN_LON: f64 = 3.36;
const MAX_LON: f64 = 7.23;
const MIN_LAT: f64 = 50.75;
const MAX_LAT: f64 = 53.56;
const COLUMNS: usize = 150;
const ROWS: usize = 100;

/// A small deterministic hash (splitmix64), so every run builds the same map.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn unit(x: u64) -> f64 {
    (mix(x) >> 11) as f64 / (1u64 << 53) as f64
}

fn corner(column: usize, row: usize) -> Coord<f64> {
    Coord {
        x: MIN_LON + (MAX_LON - MIN_LON) * column as f64 / COLUMNS as f64,
        y: MIN_LAT + (MAX_LAT - MIN_LAT) * row as f64 / ROWS as f64,
    }
}

/// The points of the edge from `a` to `b` (without `b`), jittered across the edge; the same
/// edge id always gives the same points, so neighbours share the edge exactly.
fn edge(id: u64, a: Coord<f64>, b: Coord<f64>, reversed: bool) -> Vec<Coord<f64>> {
    let segments = 13 + (mix(id) % 38) as usize; // 13..=50 per edge: 52..200 per polygon
    let (from, to) = if reversed { (b, a) } else { (a, b) };
    let length = ((to.x - from.x).powi(2) + (to.y - from.y).powi(2)).sqrt();
    let (nx, ny) = (-(to.y - from.y) / length, (to.x - from.x) / length);
    let mut points: Vec<Coord<f64>> = (0..segments)
        .map(|i| {
            let t = i as f64 / segments as f64;
            // Tapered to zero at the corners so edges never cross.
            let amplitude = 0.12 * length * (std::f64::consts::PI * t).sin();
            let offset = amplitude * (unit(id * 1000 + i as u64) - 0.5);
            Coord { x: from.x + t * (to.x - from.x) + offset * nx, y: from.y + t * (to.y - from.y) + offset * ny }
        })
        .collect();
    if reversed {
        // Walk the shared edge the other way: from `a` (its end point) back to `b`.
        points.push(to);
        points.reverse();
        points.pop();
    }
    points
}

fn tessellation() -> Vec<Area> {
    let horizontal = |c: usize, r: usize| (r * (COLUMNS + 1) + c) as u64 * 2;
    let vertical = |c: usize, r: usize| (r * (COLUMNS + 1) + c) as u64 * 2 + 1;
    let mut areas = Vec::with_capacity(COLUMNS * ROWS + 342);
    for row in 0..ROWS {
        for column in 0..COLUMNS {
            let (a, b, c, d) =
                (corner(column, row), corner(column + 1, row), corner(column + 1, row + 1), corner(column, row + 1));
            let mut ring = edge(horizontal(column, row), a, b, false);
            ring.extend(edge(vertical(column + 1, row), b, c, false));
            ring.extend(edge(horizontal(column, row + 1), c, d, true));
            ring.extend(edge(vertical(column, row), d, a, true));
            ring.push(a);
            let n = row * COLUMNS + column;
            let code = format!("BU{:04}{:02}{:02}", n / 100, (n / 10) % 10, n % 10);
            areas.push(Area {
                level: AreaLevel::Buurt,
                gemeente_code: format!("GM{:04}", n / 100),
                wijk_code: Some(format!("WK{:04}{:02}", n / 100, (n / 10) % 10)),
                name: code.clone(),
                code,
                year: 2025,
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
            });
        }
    }
    // 342 gemeenten as a coarse grid of rectangles (18 x 19).
    for g in 0..342usize {
        let (column, row) = (g % 18, g / 18);
        let x0 = MIN_LON + (MAX_LON - MIN_LON) * column as f64 / 18.0;
        let x1 = MIN_LON + (MAX_LON - MIN_LON) * (column + 1) as f64 / 18.0;
        let y0 = MIN_LAT + (MAX_LAT - MIN_LAT) * row as f64 / 19.0;
        let y1 = MIN_LAT + (MAX_LAT - MIN_LAT) * (row + 1) as f64 / 19.0;
        let ring = LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
        let code = format!("GM{g:04}");
        areas.push(Area {
            level: AreaLevel::Gemeente,
            gemeente_code: code.clone(),
            wijk_code: None,
            name: code.clone(),
            code,
            year: 2025,
            geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
        });
    }
    areas
}

fn points(count: usize) -> Vec<(f64, f64)> {
    (0..count as u64)
        .map(|i| {
            (MIN_LON + (MAX_LON - MIN_LON) * unit(7_000_000 + i), MIN_LAT + (MAX_LAT - MIN_LAT) * unit(9_000_000 + i))
        })
        .collect()
}

fn lookup(c: &mut Criterion) {
    let areas = tessellation();
    let vertices: usize = areas
        .iter()
        .filter(|a| a.level == AreaLevel::Buurt)
        .map(|a| a.geometry.0.iter().map(|p| p.exterior().0.len()).sum::<usize>())
        .sum();
    let started = std::time::Instant::now();
    let index = AreaIndex::new(areas);
    println!(
        "synthetic tessellation: {} areas ({} buurten, {:.0} vertices per buurt on average), index built in {:?}",
        index.len(),
        COLUMNS * ROWS,
        vertices as f64 / (COLUMNS * ROWS) as f64,
        started.elapsed()
    );
    let queries = points(10_000);
    let found = queries.iter().filter(|(x, y)| index.find(AreaLevel::Buurt, *x, *y).is_some()).count();
    println!("{found} of {} random points fall in a buurt", queries.len());
    // A quick figure straight away (the criterion lines below are the measurement).
    let started = std::time::Instant::now();
    let mut hits = 0usize;
    for _ in 0..20 {
        for (x, y) in &queries {
            hits += usize::from(index.locate(black_box(*x), black_box(*y)).is_some());
        }
    }
    let rate = (20 * queries.len()) as f64 / started.elapsed().as_secs_f64();
    println!("locate: about {:.2} million lookups/s on one core ({hits} hits)", rate / 1e6);

    let mut group = c.benchmark_group("area lookup, 15,000 buurten");
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("find buurt (10,000 points)", |b| {
        b.iter(|| {
            queries.iter().filter(|(x, y)| index.find(AreaLevel::Buurt, black_box(*x), black_box(*y)).is_some()).count()
        })
    });
    group.bench_function("locate gemeente+wijk+buurt (10,000 points)", |b| {
        b.iter(|| queries.iter().filter(|(x, y)| index.locate(black_box(*x), black_box(*y)).is_some()).count())
    });
    group.finish();
}

mod group {
    use super::*;
    criterion_group!(benches, lookup);
}
criterion_main!(group::benches);

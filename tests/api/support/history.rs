//! Histories for the import (`POST /api/v1/admin/imports/reports`): reports of past periods,
//! which is how tests give statistics and open data ended months to count.

use reqwest::Method;

use super::app::TestApp;

/// A history CSV being written: every report carries the same description.
pub struct History {
    lines: Vec<String>,
    description: String,
    prefix: &'static str,
}

impl History {
    /// An empty history whose reports' source ids start with `prefix` and whose
    /// descriptions read `description`.
    pub fn new(prefix: &'static str, description: &str) -> Self {
        History {
            lines: vec![
                "source_id,category,description,lat,lon,created_at,closed_at,final_status,department".to_owned(),
            ],
            description: description.replace('"', "\"\""),
            prefix,
        }
    }

    /// Adds `n` reports of `category` at `(lat, lon)` received on `day` at 10:00, closed at
    /// `closed` (empty: not closed) with `status`.
    pub fn add(&mut self, n: usize, category: &str, (lat, lon): (f64, f64), day: &str, closed: &str, status: &str) {
        for _ in 0..n {
            let id = self.lines.len();
            self.lines.push(format!(
                "{}-{id},{category},\"{}\",{lat},{lon},{day} 10:00:00,{closed},{status},",
                self.prefix, self.description
            ));
        }
    }

    /// The CSV.
    pub fn csv(&self) -> String {
        self.lines.join("\n")
    }
}

/// Imports `csv` as an admin and asserts it was taken whole.
pub async fn import(app: &TestApp, csv: String) {
    let response = app
        .admin(Method::POST, "/api/v1/admin/imports/reports")
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
}

//! Crash safety: intake at about 1,000 reports/s, the server killed with SIGKILL at a random
//! moment and restarted, unanswered requests retried with the same Idempotency-Key and body.
//! Every acknowledged or retried report is stored exactly once, none twice, and the outbox
//! holds exactly one confirmation per report with an email. `benches/crash.sh` runs more
//! rounds (`MELDPUNT_CRASH_ROUNDS`) and prints the figures.

use std::time::Duration;

use crate::support::app::fresh_database;
use crate::support::backends::on_both_backends;
use crate::support::crash::{CrashPlan, crash_rounds};

fn plan() -> CrashPlan {
    let rounds = std::env::var("MELDPUNT_CRASH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let rate = std::env::var("MELDPUNT_CRASH_RATE").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    CrashPlan { rounds, rate, kill_after: (Duration::from_millis(300), Duration::from_millis(2500)) }
}

on_both_backends! {
    async fn reports_acknowledged_or_retried_after_a_sigkill_are_stored_exactly_once_with_one_confirmation_each(
        backend: Backend
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (url, _guard) = fresh_database(backend);
        let tally = crash_rounds(backend, &url, dir.path(), plan()).await;
        println!("MELDPUNT_CRASH backend={backend:?} {tally}");
        assert!(tally.unexpected.is_empty(), "unexpected answers: {:?}", &tally.unexpected[..tally.unexpected.len().min(5)]);
        assert!(tally.acknowledged > 0, "some reports were acknowledged before the kill: {tally}");
        assert_eq!(tally.lost, 0, "{tally}");
        assert_eq!(tally.duplicated, 0, "{tally}");
        assert_eq!(tally.missing_confirmations, 0, "{tally}");
        assert_eq!(tally.stored, tally.acknowledged + tally.retried, "every report sent is stored once: {tally}");
    }
}

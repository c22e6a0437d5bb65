//! The log sink: everything the servers of a test run log, scanned for personal data.
//!
//! Every in-process server of the run logs through one global `tracing` subscriber (there
//! can be only one per process), installed here on first use at [`FILTER`]: debug for
//! meldpunt itself, which covers the request spans and every event its code emits. The
//! output of `meldpunt` processes that tests start and capture is added with
//! [`record_process`]. Each line is
//!
//! - appended to `test-logs/api.log` under the cargo target directory (emptied when the
//!   run starts), for a person to read, and
//! - scanned by [`super::pii`]; a line with personal data is kept, redacted.
//!
//! Every test written with `on_both_backends!` ends with [`assert_no_personal_data`], which
//! fails while any line logged so far in the run held personal data. Tests run in
//! parallel, so the test that fails need not be the one whose request was logged: the
//! message shows the offending lines (with the personal data replaced by its kind) and the
//! log file to read. A leak logged after the last such test has finished goes unnoticed
//! by the assertions (it is still in the file); tests that never start a server or a
//! process add nothing.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, MutexGuard, Once, PoisonError};

use meldpunt::config::LogFormat;
use regex::Regex;
use tracing_subscriber::fmt::MakeWriter;

use super::pii;

/// The servers' log level in tests. Third-party crates stay at info: at debug, hyper,
/// reqwest and rustls (the test clients share the process and the subscriber) log every
/// connection and read, which multiplies the log without saying anything about meldpunt.
/// `MELDPUNT_TEST_LOG` replaces it (e.g. `debug` for everything); below debug for meldpunt
/// the test `requests_that_carry_personal_data_are_logged_at_debug_level_without_any_of_it`
/// fails, so the scan cannot pass by seeing nothing.
pub const FILTER: &str = "info,meldpunt=debug";

/// What the sink has seen in this run.
struct Seen {
    /// Every line, in the order written (process output prefixed with its source).
    lines: Vec<String>,
    /// The lines that held personal data, redacted.
    hits: Vec<String>,
    file: Option<File>,
}

static SEEN: LazyLock<Mutex<Seen>> = LazyLock::new(|| {
    let path = log_file();
    let file = path.parent().and_then(|dir| std::fs::create_dir_all(dir).ok()).and_then(|()| File::create(&path).ok());
    Mutex::new(Seen { lines: Vec::new(), hits: Vec::new(), file })
});

fn seen() -> MutexGuard<'static, Seen> {
    SEEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `<target>/test-logs/api.log`: next to cargo's `tmp` folder for integration tests.
pub fn log_file() -> PathBuf {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("test-logs").join("api.log")
}

/// The filter the subscriber is installed with.
pub fn filter() -> String {
    std::env::var("MELDPUNT_TEST_LOG").unwrap_or_else(|_| FILTER.into())
}

/// Installs the subscriber that writes to the sink (once per run; later calls do nothing).
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        LazyLock::force(&SEEN);
        let installed = meldpunt::telemetry::init_with_writer(&filter(), LogFormat::Text, ToSink);
        assert!(installed, "another tracing subscriber was installed before the test log sink");
    });
}

/// Adds what a `meldpunt` process wrote (stdout and stderr) to the sink, each line prefixed
/// with `[source]`.
pub fn record_process(source: &str, output: &str) {
    record(Some(source), output);
}

/// Adds a captured process's output (see [`record_process`]).
pub fn record_output(source: &str, output: &std::process::Output) {
    record_process(source, &String::from_utf8_lossy(&output.stdout));
    record_process(source, &String::from_utf8_lossy(&output.stderr));
}

/// A terminal colour code: `meldpunt` processes colour their log even into a pipe.
static COLOUR: LazyLock<Regex> = LazyLock::new(|| Regex::new("\x1b\\[[0-9;]*m").unwrap());

/// A line of `meldpunt`'s text log (not something a command printed).
static LOG_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}T[0-9:.]+Z +(?:TRACE|DEBUG|INFO|WARN|ERROR) ").unwrap());

/// Whether `line` (of a process's output) is a log line rather than printed output.
pub fn is_log_line(line: &str) -> bool {
    LOG_LINE.is_match(&COLOUR.replace_all(line, ""))
}

fn record(source: Option<&str>, text: &str) {
    let text = COLOUR.replace_all(text, "");
    let mut seen = seen();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let line = match source {
            Some(source) => format!("[{source}] {line}"),
            None => line.to_owned(),
        };
        if let Some(file) = seen.file.as_mut() {
            let _ = file.write_all(format!("{line}\n").as_bytes());
        }
        if !pii::scan(&line).is_empty() {
            seen.hits.push(pii::redact(&line));
        }
        seen.lines.push(line);
    }
}

/// How many lines the sink holds: a mark for [`lines_since`].
pub fn mark() -> usize {
    seen().lines.len()
}

/// The lines written since `mark` (by every test running meanwhile, not only the caller).
pub fn lines_since(mark: usize) -> Vec<String> {
    seen().lines.get(mark..).map(<[String]>::to_vec).unwrap_or_default()
}

/// Fails when any line logged so far in this run held personal data.
pub fn assert_no_personal_data() {
    let seen = seen();
    if seen.hits.is_empty() {
        return;
    }
    let shown: Vec<&str> = seen.hits.iter().take(20).map(String::as_str).collect();
    panic!(
        "{} log line(s) of this test run hold personal data. Tests run in parallel: the culprit may be another \
         test than this one. The whole log is {}. The lines, personal data replaced by its kind{}:\n{}",
        seen.hits.len(),
        log_file().display(),
        if seen.hits.len() > shown.len() { " (the first 20)" } else { "" },
        shown.join("\n")
    );
}

/// The subscriber's writer: one [`EventWriter`] per event.
struct ToSink;

impl<'a> MakeWriter<'a> for ToSink {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(Vec::new())
    }
}

/// Collects one formatted event and hands it to the sink when dropped.
struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            record(None, &String::from_utf8_lossy(&self.0));
        }
    }
}

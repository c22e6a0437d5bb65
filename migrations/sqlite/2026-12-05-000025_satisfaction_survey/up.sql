-- The satisfaction survey after resolution (issue 18 §2, docs/api-guide.md).
--
-- A report in `reopen_requested` (the resident asked to reopen it) has a short handling
-- term of its own: `reopen_due_at`, set when the request arrives and cleared when staff
-- decide. While set, it is the deadline the queue's overdue rule reads.
ALTER TABLE reports ADD COLUMN reopen_due_at TEXT;

-- The standard answers residents choose from (admin API), per side (satisfied or not);
-- `reopens`: choosing it asks staff to reopen the report. Never deleted, only deactivated,
-- so that recorded answers keep their text.
CREATE TABLE survey_answers (
    id TEXT PRIMARY KEY NOT NULL,
    satisfied BOOLEAN NOT NULL,
    text_nl TEXT NOT NULL,
    text_en TEXT NOT NULL,
    reopens BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

-- One survey per resolution emailed to the reporter. The link is signed (HMAC of the
-- survey id), so no token is stored. No free text is kept here: the resident's text
-- becomes an internal note in the report's history (docs/privacy.md). The report's
-- department, category, source and areas are copied when the answer arrives, so that the
-- satisfaction statistics keep counting after the report is deleted (report_id NULL).
CREATE TABLE surveys (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT REFERENCES reports (id) ON DELETE SET NULL,
    sent_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    answered_at TEXT,
    satisfied BOOLEAN,
    answer_id TEXT REFERENCES survey_answers (id),
    reopen_requested BOOLEAN NOT NULL DEFAULT 0,
    category_id TEXT,
    department_id TEXT,
    source TEXT,
    gemeente_code TEXT,
    wijk_code TEXT,
    buurt_code TEXT,
    area_year INTEGER
);
CREATE INDEX surveys_report ON surveys (report_id);
CREATE INDEX surveys_stats ON surveys (gemeente_code, area_year, answered_at) WHERE answered_at IS NOT NULL;

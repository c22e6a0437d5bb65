-- The satisfaction survey after resolution (issue 18 §2, docs/api-guide.md).
--
-- A report in `reopen_requested` (the resident asked to reopen it) has a short handling
-- term of its own: `reopen_due_at`, set when the request arrives and cleared when staff
-- decide. While set, it is the deadline the queue's overdue rule reads.
ALTER TABLE reports ADD COLUMN reopen_due_at timestamptz;

-- The standard answers residents choose from (admin API), per side (satisfied or not);
-- `reopens`: choosing it asks staff to reopen the report. Never deleted, only deactivated,
-- so that recorded answers keep their text.
CREATE TABLE survey_answers (
    id uuid PRIMARY KEY,
    satisfied boolean NOT NULL,
    text_nl text NOT NULL,
    text_en text NOT NULL,
    reopens boolean NOT NULL,
    position integer NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL
);

-- One survey per resolution emailed to the reporter. The link is signed (HMAC of the
-- survey id), so no token is stored. No free text is kept here: the resident's text
-- becomes an internal note in the report's history (docs/privacy.md). The report's
-- department, category, source and areas are copied when the answer arrives, so that the
-- satisfaction statistics keep counting after the report is deleted (report_id NULL).
CREATE TABLE surveys (
    id uuid PRIMARY KEY,
    report_id uuid REFERENCES reports (id) ON DELETE SET NULL,
    sent_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    answered_at timestamptz,
    satisfied boolean,
    answer_id uuid REFERENCES survey_answers (id),
    reopen_requested boolean NOT NULL DEFAULT false,
    category_id uuid,
    department_id uuid,
    source text,
    gemeente_code text,
    wijk_code text,
    buurt_code text,
    area_year integer
);
CREATE INDEX surveys_report ON surveys (report_id);
CREATE INDEX surveys_stats ON surveys (gemeente_code, area_year, answered_at) WHERE answered_at IS NOT NULL;

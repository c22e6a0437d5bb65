DROP TABLE surveys;
DROP TABLE survey_answers;
ALTER TABLE reports DROP COLUMN reopen_due_at;

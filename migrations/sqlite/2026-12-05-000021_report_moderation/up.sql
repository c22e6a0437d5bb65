-- Moderation of a report's public description (src/domain/privacy/moderation.rs): staff may
-- hide it ('hidden') or publish a text of their own ('rewritten', the text in
-- public_description). The resident's original stays in reports.description for staff.
-- NULL in both: the resident's description is published (masked). Every change is in
-- report_history ('description_moderated').
ALTER TABLE reports ADD COLUMN public_description TEXT;
-- Written only by src/storage/moderation.rs; a value it does not know reads as
-- 'hidden' (when in doubt, publish nothing).
ALTER TABLE reports ADD COLUMN description_moderation TEXT;

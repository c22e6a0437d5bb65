ALTER TABLE reports DROP COLUMN description_moderation;
ALTER TABLE reports DROP COLUMN public_description;

DROP TABLE project_changes;
DROP TABLE projects;

-- A write key is public in a web page: by default any origin may send (a project can restrict it with
-- `touchline projects set NAME allowed_origins https://a.example,https://b.example`).
ALTER TABLE ops.projects ALTER COLUMN allowed_origins SET DEFAULT '{*}';
UPDATE ops.projects SET allowed_origins = '{*}' WHERE allowed_origins = '{}';

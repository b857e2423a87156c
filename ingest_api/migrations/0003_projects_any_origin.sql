-- A write key is public in a web page: by default any origin may send (a project can restrict it with
-- `touchline projects set NAME allowed_origins https://a.example,https://b.example`).
alter table ops.projects alter column allowed_origins set default '{*}';
update ops.projects set allowed_origins = '{*}' where allowed_origins = '{}';

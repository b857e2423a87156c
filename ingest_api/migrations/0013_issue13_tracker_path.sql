-- touchline.js under a path of the project's own (ad blockers drop `/t.js`): `touchline projects set NAME
-- tracker_path /js/app.js`. Unique across projects; the shape is checked by touchline/projects.py too.
alter table ops.projects add column tracker_path text unique
    check (tracker_path ~ '^/[A-Za-z0-9._/-]{1,120}\.js$' and tracker_path !~ '^/(v1|api|beacon|e|batch)/');

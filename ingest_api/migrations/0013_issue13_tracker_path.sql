-- touchline.js under a path of the project's own (ad blockers drop `/t.js`): `touchline projects set NAME
-- tracker_path /js/app.js`. Unique across projects; the shape is checked by touchline/projects.py too.
ALTER TABLE ops.projects ADD COLUMN tracker_path text UNIQUE
    CHECK (tracker_path ~ '^/[A-Za-z0-9._/-]{1,120}\.js$' AND tracker_path !~ '^/(v1|api|beacon|e|batch)/');

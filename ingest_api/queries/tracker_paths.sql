-- The paths projects serve touchline.js under besides /t.js (`touchline projects set NAME tracker_path`).
select tracker_path from ops.projects where tracker_path is not null

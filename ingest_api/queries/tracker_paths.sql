-- The paths projects serve touchline.js under besides /t.js (`touchline projects set NAME tracker_path`).
SELECT tracker_path FROM ops.projects WHERE tracker_path IS NOT NULL

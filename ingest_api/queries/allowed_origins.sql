-- Every origin some project allows (without a trailing slash): what a CORS preflight (which carries no
-- key) is checked against.
SELECT DISTINCT rtrim(origin, '/') FROM ops.projects, unnest(allowed_origins) AS origin

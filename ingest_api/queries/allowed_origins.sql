-- Every origin some project allows: what a CORS preflight (which carries no key) is checked against.
SELECT DISTINCT origin FROM ops.projects, unnest(allowed_origins) AS origin

-- Every origin some project allows (without a trailing slash): what a CORS preflight (which carries no
-- key) is checked against.
select distinct rtrim(origin, '/') from ops.projects, unnest(allowed_origins) as origin

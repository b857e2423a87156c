"""core: raw -> deduplicated, enriched, sessionized and stitched events, sessions, identity, profiles."""

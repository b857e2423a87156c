"""Blocking data-quality checks of each core step (Great Expectations suites run inside PostgreSQL).

A failing check stops every downstream asset of the run, dbt models included.
"""

from dagster import AssetCheckResult, AssetKey, asset_check

from orchestration.quality import gx
from orchestration.resources import PostgresResource

VALID_TYPES = ["page", "screen", "track", "identify", "alias", "group"]


def _result(db: PostgresResource, table: str, expectations: list) -> AssetCheckResult:
    schema, name = table.split(".")
    return gx.check_result(gx.validate(db.sqlalchemy_url, schema, name, expectations))


@asset_check(
    asset=AssetKey(["core", "raw_batch"]),
    blocking=True,
    description="staging took every row it can and gave every other row a quarantine reason",
)
def raw_batch_valid(db: PostgresResource) -> AssetCheckResult:
    taken = "SELECT * FROM {batch} WHERE quarantine_reason IS NULL AND "
    return _result(
        db,
        "core.raw_batch",
        [
            gx.not_null("message_id", "messageId present"),
            gx.rows(
                taken + "coalesce(anonymous_id, user_id) IS NULL", "a taken row has a usable anonymousId or userId"
            ),
            gx.rows(
                taken + "type NOT IN (" + ", ".join(f"'{t}'" for t in VALID_TYPES) + ")",
                "a taken row's type is a Segment call type",
            ),
            gx.rows(taken + "received_at > now() + interval '5 minutes'", "a taken row was not received in the future"),
            gx.rows(
                "SELECT project_id, message_id FROM {batch} GROUP BY 1, 2 HAVING count(*) > 1",
                "one row per project and messageId",
            ),
        ],
    )


@asset_check(
    asset=AssetKey(["core", "events"]),
    blocking=True,
    description="unique per (project, messageId); every interactive event in exactly one session; "
    "sequences 1..n; event times within the clamping rules",
)
def events_valid(db: PostgresResource) -> AssetCheckResult:
    return _result(
        db,
        "core.events",
        [
            gx.unique(["project_id", "message_id"], "unique per project and messageId"),
            gx.rows(
                "SELECT * FROM {batch} WHERE NOT is_bot AND anonymous_id IS NOT NULL"
                " AND event_type IN ('page', 'screen', 'track') AND event_name IS DISTINCT FROM 'Page Ended'"
                " AND (session_id IS NULL OR session_event_sequence IS NULL)",
                "every interactive event has a session (touchline.js's Page Ended only joins one in progress)",
            ),
            gx.rows(
                "SELECT * FROM {batch} WHERE is_bot AND (session_id IS NOT NULL OR is_server_event)",
                "bots are left out of sessions and are never server events",
            ),
            gx.rows(
                "SELECT * FROM {batch} WHERE event_at > received_at + interval '1 minute'",
                "no event time later than its receipt",
            ),
            gx.rows(
                "SELECT project_id, session_id FROM {batch} WHERE session_id IS NOT NULL GROUP BY 1, 2"
                " HAVING min(session_event_sequence) <> 1 OR max(session_event_sequence) <> count(*)"
                " OR count(DISTINCT session_event_sequence) <> count(*)"
                " OR count(DISTINCT device_id) FILTER (WHERE anonymous_id IS NOT NULL) <> 1",
                "session_event_sequence is 1..n without gaps, one device per session (server events aside)",
            ),
        ],
    )


@asset_check(
    asset=AssetKey(["core", "sessions"]),
    blocking=True,
    description="start <= end, at most 24 h, no overlap per device, counts agree with events",
)
def sessions_valid(db: PostgresResource) -> AssetCheckResult:
    return _result(
        db,
        "core.sessions",
        [
            gx.unique(["project_id", "session_id"], "one row per session"),
            gx.rows("SELECT * FROM {batch} WHERE started_at > ended_at", "started_at <= ended_at"),
            gx.rows("SELECT * FROM {batch} WHERE ended_at - started_at >= interval '24 hours'", "at most 24 h"),
            gx.rows(
                "SELECT * FROM (SELECT started_at, lag(ended_at) OVER (PARTITION BY project_id, device_id"
                " ORDER BY started_at, session_id) AS prev_end FROM {batch}) s WHERE prev_end > started_at",
                "no overlapping sessions on a device",
            ),
            gx.rows(
                "SELECT s.* FROM (SELECT * FROM {batch}) s LEFT JOIN (SELECT project_id, session_id, count(*) AS n,"
                " count(*) FILTER (WHERE event_type IN ('page', 'screen')) AS pv FROM core.events"
                " WHERE session_id IS NOT NULL GROUP BY 1, 2) e USING (project_id, session_id)"
                " WHERE e.n IS DISTINCT FROM s.event_count OR e.pv IS DISTINCT FROM s.page_view_count",
                "event and page view counts agree with core.events",
            ),
        ],
    )


@asset_check(
    asset=AssetKey(["core", "identity_map"]),
    blocking=True,
    description="one user per device at any instant; every mapped user exists",
)
def identity_map_valid(db: PostgresResource) -> AssetCheckResult:
    return _result(
        db,
        "core.identity_map",
        [
            gx.rows(
                "SELECT * FROM (SELECT valid_from, valid_to, lead(valid_from) OVER (PARTITION BY project_id, device_id"
                " ORDER BY valid_from) AS next_from FROM {batch}) m"
                " WHERE valid_to IS DISTINCT FROM next_from OR valid_to <= valid_from",
                "intervals of a device do not overlap and leave no gap",
            ),
            gx.rows(
                "SELECT m.* FROM (SELECT * FROM {batch}) m WHERE NOT EXISTS (SELECT 1 FROM core.events e"
                " WHERE e.project_id = m.project_id AND e.user_key = m.user_key)",
                "every mapped user exists",
            ),
        ],
    )


@asset_check(
    asset=AssetKey(["core", "user_aliases"]), blocking=True, description="no alias cycles: every canonical id is final"
)
def user_aliases_valid(db: PostgresResource) -> AssetCheckResult:
    return _result(
        db,
        "core.user_aliases",
        [
            gx.rows(
                "SELECT a.* FROM (SELECT * FROM {batch}) a JOIN core.user_aliases b ON b.project_id = a.project_id"
                " AND b.user_id = a.canonical_user_id",
                "canonical ids are not aliased again (no chains, no cycles)",
            ),
            gx.rows("SELECT * FROM {batch} WHERE user_id = canonical_user_id", "no id is its own alias"),
        ],
    )


@asset_check(
    asset=AssetKey(["core", "user_profiles"]),
    blocking=True,
    description="one row per person; every stitched user has a profile",
)
def user_profiles_valid(db: PostgresResource) -> AssetCheckResult:
    return _result(
        db,
        "core.user_profiles",
        [
            gx.unique(["project_id", "user_key"], "one row per person"),
            gx.rows(
                "SELECT DISTINCT e.project_id, e.user_key FROM core.events e WHERE e.user_key IS NOT NULL"
                " AND NOT e.is_bot AND NOT EXISTS (SELECT 1 FROM (SELECT * FROM {batch}) p WHERE p.project_id = e.project_id"
                " AND p.user_key = e.user_key)",
                "every stitched user has a profile",
            ),
            gx.rows("SELECT * FROM {batch} WHERE first_seen_at > last_seen_at", "first_seen_at <= last_seen_at"),
        ],
    )


@asset_check(
    asset=AssetKey(["core", "user_profiles"]),
    blocking=True,
    description="a set_once trait never changes between runs (unless an earlier event arrived late)",
)
def set_once_traits_stable(db: PostgresResource) -> AssetCheckResult:
    from orchestration.core import build
    from orchestration.identity import rules

    keys = rules.set_once_traits()
    with db.connect() as conn, conn.transaction(), conn.cursor() as cur:
        build.run_sql(conn, build.sql("set_once_check.sql"), {"keys": keys})
        changed = cur.execute(
            "SELECT n.user_key, n.key, s.value AS was, n.value AS now FROM set_once_now n"
            " JOIN ops.profile_set_once_snapshot s USING (project_id, user_key, key)"
            " WHERE n.value <> s.value AND n.source_at >= s.source_at"
            " ORDER BY 1, 2"
        ).fetchall()
        if not changed:  # the snapshot follows the last passing run
            cur.execute("TRUNCATE ops.profile_set_once_snapshot")
            cur.execute("INSERT INTO ops.profile_set_once_snapshot SELECT * FROM set_once_now")
    failures = (
        (
            gx.Failure(
                "a set_once trait keeps its first value",
                "set_once_traits_stable",
                "traits",
                len(changed),
                tuple(f"user_key={u}, {k}: {was} -> {now}" for u, k, was, now in changed[: gx.EXAMPLES]),
            ),
        )
        if changed
        else ()
    )
    return gx.check_result(
        gx.Outcome(success=not changed, failures=failures, evaluated=1), changed_set_once_values=len(changed)
    )

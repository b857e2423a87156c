"""The ground truth of a simulation, computed from it with the rules of docs/architecture.md §4 (sessions
as generated; users by "identity over time"; alias chains to their end), independently of SQL.
Its format is `truth_format` below."""

from __future__ import annotations

import bisect

from generator.clock import DAY, MIN, iso, parse_iso
from generator.journeys import Session, Simulation

LOOKBACK = 30 * DAY  # attribution window of the truth's touchpoints

truth_format = """
{
  "version": 1, "seed": int, "events_requested": int, "days": int,
  "start": ISO, "end": ISO,                       # simulated period (true time), end exclusive
  "session_timeout_minutes": 30, "lookback_days": 30,
  "counts": {"messages", "unique_messages", "valid_events", "human_events", "bot_events", "sessions",
             "users", "duplicates", "duplicate_copies", "late", "malformed", "conversions"},
  "events": {messageId: [session_key, user]},     # every valid, unique, non-bot event (server events: no session)
  "sessions": {session_key: {"stream", "user", "start", "end", "events", "pageviews", "landing_path",
               "referrer_host", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
               "click_id_type", "click_id", "traffic"}},
  "aliases": {id: canonical_id},                  # every id merged by alias, to the end of its chain
  "users": {canonical_id: {"ids": [...], "streams": [...]}},
  "bots": [messageId], "duplicates": [messageId], "late": [messageId],
  "malformed": [{"reason", "messageId", "raw"}],
  "conversions": [{"messageId", "event", "user", "stream", "session", "converted_at", "revenue",
                   "currency", "touchpoints": [session_key, ...]}]
}
session_key = messageId of the session's first event; user = canonical user id or null; stream =
anonymousId (or userId for events without one); times are true times, ISO 8601 UTC with milliseconds.
"""


def ground_truth(sim: Simulation, messages, late_ids, dups, bad) -> dict:
    alias = sim.alias

    def canon(uid):
        seen = 0
        while uid in alias and seen < 100:
            uid, seen = alias[uid], seen + 1
        return uid

    streams: dict[str, list[Session]] = {}
    for s in sim.sessions:
        streams.setdefault(s.stream, []).append(s)
    ev: dict[str, list] = {}
    sessions: dict[str, dict] = {}
    server_events: list[tuple[int, str, str]] = []
    interactive: dict[str, list[tuple[int, str, str | None]]] = {}
    users: dict[str, dict] = {}
    by_user: dict[str, list] = {}
    by_stream_anon: dict[str, list] = {}
    conversions = []
    for stream, ss in streams.items():
        ss.sort(key=lambda s: s.events[0][0])
        first_user = None
        for s in ss:
            for _, m in s.events:
                if "userId" in m:
                    first_user = canon(m["userId"])
                    break
            if first_user:
                break
        last = None
        prev_end = None
        for s in ss:
            ident = next((canon(m["userId"]) for _, m in s.events if "userId" in m), None)
            if s.dev.is_server:  # server events (userId only) start no session: see attach_server_events below
                for t, m in s.events:
                    ev[m["messageId"]] = [None, ident]
                    server_events.append((t, m["messageId"], ident))
                    u = users.setdefault(ident, {"ids": set(), "streams": []})
                    u["ids"].add(m["userId"])
                    if stream not in u["streams"]:
                        u["streams"].append(stream)
                continue
            cur = ident or last or first_user
            key = s.events[0][1]["messageId"]
            if prev_end is not None and s.events[0][0] - prev_end <= 30 * MIN:
                raise AssertionError(f"sessions too close on {stream}")
            prev_end = s.events[-1][0]
            pageviews = 0
            for t, m in s.events:
                if "userId" in m:
                    u = canon(m["userId"])
                    if u != cur:
                        raise AssertionError(f"user changes inside session {key}")
                    last = cur
                ev[m["messageId"]] = [key, cur]
                if m["type"] in ("page", "screen"):
                    pageviews += 1
                if m["type"] in ("page", "screen", "track"):
                    interactive.setdefault(stream, []).append((t, key, cur))
            rec = {
                "stream": stream,
                "user": cur,
                "start": iso(s.events[0][0]),
                "end": iso(s.events[-1][0]),
                "events": len(s.events),
                "pageviews": pageviews,
            }
            rec.update(s.info)
            sessions[key] = rec
            (by_user.setdefault(cur, []) if cur else by_stream_anon.setdefault(stream, [])).append(
                (s.events[0][0], key)
            )
            if cur:
                u = users.setdefault(cur, {"ids": set(), "streams": []})
                if stream not in u["streams"]:
                    u["streams"].append(stream)
            for t, m in s.events:
                if "userId" in m:
                    users.setdefault(cur, {"ids": set(), "streams": [stream]})["ids"].add(m["userId"])
                if m["type"] == "track" and m["event"] in ("Order Completed", "Signed Up"):
                    props = m["properties"]
                    conversions.append(
                        {
                            "messageId": m["messageId"],
                            "event": m["event"],
                            "user": cur,
                            "stream": stream,
                            "session": key,
                            "converted_at": iso(t),
                            "_t": t,
                            "revenue": props.get("revenue"),
                            "currency": props.get("currency"),
                        }
                    )
    # A server event joins its person's session in progress: the session of the person's latest interactive
    # event before it on any device, within 30 minutes, when that event is its device's latest then and the
    # session is under 24 h old (orchestration/core/sql/attach_server_events.sql).
    for lst in interactive.values():
        lst.sort()
    for t, mid, user in server_events:
        best = None
        for stream in users.get(user, {}).get("streams", []):
            lst = interactive.get(stream, [])
            i = bisect.bisect_left(lst, (t,)) - 1
            if i >= 0 and t - lst[i][0] <= 30 * MIN and lst[i][2] == user and (best is None or lst[i][0] > best[0]):
                best = lst[i]
        if best is not None and t - parse_iso(sessions[best[1]]["start"]) < DAY:
            ev[mid] = [best[1], user]
            rec = sessions[best[1]]
            rec["events"] += 1
            rec["end"] = iso(max(parse_iso(rec["end"]), t))
    for lst in by_user.values():
        lst.sort()
    for lst in by_stream_anon.values():
        lst.sort()
    for c in conversions:
        t = c.pop("_t")
        lst = by_user[c["user"]] if c["user"] else by_stream_anon[c["stream"]]
        c["touchpoints"] = [k for st, k in lst if t - LOOKBACK <= st <= t]
        assert c["session"] in c["touchpoints"]
    conversions.sort(key=lambda c: (c["converted_at"], c["messageId"]))
    for u in users.values():
        u["ids"] = sorted(u["ids"])
    bots = [m["messageId"] for s in sim.bot_sessions for _, m in s.events]
    dup_ids = list(dict.fromkeys(r[3]["messageId"] for r in dups))
    n_unique = len({m["messageId"] for m in messages})
    return {
        "version": 1,
        "seed": sim.seed,
        "events_requested": sim.target,
        "days": sim.days,
        "start": iso(sim.start),
        "end": iso(sim.end),
        "session_timeout_minutes": 30,
        "lookback_days": 30,
        "counts": {
            "messages": len(messages),
            "unique_messages": n_unique,
            "valid_events": n_unique,
            "human_events": len(ev),
            "bot_events": len(bots),
            "sessions": len(sessions),
            "users": len(users),
            "duplicates": len(dup_ids),
            "duplicate_copies": len(dups),
            "late": len(late_ids),
            "malformed": len(bad),
            "conversions": len(conversions),
        },
        "events": ev,
        "sessions": sessions,
        "aliases": {k: canon(k) for k in alias},
        "users": users,
        "bots": bots,
        "duplicates": dup_ids,
        "late": late_ids,
        "malformed": bad,
        "conversions": conversions,
    }

"""Alias closure: every user id to one canonical user id, by a deterministic rule.

`alias(previousId=X, userId=Y)` merges X into Y. Edges are applied in order of their first
occurrence (event time, then messageId). The rule for conflicts:
- an id is merged once: a later alias of an X that already points elsewhere is ignored
  (`alias_conflict_ignored`), so the earliest alias wins;
- an alias that would close a cycle (Y already resolves to X) is ignored (`alias_cycle_ignored`).
The canonical id of X is the end of its chain. Ignored edges are written to the merge log too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class AliasEdge:
    from_id: str
    to_id: str
    seen_at: datetime
    message_id: str


@dataclass(frozen=True)
class AliasDecision:
    edge: AliasEdge
    rule: str  # alias | alias_conflict_ignored | alias_cycle_ignored


def resolve(edges: list[AliasEdge]) -> tuple[dict[str, str], list[AliasDecision]]:
    """Return ({user_id: canonical_user_id} for every merged id, decisions in applied order)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        seen = []
        while x in parent:
            seen.append(x)
            x = parent[x]
        for s in seen:  # path compression
            parent[s] = x
        return x

    decisions = []
    for e in sorted(edges, key=lambda e: (e.seen_at, e.message_id, e.from_id, e.to_id)):
        if e.from_id == e.to_id:
            continue
        if e.from_id in parent:
            decisions.append(AliasDecision(e, "alias_conflict_ignored"))
        elif root(e.to_id) == e.from_id:
            decisions.append(AliasDecision(e, "alias_cycle_ignored"))
        else:
            parent[e.from_id] = e.to_id
            decisions.append(AliasDecision(e, "alias"))
    return {x: root(x) for x in list(parent)}, decisions


SQL_DIR = Path(__file__).with_name("sql")


def _query(name: str) -> str:
    return (SQL_DIR / name).read_text()


def write_closure(conn) -> list[tuple[str, str]]:
    """Recompute the alias closure of every project from core.identity_edges into core.user_aliases, with
    its decisions in core.identity_merge_log; fill temp table changed_user_ids with the (project, user id)
    pairs whose canonical user changed, and return them. Runs inside the caller's transaction."""
    edges: dict[str, list[AliasEdge]] = {}
    for project_id, f, t, at, mid in conn.execute(_query("alias_edges.sql")):
        edges.setdefault(project_id, []).append(AliasEdge(f, t, at, mid))
    old = {(p, u): c for p, u, c in conn.execute(_query("current_aliases.sql"))}
    new: dict[tuple[str, str], str] = {}
    log = []
    for project_id, project_edges in edges.items():
        canonical, decisions = resolve(project_edges)
        new.update({(project_id, u): c for u, c in canonical.items()})
        for d in decisions:
            to = canonical.get(d.edge.from_id, d.edge.to_id) if d.rule == "alias" else d.edge.to_id
            log.append(
                (project_id, d.edge.seen_at, "user", d.edge.from_id, d.edge.from_id, to, d.rule, d.edge.message_id)
            )
    changed = [k for k in old.keys() | new.keys() if old.get(k) != new.get(k)]
    if changed or log:
        with conn.cursor() as cur:
            cur.execute(_query("clear_alias_closure.sql"))
        with conn.cursor().copy("COPY core.user_aliases (project_id, user_id, canonical_user_id) FROM STDIN") as cp:
            for (p, u), c in new.items():
                cp.write_row((p, u, c))
        with conn.cursor().copy(
            "COPY core.identity_merge_log (project_id, merged_at, id_kind, id_value, from_user_key, to_user_key,"
            " rule, cause_message_id) FROM STDIN"
        ) as cp:
            for row in log:
                cp.write_row(row)
    conn.execute(_query("changed_user_ids.sql"))
    with conn.cursor().copy("COPY changed_user_ids (project_id, user_id) FROM STDIN") as cp:
        for row in changed:
            cp.write_row(row)
    return changed

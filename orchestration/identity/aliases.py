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

"""Profile merge rules (`profile_rules.yaml` beside this file): how each trait of core.user_profiles merges."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

RULES_PATH = Path(__file__).with_name("profile_rules.yaml")
MERGE_RULES = ("set_once", "latest", "append")


@lru_cache(maxsize=1)
def profile_rules() -> dict:
    rules = yaml.safe_load(RULES_PATH.read_text())
    bad = {rules["default"], *rules["traits"].values()} - set(MERGE_RULES)
    if bad:
        raise ValueError(f"profile_rules.yaml: unknown merge rules {sorted(bad)}")
    return rules


def set_once_traits() -> list[str]:
    return [k for k, rule in profile_rules()["traits"].items() if rule == "set_once"]

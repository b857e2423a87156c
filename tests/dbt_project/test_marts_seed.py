"""A seed whose CSV and config did not change is left alone by the next dbt invocation; an edited CSV or
config, a table changed behind dbt's back and a --full-refresh reload it (dbt_project/macros/seed_unchanged.sql).
The CSV is edited in a copy of the dbt project, never in the repository's."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import psycopg
import pytest
from conftest import run_dbt

from orchestration.marts import DBT_PROJECT_DIR

SEED = "seed.touchline.currency_rates"


@pytest.fixture
def seed_db_url(database_url):
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_seed") as url:
        yield url


def seed_message(target) -> str:
    """dbt's message for the seed in the last invocation's run_results.json (INSERT n, CREATE n, UNCHANGED)."""
    rows = json.loads((target / "run_results.json").read_text())["results"]
    (seed,) = [r for r in rows if r["unique_id"] == SEED]
    assert seed["status"] == "success", seed
    return seed["adapter_response"]["_message"]


def table_state(conn) -> tuple:
    """What a truncate and reload change: the table's file and its rows' inserting transaction."""
    return conn.execute(
        "SELECT pg_relation_filenode('staging.currency_rates'),"
        " (SELECT array_agg(xmin::text ORDER BY currency) FROM staging.currency_rates)"
    ).fetchone()


def eur(conn) -> Decimal:
    return conn.execute(
        "SELECT units_per_usd FROM staging.currency_rates WHERE currency = 'EUR' AND rate_date IS NULL"
    ).fetchone()[0]


def test_seed_reloads_only_when_it_changed(seed_db_url, tmp_path):
    url = seed_db_url
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    csv = project / "seeds" / "currency_rates.csv"
    rows = len(csv.read_text().splitlines()) - 1
    target = tmp_path / "target"

    def seed(*args: str) -> str:
        run_dbt(url, "seed", *args, target_path=target, project_dir=project)
        return seed_message(target)

    assert seed() == f"INSERT {rows}"  # no table yet: dbt's default
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT relation FROM ops.dbt_seed_checksums").fetchall() == [("staging.currency_rates",)]
        loaded = table_state(conn)
        assert eur(conn) == Decimal("0.92")

        # nothing changed: the table is left alone (no truncate, no insert)
        assert seed() == "UNCHANGED"
        assert table_state(conn) == loaded

        # the CSV edited: the next invocation loads it
        csv.write_text(csv.read_text().replace("EUR,,0.92,", "EUR,,0.95,"))
        assert seed() == f"INSERT {rows}"
        assert eur(conn) == Decimal("0.95")
        assert table_state(conn) != loaded
        reloaded = table_state(conn)
        assert seed() == "UNCHANGED"
        assert table_state(conn) == reloaded

        # the table changed behind dbt's back: reloaded from the CSV, as dbt always did
        conn.execute("UPDATE staging.currency_rates SET units_per_usd = 2 WHERE currency = 'EUR'")
        assert seed() == f"INSERT {rows}"
        assert eur(conn) == Decimal("0.95")

        # the seed's config changed: reloaded
        yml = project / "dbt_project.yml"
        yml.write_text(
            yml.read_text().replace("    currency_rates:\n", "    currency_rates:\n      +meta: {edited: true}\n")
        )
        assert seed() == f"INSERT {rows}"
        assert seed() == "UNCHANGED"

        # --full-refresh: always dbt's default (the table re-created)
        assert seed("--full-refresh") == f"CREATE {rows}"
        assert eur(conn) == Decimal("0.95")
        assert seed() == "UNCHANGED"

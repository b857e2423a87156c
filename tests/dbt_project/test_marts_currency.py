"""Revenue in the project's reporting currency (touchline projects set NAME reporting_currency CODE)."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from conftest import SHOP, load_core, run_dbt

from touchline import projects


@pytest.fixture
def eur_db_url(database_url):
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_eur") as url:
        yield url


def test_reporting_currency_setting_converts_every_revenue(eur_db_url, tmp_path):
    load_core(eur_db_url, "B")
    with psycopg.connect(eur_db_url, autocommit=True) as conn:
        projects.create(conn, SHOP)
        assert projects.show(conn, SHOP)["reporting_currency"] == "USD"  # the default
        with pytest.raises(projects.ProjectError, match="three-letter ISO 4217 code"):
            projects.set_value(conn, SHOP, "reporting_currency", "euro")
        assert projects.set_value(conn, SHOP, "reporting_currency", " eur ") == "EUR"
        (project_id,) = conn.execute("SELECT project_id FROM ops.projects WHERE name = %s", (SHOP,)).fetchone()
        # the journeys were written under the project id "dbt_shop": make it the project's id
        conn.execute("UPDATE ops.projects SET project_id = %s WHERE project_id = %s", (SHOP, project_id))
    # the lineage's own tests (cautious), not page_views' test that also reads sessions
    lineage = ["--select", "+attribution", "+users", "--indirect-selection", "cautious"]
    run_dbt(eur_db_url, "build", "--full-refresh", *lineage, target_path=tmp_path)
    with psycopg.connect(eur_db_url, autocommit=True) as conn:
        (usd_eur,) = conn.execute(
            "SELECT units_per_usd FROM staging.currency_rates WHERE currency = 'EUR' AND rate_date IS NULL"
        ).fetchone()
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT conversion_id, revenue, currency, reporting_currency, exchange_rate, reporting_revenue"
                " FROM marts.conversions WHERE project_id = %s",
                (SHOP,),
            )
        }
        # sent in EUR: kept as sent, reported as is
        assert rows["s_b2_2"] == (Decimal("50.00"), "EUR", "EUR", 1, Decimal("50.00"))
        # sent without a currency (USD by Segment's spec) and in USD: converted at the seed's rate
        assert rows["s_a3_1"][:3] == (Decimal(100), None, "EUR") and rows["s_a3_1"][4] == round(100 * usd_eur, 6)
        assert rows["srv_1"][4] == round(30 * usd_eur, 6)
        (users,) = conn.execute("SELECT sum(revenue) FROM marts.users WHERE project_id = %s", (SHOP,)).fetchone()
        assert users == sum(r[4] for r in rows.values())
        (credited,) = conn.execute(
            "SELECT sum(revenue_credit) FROM marts.attribution WHERE project_id = %s AND model = 'linear'", (SHOP,)
        ).fetchone()
        assert abs(credited - sum(r[4] for r in rows.values())) < Decimal("0.0001")

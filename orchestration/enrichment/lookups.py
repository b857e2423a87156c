"""The enrichment lookups' loaders: geo per distinct IP and device per distinct user agent of the staged
batch, each value looked up once ever (Python sees distinct values, never events)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path

import psycopg

from orchestration.enrichment import devices, geo

SQL_DIR = Path(__file__).with_name("sql")


def _query(name: str) -> str:
    return (SQL_DIR / name).read_text()


def refresh_geo(conn: psycopg.Connection, geoip_db: Path | None = None) -> dict:
    """Geo for the batch's distinct IPs not looked up before."""
    with conn.transaction():
        ips = [r[0] for r in conn.execute(_query("new_ips.sql"))]
        with conn.cursor().copy(f"COPY core.geo_lookup ({', '.join(geo.GEO_COLUMNS)}) FROM STDIN") as cp:
            for r in geo.lookup_many(ips, geoip_db):
                cp.write_row(_valid_tz(r))
    return {"new_ips": len(ips)}


def refresh_devices(conn: psycopg.Connection) -> dict:
    """Device, bot and server flags for the batch's distinct user agents not parsed before."""
    with conn.transaction():
        uas = [r[0] for r in conn.execute(_query("new_user_agents.sql"))]
        with conn.cursor().copy(f"COPY core.device_lookup ({', '.join(devices.DEVICE_COLUMNS)}) FROM STDIN") as cp:
            for r in devices.classify_many(uas):
                cp.write_row(r)
    return {"new_user_agents": len(uas)}


@cache
def _known_tz(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


def _valid_tz(row: tuple) -> tuple:
    """A time zone PostgreSQL cannot use (an odd database) becomes null instead of failing the build."""
    i = geo.GEO_COLUMNS.index("time_zone")
    if row[i] is None or _known_tz(row[i]):
        return row
    return (*row[:i], None, *row[i + 1 :])

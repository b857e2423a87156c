"""Geo per distinct IP with geoip2 (any MaxMind City database; default: the GeoLite2 City file that
the `maxminddb-geolite2` package ships). Private, reserved or unknown addresses give nulls."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import geoip2.database
import geoip2.errors


def default_database() -> Path:
    import geolite2  # maxminddb-geolite2

    return Path(os.path.dirname(geolite2.__file__)) / "_maxminddb_geolite2" / "GeoLite2-City.mmdb"


def truncate_ip(ip: str) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network: all of an address that goes past raw."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


GEO_COLUMNS = ("ip", "ip_truncated", "country_code", "country", "region", "city", "time_zone", "latitude", "longitude")


def lookup_many(ips: list[str], database: Path | None = None) -> list[tuple]:
    """One row per IP in GEO_COLUMNS order."""
    rows = []
    with geoip2.database.Reader(str(database or default_database())) as reader:
        for ip in ips:
            rows.append((ip, truncate_ip(ip), *_lookup(reader, ip)))
    return rows


def _lookup(reader: geoip2.database.Reader, ip: str) -> tuple:
    try:
        addr = ipaddress.ip_address(ip)
        if not addr.is_global:
            return (None,) * 7
        r = reader.city(ip)
    except (ValueError, geoip2.errors.AddressNotFoundError):
        return (None,) * 7
    region = r.subdivisions.most_specific.name if r.subdivisions else None
    return (
        r.country.iso_code,
        r.country.name,
        region,
        r.city.name,
        r.location.time_zone,
        r.location.latitude,
        r.location.longitude,
    )

"""Unit tests of ingest_api.events: parsing, per-event validation, capture, native mapping."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import orjson
import pytest

from ingest_api.events import (
    BadBody,
    BodyTooLarge,
    Capture,
    Limits,
    Num,
    decode_body,
    native_to_segment,
    parse_json,
    parse_timestamp,
    prepare,
)

CAP = Capture("proj", "sk_live_abcd", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), "203.0.113.9", "curl/8")
LIMITS = Limits(500 * 1024, 32 * 1024, 32)


def one(msg, **kw):
    out = prepare([msg], CAP, LIMITS, **kw)
    return out.rows[0] if out.rows else out.rejected[0].reason


def payload(row) -> dict:
    return orjson.loads(row[-1])


def test_parse_plain_json_and_malformed():
    assert parse_json(b'{"a": 1}') == {"a": 1}
    for bad in (b"", b"   ", b"{", b'{"a": NaN}', b"[1,]"):
        with pytest.raises(BadBody):
            parse_json(bad)


def test_huge_numbers_are_kept_exactly():
    value = parse_json(b'{"big": 123456789012345678901234567890, "huge": 1e400, "tiny": 1e-400, "ok": 1.5}')
    assert value["big"] == Num("123456789012345678901234567890")
    assert value["huge"] == Num("1e400") and value["tiny"] == Num("1e-400") and value["ok"] == 1.5
    row = one({"type": "track", "event": "e", "userId": "u", "properties": value})
    assert b'"big":123456789012345678901234567890' in row[-1].encode()
    assert '"huge":1e400' in row[-1]


def test_lone_surrogates_and_invalid_utf8_become_replacement_characters():
    assert parse_json(b'{"s": "a\\ud800b"}') == {"s": "a\ufffdb"}
    assert parse_json(b'{"s": "a\xffb"}') == {"s": "a\ufffdb"}
    assert parse_json(b'{"\\udc00": 1}') == {"\ufffd": 1}
    assert parse_json(b'{"s": "\\ud83d\\ude00"}') == {"s": "\U0001f600"}  # a valid pair stays


def test_nul_is_stripped_from_every_string():
    row = one({"type": "track", "event": "a\u0000b", "userId": "u\u0000", "properties": {"k\u0000": ["x\u0000y"]}})
    assert row[3] == "ab" and row[5] == "u"
    assert payload(row)["properties"] == {"k": ["xy"]}
    assert "\\u0000" not in row[-1]


def test_gzip_body_and_its_limit():
    assert decode_body(gzip.compress(b'{"a":1}'), "gzip", 100) == b'{"a":1}'
    with pytest.raises(BodyTooLarge):
        decode_body(gzip.compress(b" " * 1000), "gzip", 100)
    with pytest.raises(BadBody):
        decode_body(b"not gzip", "gzip", 100)


def test_capture_fills_what_the_client_left_out():
    row = one({"type": "track", "event": "e", "anonymousId": "a"})
    p = payload(row)
    assert p["receivedAt"] == "2026-03-04T05:06:07+00:00" and row[9] == p["receivedAt"]
    assert p["context"]["ip"] == "203.0.113.9" and row[10] == "203.0.113.9"
    assert p["context"]["userAgent"] == "curl/8" and row[11] == "curl/8"
    assert len(row[1]) == 36 and p["messageId"] == row[1]  # generated UUID
    assert row[0] == "proj" and row[12] == "sk_live_abcd"


def test_client_context_wins_and_received_at_is_the_servers():
    row = one(
        {
            "type": "page",
            "anonymousId": "a",
            "receivedAt": "1999-01-01T00:00:00Z",
            "messageId": "m",
            "context": {"ip": "198.51.100.7", "userAgent": "Mozilla/5.0"},
        }
    )
    assert row[10] == "198.51.100.7" and row[11] == "Mozilla/5.0" and row[1] == "m"
    assert payload(row)["receivedAt"] == "2026-03-04T05:06:07+00:00"


def test_unknown_fields_are_kept_and_write_key_is_not():
    row = one({"type": "identify", "userId": 42, "traits": {"plan": "pro"}, "custom": {"x": 1}, "writeKey": "sk"})
    p = payload(row)
    assert p["custom"] == {"x": 1} and p["traits"] == {"plan": "pro"} and "writeKey" not in p
    assert row[5] == "42"


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ("a string", "not_an_object"),
        ({"event": "e", "userId": "u"}, "missing_type"),
        ({"type": "click", "userId": "u"}, "invalid_type"),
        ({"type": "track", "event": "e"}, "missing_ids"),
        ({"type": "track", "event": "e", "userId": "", "anonymousId": None}, "missing_ids"),
        ({"type": "track", "userId": "u"}, "track_without_event"),
        ({"type": "alias", "userId": "u"}, "alias_without_previous_id"),
        ({"type": "track", "event": "e", "userId": "u", "timestamp": "yesterday"}, "invalid_timestamp"),
        ({"type": "track", "event": "e", "userId": "u", "sentAt": "2024-13-45T00:00:00Z"}, "invalid_timestamp"),
        ({"type": "track", "event": "e", "userId": "u", "messageId": "m" * 300}, "invalid_message_id"),
        ({"type": "track", "event": "e", "userId": "u", "context": "nope"}, "invalid_context"),
        ({"type": "track", "event": "e", "userId": "u", "properties": {"x": "y" * 40_000}}, "too_large"),
    ],
)
def test_rejection_reasons(msg, reason):
    assert one(msg) == reason


def test_depth_limit_counts_levels():
    def nested(levels):  # an event object at level 1, then `levels - 1` nested objects
        inner: dict = {}
        for _ in range(levels - 2):
            inner = {"n": inner}
        return {"type": "track", "event": "e", "userId": "u", "properties": inner}

    assert one(nested(32))[2] == "track"
    assert one(nested(33)) == "too_deep"


def test_rejection_keeps_the_payload_as_received():
    out = prepare([{"type": "track", "userId": "u", "messageId": "m1"}], CAP, LIMITS)
    r = out.rejected[0]
    assert (r.index, r.message_id, r.reason) == (0, "m1", "track_without_event")
    assert orjson.loads(r.payload) == {"type": "track", "userId": "u", "messageId": "m1"}


def test_forced_type_and_batch_defaults():
    row = one(
        {"event": "e", "userId": "u", "type": "page", "context": {"locale": "de"}},
        forced_type="track",
        defaults={"context": {"library": {"name": "x"}, "locale": "en"}, "sentAt": "2026-01-01T00:00:00Z"},
    )
    p = payload(row)
    assert row[2] == "track" and p["context"]["locale"] == "de" and p["context"]["library"] == {"name": "x"}
    assert row[8] == "2026-01-01T00:00:00+00:00"


def test_timestamps():
    assert parse_timestamp("2026-01-02T03:04:05.678Z") == "2026-01-02T03:04:05.678000+00:00"
    assert parse_timestamp("2026-01-02T03:04:05") == "2026-01-02T03:04:05+00:00"  # no zone = UTC
    assert parse_timestamp(1767312000000) == parse_timestamp(1767312000) == "2026-01-02T00:00:00+00:00"
    assert parse_timestamp(None) is None
    for bad in ("soon", True, {"x": 1}, 10**20):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
    row = one({"type": "track", "event": "e", "userId": "u", "originalTimestamp": "2026-01-01T00:00:00+02:00"})
    assert row[7] == "2026-01-01T00:00:00+02:00"


def test_native_mapping():
    msg = native_to_segment(
        {
            "event_type": "page_view",
            "visitor_id": "v1",
            "session_id": "s1",
            "timestamp": 1767312000000,
            "properties": {
                "url": "https://x.test/a?b=1",
                "referrer": "https://g.test/",
                "utm_source": "news",
                "utm_campaign": "spring",
            },
            "extra": 1,
        }
    )
    assert msg["type"] == "page" and msg["anonymousId"] == "v1" and msg["extra"] == 1
    assert msg["context"]["page"] == {"url": "https://x.test/a?b=1", "referrer": "https://g.test/"}
    assert msg["context"]["campaign"] == {"source": "news", "name": "spring"}
    assert msg["context"]["sessionId"] == "s1"
    track = native_to_segment({"event_type": "Signed Up", "user_id": "u1"})
    assert (track["type"], track["event"], track["userId"]) == ("track", "Signed Up", "u1")


def test_native_ids_are_deterministic():
    ev = {"event_type": "click", "visitor_id": "v", "timestamp": "2026-01-01T00:00:00Z"}
    a = one(native_to_segment(dict(ev)), deterministic_ids=True)
    b = one(native_to_segment(dict(ev)), deterministic_ids=True)
    assert a[1] == b[1] and a[1].startswith("n-")
    assert one(native_to_segment({**ev, "event_id": "e-1"}), deterministic_ids=True)[1] == "e-1"

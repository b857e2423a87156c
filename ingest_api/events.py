"""From request bytes to rows of `raw.events` and `raw.rejected_events`: parsing, validation, capture.

Pure functions, no I/O. The hot path is orjson plus a few dict lookups per event; anything unusual
(invalid UTF-8, lone surrogates, `\\u0000`, numbers beyond 64-bit / double range, deep nesting)
is detected by a cheap byte test first and only then handled by a slower exact path.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import ipaddress
import json
import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import orjson

from ingest_api.rows import RawEvent

TYPES = frozenset({"track", "page", "screen", "identify", "alias", "group"})
MAX_MESSAGE_ID = 256
# Identifiers longer than this go to quarantine (an index entry holds at most ~2,700 bytes; one bad id
# must never stop the core build). Fields: messageId, anonymousId, userId, previousId, groupId, event.
MAX_ID_CHARS = 256
ID_FIELDS = ("anonymousId", "userId", "previousId", "groupId", "event")
# A rejection answer lists at most this many rejected events (all are quarantined).
MAX_LISTED_REJECTIONS = 100

# Reasons written to raw.rejected_events.reason (stable codes) with what the client is told.
REASONS = {
    "malformed_json": "the body is not valid JSON",
    "no_events": "the body has no events to read",
    "not_an_object": "an event must be a JSON object",
    "too_large": "the event is larger than the per-event limit",
    "too_deep": "the event is nested deeper than the limit",
    "too_many_events": "the batch has more events than the per-request limit",
    "identifier_too_long": f"anonymousId, userId, previousId, groupId and event are limited to {MAX_ID_CHARS} characters",
    "missing_type": "the event has no type",
    "invalid_type": "type must be one of track, page, screen, identify, alias, group",
    "missing_ids": "an event needs anonymousId or userId",
    "track_without_event": "a track event needs an event name",
    "alias_without_previous_id": "an alias event needs previousId",
    "invalid_timestamp": "timestamp, originalTimestamp or sentAt is not an ISO 8601 date",
    "invalid_message_id": f"messageId must be a string or number of at most {MAX_MESSAGE_ID} characters",
    "invalid_context": "context must be an object",
    "database_rejected": "the database refused the event",
    "bad_encoding": "the body's compression or base64 encoding cannot be undone",
}


class BadBody(ValueError):
    """The body cannot be read at all (answered 400)."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail or REASONS[reason])
        self.reason = reason


class BodyTooLarge(ValueError):
    """The body (after decompression) is over the limit (answered 413)."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int
    max_event_bytes: int
    max_depth: int
    max_batch_items: int = 2500


@dataclass(frozen=True, slots=True)
class Capture:
    """What the server knows about one request, applied to each of its events."""

    project_id: str
    key_prefix: str
    received_at: datetime
    ip: str | None
    user_agent: str | None

    @property
    def received_iso(self) -> str:
        return self.received_at.isoformat()


@dataclass(slots=True)
class Rejection:
    index: int
    message_id: str | None
    reason: str
    payload: str
    count: int = 1  # > 1: one summarised rejection of several items (non-objects of a batch)

    def answer(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "reason": self.reason, "detail": REASONS[self.reason]}
        if self.message_id is not None:
            out["messageId"] = self.message_id
        if self.count > 1:
            out["count"] = self.count
        return out


@dataclass(slots=True)
class Prepared:
    """Rows for raw.events and the rejections."""

    rows: list[RawEvent] = field(default_factory=list)
    row_index: list[int] = field(default_factory=list)  # index in the request of each row
    rejected: list[Rejection] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Bytes -> JSON value


class Num:
    """A JSON number kept as its exact text (integers beyond 64 bits, values beyond double range)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Num) and other.text == self.text

    def __repr__(self) -> str:
        return f"Num({self.text})"


def _default(value: Any) -> Any:
    if isinstance(value, Num):
        return orjson.Fragment(value.text)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


# Numbers orjson would round: integers of 19+ digits, exponents of 3 digits. Found with a byte
# translation (digits -> 0, E -> e, - -> +) and three substring searches, all in C: a regex is 10x
# slower. Strings that merely look like this take the exact path too, which is only slower.
_NUMBER_SHAPE = bytes.maketrans(b"0123456789E-", b"0000000000e+")


def _needs_exact(raw: bytes) -> bool:
    shape = raw.translate(_NUMBER_SHAPE)
    return b"0000000000000000000" in shape or b"e000" in shape or b"e+000" in shape


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _exact_int(text: str) -> int | Num:
    value = int(text)
    return value if -(2**63) <= value < 2**64 else Num(text)


def _exact_float(text: str) -> float | Num:
    value = float(text)
    if value in (float("inf"), float("-inf")) or (value == 0.0 and Decimal(text) != 0):
        return Num(text)
    return value


def _no_constants(text: str) -> Any:
    raise ValueError(f"{text} is not valid JSON")


def decode_body(
    raw: bytes,
    content_encoding: str | None,
    limit: int,
    compression: str | None = None,
    content_type: str | None = None,
) -> bytes:
    """Undo how an SDK packed its body, within `limit` bytes (BodyTooLarge beyond):
    `Content-Encoding: gzip|deflate` (server SDKs); PostHog's `?compression=gzip-js` (gzip without a
    header; a gzip body is also recognised by its magic bytes, whatever the headers say); and
    `?compression=base64` or a form body `data=<base64>` (posthog-js beacons). BadBody with reason
    `bad_encoding` when it cannot be undone."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("", "identity"):
        if encoding not in ("gzip", "deflate", "x-gzip"):
            raise BadBody("bad_encoding", f"unsupported Content-Encoding {encoding!r}")
        raw = _inflate(raw, encoding, limit)
    compression = (compression or "").strip().lower()
    if compression in ("gzip", "gzip-js") or (raw[:2] == _GZIP_MAGIC and compression in ("", "none")):
        raw = _inflate(raw, "gzip", limit)
    elif compression == "base64" or (content_type or "").lower().startswith("application/x-www-form-urlencoded"):
        raw = _form_base64(raw, limit)
    elif compression not in ("", "none"):
        raise BadBody("bad_encoding", f"unsupported compression {compression!r}")
    return raw


_GZIP_MAGIC = b"\x1f\x8b"


def _inflate(raw: bytes, encoding: str, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=47 if encoding != "deflate" else 15)
    try:
        out = inflater.decompress(raw, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise BadBody("bad_encoding", f"body is not valid {encoding}: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge()
    return out


def _form_base64(raw: bytes, limit: int) -> bytes:
    """`data=<base64 JSON>` (URL-encoded form, PostHog's beacon) -> the JSON bytes; a body that is
    already JSON is returned as is."""
    stripped = raw.lstrip()
    if stripped[:1] in (b"{", b"["):
        return raw
    try:
        fields = parse_qs(raw.decode("ascii"), strict_parsing=True)
        out = base64.b64decode(fields["data"][0].replace(" ", "+"), validate=False)
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, binascii.Error) as exc:
        raise BadBody("bad_encoding", f"body is not a form with base64 `data`: {exc}") from None
    if len(out) > limit:
        raise BodyTooLarge()
    return out


def parse_json(raw: bytes) -> Any:
    """Parse a body. orjson when it can be exact; else the stdlib with exact numbers, where invalid
    UTF-8 and lone surrogates become U+FFFD. Raises BadBody when it is not JSON at all."""
    if not raw.strip():
        raise BadBody("malformed_json", "the body is empty")
    if not _needs_exact(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        text = raw.decode("utf-8", "replace")
        value = json.loads(text, parse_int=_exact_int, parse_float=_exact_float, parse_constant=_no_constants)
        return _clean(value, _fix_surrogates) if _SURROGATE_ESCAPE.search(text) else value
    except RecursionError:  # deeper than the stdlib parser goes: orjson reads up to 1,024 levels
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadBody("too_deep", "the body is nested too deeply to read") from None
    except ValueError as exc:
        raise BadBody("malformed_json", f"the body is not valid JSON: {exc}") from None


def _fix_surrogates(s: str) -> str:
    return _SURROGATE.sub("\ufffd", s)


def _strip_nul(s: str) -> str:
    return s.replace("\x00", "")


def _clean(value: Any, fix) -> Any:
    """Apply `fix` to every string (keys and values) of a JSON value."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, dict):
        return {fix(k): _clean(v, fix) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, fix) for v in value]
    return value


def _too_deep(value: Any, limit: int) -> bool:
    """Is `value` nested deeper than `limit` levels (a flat object is 1 level)?"""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(v, dict):
            stack.extend((c, depth + 1) for c in v.values() if isinstance(c, (dict, list)))
        elif isinstance(v, list):
            stack.extend((c, depth + 1) for c in v if isinstance(c, (dict, list)))
    return False


def dumps_any_depth(value: Any) -> str:
    """JSON text of a value nested deeper than orjson encodes (255 levels): what a too-deep event is
    quarantined as. Iterative, so no depth can exhaust the stack."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Token):
            out.append(v.text)
        elif isinstance(v, dict):
            items: list[Any] = [_Token("{")]
            for i, (k, c) in enumerate(v.items()):
                items += [_Token(("," if i else "") + json.dumps(str(k)) + ":"), c]
            stack.extend(reversed(items + [_Token("}")]))
        elif isinstance(v, list):
            items = [_Token("[")]
            for i, c in enumerate(v):
                items += ([_Token(",")] if i else []) + [c]
            stack.extend(reversed(items + [_Token("]")]))
        else:
            out.append(dumps(v).decode())
    return "".join(out)


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def raw_text(raw: bytes) -> str:
    """Bytes as storable text, whatever they were: invalid UTF-8 as `\\xNN`, NUL as `\\x00`."""
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


# ---------------------------------------------------------------------------------------------
# Field helpers


def _text_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Num):
        return value.text
    return None


def parse_timestamp(value: Any) -> str | None:
    """ISO 8601 text (no zone = UTC) or epoch seconds / milliseconds -> ISO text; ValueError if neither."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        dt = datetime.fromisoformat(value.strip())
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).isoformat()
        except (OverflowError, OSError) as exc:
            raise ValueError(str(exc)) from None
    raise ValueError(f"not a timestamp: {value!r}")


def _valid_ip(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Messages -> rows


def prepare(
    messages: list[Any],
    capture: Capture,
    limits: Limits,
    *,
    forced_type: str | None = None,
    defaults: dict[str, Any] | None = None,
    deterministic_ids: bool = False,
    received: list[str] | None = None,
) -> Prepared:
    """Validate Segment-shaped messages and turn them into rows; invalid ones become rejections.

    `forced_type` is the type of a single-message endpoint (/v1/track, ...). `defaults` are the
    batch envelope's `context`, `integrations` and `sentAt`, merged under each message's own.
    `deterministic_ids`: a missing messageId is a hash of the message (retry-safe) instead of a UUID.
    `received`: the receive time (ISO 8601) of each message instead of the capture's, for a bulk load of
    messages received at different times (the generator's `load_raw`).
    """
    out = Prepared()
    received_iso = capture.received_iso
    not_objects: list[int] = []
    for index, msg in enumerate(messages):
        if not isinstance(msg, dict):
            not_objects.append(index)
            continue
        msg.pop("writeKey", None)  # never store the key
        try:
            encoded = dumps(msg)
        except orjson.JSONEncodeError:  # nested deeper than orjson encodes: too deep by far
            out.rejected.append(Rejection(index, _text_id(msg.get("messageId")), "too_deep", dumps_any_depth(msg)))
            continue
        try:
            reason, row = _one(
                msg,
                encoded,
                capture,
                limits,
                received_iso if received is None else received[index],
                forced_type,
                defaults,
                deterministic_ids,
            )
        except orjson.JSONEncodeError:  # the batch's shared context made it too deep
            reason, row = "too_deep", None
        if reason is None:
            out.rows.append(row)
            out.row_index.append(index)
        else:  # the payload as received (before any capture)
            out.rejected.append(Rejection(index, _text_id(msg.get("messageId")), reason, encoded.decode()))
    if not_objects:  # one summarised rejection, whatever their number
        items = [messages[i] for i in not_objects]
        payload = {"indexes": not_objects, "items": items}
        try:
            text = dumps(payload).decode()
        except orjson.JSONEncodeError:
            text = dumps_any_depth(payload)
        out.rejected.append(Rejection(not_objects[0], None, "not_an_object", text, count=len(not_objects)))
    return out


def _one(msg, encoded, capture, limits, received_iso, forced_type, defaults, deterministic_ids):
    if len(encoded) > limits.max_event_bytes:
        return "too_large", None
    if encoded.count(b"{") + encoded.count(b"[") > limits.max_depth and _too_deep(msg, limits.max_depth):
        return "too_deep", None
    if b"\\u0000" in encoded:  # jsonb cannot hold U+0000: strip it from every string
        msg = _clean(msg, _strip_nul)

    if forced_type is not None:
        msg["type"] = forced_type
    kind = msg.get("type")
    if kind is None or kind == "":
        return "missing_type", None
    if kind not in TYPES:
        return "invalid_type", None

    if defaults:
        for name, value in defaults.items():
            mine = msg.get(name)
            if mine is None:
                msg[name] = value
            elif isinstance(mine, dict) and isinstance(value, dict):
                msg[name] = {**value, **mine}

    context = msg.get("context")
    if context is None:
        context = msg["context"] = {}
    elif not isinstance(context, dict):
        return "invalid_context", None

    for name in ID_FIELDS:
        value = _text_id(msg.get(name))
        if value is not None and len(value) > MAX_ID_CHARS:
            return "identifier_too_long", None
    anonymous_id = _text_id(msg.get("anonymousId"))
    user_id = _text_id(msg.get("userId"))
    if anonymous_id is None and user_id is None:
        return "missing_ids", None
    event = None
    if kind == "track":
        event = msg.get("event")
        if not isinstance(event, str) or not event:
            return "track_without_event", None
    previous_id = _text_id(msg.get("previousId"))
    if kind == "alias" and previous_id is None:
        return "alias_without_previous_id", None
    try:
        ts = msg.get("timestamp")
        event_ts = parse_timestamp(ts if ts is not None else msg.get("originalTimestamp"))
        sent_at = parse_timestamp(msg.get("sentAt"))
    except ValueError:
        return "invalid_timestamp", None

    message_id = msg.get("messageId")
    if message_id is None or message_id == "":
        if deterministic_ids:
            digest = hashlib.blake2b(orjson.dumps(msg, option=orjson.OPT_SORT_KEYS, default=_default), digest_size=16)
            message_id = "n-" + digest.hexdigest()
        else:
            message_id = str(uuid.uuid4())
        msg["messageId"] = message_id
    else:
        message_id = _text_id(message_id)
        if message_id is None or len(message_id) > MAX_MESSAGE_ID:
            return "invalid_message_id", None

    # Capture: receivedAt is the server's; ip and userAgent fill in what the client left out.
    msg["receivedAt"] = received_iso
    ip = _valid_ip(context.get("ip"))
    if ip is None and capture.ip is not None:
        ip = capture.ip
        if not context.get("ip"):
            context["ip"] = ip
    user_agent = context.get("userAgent")
    if not isinstance(user_agent, str) or not user_agent:
        user_agent = capture.user_agent
        if user_agent is not None and not context.get("userAgent"):
            context["userAgent"] = user_agent

    payload = dumps(msg).decode()
    return None, RawEvent(
        capture.project_id,
        message_id,
        kind,
        event,
        anonymous_id,
        user_id,
        previous_id,
        event_ts,
        sent_at,
        received_iso,
        ip,
        user_agent,
        capture.key_prefix,
        payload,
    )


# ---------------------------------------------------------------------------------------------
# Native events -> Segment messages

_PAGE_TYPES = frozenset({"page", "page_view", "pageview"})
UTM_TO_CAMPAIGN = {  # a UTM parameter -> its context.campaign field (Segment's names)
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "name",
    "utm_term": "term",
    "utm_content": "content",
}
_PAGE = {"url": "url", "path": "path", "referrer": "referrer", "title": "title", "search": "search"}
_NATIVE_KEYS = frozenset(
    {"event_type", "visitor_id", "user_id", "session_id", "timestamp", "properties", "event_id", "message_id"}
)


def native_to_segment(ev: Any) -> Any:
    """Map one native event onto the Segment message shape (non-objects are returned unchanged).

    event_type page/page_view/pageview -> a `page`, identify/alias/group/screen keep their type,
    anything else -> a `track` with that event name. visitor_id -> anonymousId, user_id -> userId,
    session_id -> context.sessionId, event_id/message_id -> messageId. `properties` are kept whole;
    url/path/referrer/title/search also go to context.page, utm_* to context.campaign. Unknown
    top-level fields are kept.
    """
    if not isinstance(ev, dict):
        return ev
    msg: dict[str, Any] = {k: v for k, v in ev.items() if k not in _NATIVE_KEYS}
    kind = ev.get("event_type")
    props = ev.get("properties")
    props = props if isinstance(props, dict) else ({} if props is None else props)
    context = msg.get("context") if isinstance(msg.get("context"), dict) else {}
    if isinstance(kind, str) and kind:
        if kind.lower() in _PAGE_TYPES:
            msg["type"] = "page"
        elif kind.lower() in TYPES - {"track", "page"}:
            msg["type"] = kind.lower()
        else:
            msg["type"], msg["event"] = "track", kind
    if "visitor_id" in ev:
        msg["anonymousId"] = ev["visitor_id"]
    if "user_id" in ev:
        msg["userId"] = ev["user_id"]
    if ev.get("event_id") is not None or ev.get("message_id") is not None:
        msg["messageId"] = ev.get("event_id") if ev.get("event_id") is not None else ev.get("message_id")
    if "timestamp" in ev:
        msg["timestamp"] = ev["timestamp"]
    msg["properties"] = props
    if isinstance(props, dict):
        page = {dst: props[src] for src, dst in _PAGE.items() if props.get(src) is not None}
        campaign = {dst: props[src] for src, dst in UTM_TO_CAMPAIGN.items() if props.get(src) is not None}
        if page:
            context["page"] = {**page, **(context.get("page") or {})} if isinstance(context.get("page"), dict) else page
        if campaign:
            context["campaign"] = campaign
        if msg.get("type") == "identify" and isinstance(props.get("traits"), dict):
            msg["traits"] = props["traits"]
    if ev.get("session_id") is not None:
        context["sessionId"] = ev["session_id"]
    msg["context"] = context
    return msg

"""The HTTP contract as OpenAPI: answers as pydantic models, request bodies as JSON Schema.

Request bodies are documented, not validated by FastAPI: the routes read the raw bytes with orjson
and validate event by event (one bad event must not fail its batch).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

_OBJECT = {"type": "object", "additionalProperties": True}
_ID = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
_TIME = {"type": "string", "description": "ISO 8601 date-time; no zone means UTC"}

SEGMENT_MESSAGE: dict[str, Any] = {
    "type": "object",
    "description": "A Segment message (https://segment.com/docs/connections/spec/). Unknown fields are kept.",
    "additionalProperties": True,
    "properties": {
        "messageId": {"type": "string", "description": "Generated when missing; the deduplication key"},
        "type": {"type": "string", "enum": ["track", "page", "screen", "identify", "alias", "group"]},
        "anonymousId": _ID,
        "userId": _ID,
        "previousId": _ID,
        "groupId": _ID,
        "event": {"type": "string"},
        "name": {"type": "string"},
        "properties": _OBJECT,
        "traits": _OBJECT,
        "context": {
            "type": "object",
            "additionalProperties": True,
            "properties": {
                "ip": {"type": "string"},
                "userAgent": {"type": "string"},
                "page": _OBJECT,
                "campaign": _OBJECT,
                "locale": {"type": "string"},
                "timezone": {"type": "string"},
                "library": _OBJECT,
            },
        },
        "integrations": _OBJECT,
        "timestamp": _TIME,
        "originalTimestamp": _TIME,
        "sentAt": _TIME,
    },
}

SEGMENT_BATCH: dict[str, Any] = {
    "type": "object",
    "required": ["batch"],
    "additionalProperties": True,
    "properties": {
        "batch": {"type": "array", "items": SEGMENT_MESSAGE},
        "context": _OBJECT,
        "integrations": _OBJECT,
        "sentAt": _TIME,
        "writeKey": {"type": "string", "description": "Accepted when no key header is sent (browser beacons)"},
    },
}

NATIVE_BATCH: dict[str, Any] = {
    "type": "object",
    "required": ["events"],
    "properties": {
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": True,
                "properties": {
                    "event_type": {"type": "string", "description": "page_view, identify, ... or a track event name"},
                    "visitor_id": {"type": "string"},
                    "user_id": {"type": "string"},
                    "session_id": {"type": "string"},
                    "event_id": {
                        "type": "string",
                        "description": "Deduplication key; a hash of the event when missing",
                    },
                    "timestamp": {"anyOf": [_TIME, {"type": "number", "description": "epoch seconds or ms"}]},
                    "properties": {
                        "type": "object",
                        "additionalProperties": True,
                        "properties": {
                            k: {"type": "string"}
                            for k in (
                                "url",
                                "path",
                                "referrer",
                                "title",
                                "search",
                                "utm_source",
                                "utm_medium",
                                "utm_campaign",
                                "utm_term",
                                "utm_content",
                            )
                        },
                    },
                },
            },
        },
    },
}


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body (also accepted as text/plain, optionally gzip)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class RejectedEvent(BaseModel):
    index: int = Field(description="Position of the event in the request")
    reason: str = Field(description="Stable code, also stored in raw.rejected_events.reason")
    detail: str
    messageId: str | None = None


class SegmentAnswer(BaseModel):
    success: bool
    rejected: list[RejectedEvent] | None = Field(default=None, description="Present when some events were rejected")


class NativeAnswer(BaseModel):
    accepted: int
    rejected: list[RejectedEvent]


class Problem(BaseModel):
    detail: str


class Health(BaseModel):
    status: str
    database: str


class KeyCheck(BaseModel):
    valid: bool
    project_id: str
    env: str
    key_prefix: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Nothing could be read (malformed JSON, no events)"},
    401: {"model": Problem, "description": "Missing, malformed, unknown or revoked write key"},
    403: {"model": Problem, "description": "Origin not allowed for the key's project"},
    413: {"model": Problem, "description": "Body over the size limit"},
    429: {"model": Problem, "description": "Over the key's rate; see Retry-After"},
    503: {"model": Problem, "description": "Database unreachable; nothing was acknowledged"},
}

SECURITY_SCHEMES = {
    "basic": {"type": "http", "scheme": "basic", "description": "Write key as user name, empty password"},
    "bearer": {"type": "http", "scheme": "bearer"},
    "writeKey": {"type": "apiKey", "in": "header", "name": "X-Write-Key"},
}
SECURITY = [{"basic": []}, {"bearer": []}, {"writeKey": []}]

"""One router per resource: Segment's tracking API, the native events API, and meta (health, key)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

_SUCCESS = b'{"success":true}'


def json_response(content: Any, status_code: int = 200) -> Response:
    body = _SUCCESS if content == {"success": True} else orjson.dumps(content)
    return Response(body, status_code=status_code, media_type="application/json")

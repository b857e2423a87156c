"""`GET /api/v1/health` (process and database) and `GET /api/v1/validate` (is this key good)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ingest_api.database import DatabaseUnavailable
from ingest_api.deps import CallerDep, RuntimeDep
from ingest_api.routers import json_response
from ingest_api.schemas import ERRORS, SECURITY, Health, KeyCheck

router = APIRouter(prefix="/api/v1", tags=["meta"])


@router.get("/health", response_model=Health, responses={503: {"model": Health, "description": "Database unreachable"}})
async def health(rt: RuntimeDep) -> Response:
    """200 when the process runs and the database answers, else 503."""
    try:
        await rt.db.fetch("SELECT 1")
    except DatabaseUnavailable:
        return json_response({"status": "degraded", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok"})


@router.get(
    "/validate",
    response_model=KeyCheck,
    responses={k: v for k, v in ERRORS.items() if k != 400 and k != 413},
    openapi_extra={"security": SECURITY},
)
async def validate(caller: CallerDep) -> Response:
    """Whether the write key is good, and for which project."""
    key = caller.key
    return json_response({"valid": True, "project_id": key.project_id, "env": key.env, "key_prefix": key.key_prefix})

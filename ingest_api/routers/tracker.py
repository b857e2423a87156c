"""`GET /t.js`: touchline.js, the first-party web tracker (source: `ingest_api/tracker/t.js`); `GET /demo`: a
page that shows it working (`ingest_api/tracker/demo.html`), only when the `demo_page` setting is on.

Served with an ETag and an hour of caching (a day stale-while-revalidate), gzip when the client accepts
it. A project may also serve it under a path of its own (`touchline projects set NAME tracker_path
/js/app.js`) so that ad blockers keyed on `t.js` do not drop it: the app's 404 handler asks
`renamed_tracker` before answering 404 to a GET.
"""

from __future__ import annotations

import gzip
import hashlib
from importlib import resources

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from ingest_api.database import DatabaseUnavailable

router = APIRouter(tags=["tracker"])

SOURCE = (resources.files("ingest_api") / "tracker" / "t.js").read_bytes()
DEMO_PAGE = (resources.files("ingest_api") / "tracker" / "demo.html").read_text(encoding="utf-8")
GZIPPED = gzip.compress(SOURCE, 9, mtime=0)
ETAG = '"' + hashlib.sha256(SOURCE).hexdigest()[:20] + '"'


def tracker_response(request: Request) -> Response:
    headers = {
        "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
        "ETag": ETAG,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == ETAG:
        return Response(status_code=304, headers=headers)
    body = SOURCE
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = GZIPPED, "gzip"
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


@router.get("/t.js", include_in_schema=False)
async def tracker(request: Request) -> Response:
    return tracker_response(request)


async def renamed_tracker(request: Request) -> Response | None:
    """The tracker when the path is some project's `tracker_path` (read again every few seconds), else None."""
    try:
        paths = await request.app.state.runtime.tracker_paths.get()
    except DatabaseUnavailable:
        return None
    return tracker_response(request) if request.url.path in paths else None


@router.get("/demo", include_in_schema=False)
async def demo(request: Request) -> HTMLResponse:
    if not request.app.state.settings.demo_page:
        raise HTTPException(404, "Not Found")
    return HTMLResponse(DEMO_PAGE, headers={"Cache-Control": "no-store"})

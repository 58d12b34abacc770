"""The arena's web app (Starlette) and server (uvicorn): the only module that imports either.

Routes (JSON in, JSON out; a refusal is ``{"error": "..."}`` with its status):

- ``GET /``: the page; ``GET /arena.js``: its script.
- ``POST /api/battles`` ``{"voter"}``: a new battle, turn 1.
- ``POST /api/battles/{id}/votes`` ``{"voter", "turn", "winner": "A"|"B"|"tie"|"bothbad"}``.
- ``POST /api/battles/{id}/next`` ``{"voter"}``: the next turn, once the shown one has a vote.
- ``POST /api/battles/{id}/reveal`` ``{"voter"}``: end the battle, name the models.

Requests must be ``application/json`` (so another site's plain form cannot post votes), at most
:data:`MAX_BODY` bytes (413 past it, read no further), and addressed to the host served (the
Host check stops DNS-rebinding pages from reaching a local arena).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from judgebench.arena.session import Arena
from judgebench.errors import ArenaError

__all__ = ["MAX_BODY", "app", "serve"]

MAX_BODY = 4096
_ASSETS = Path(__file__).with_name("assets")
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ArenaError(415, "send JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise ArenaError(413, f"request body over {MAX_BODY} bytes")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise ArenaError(413, f"request body over {MAX_BODY} bytes")
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ArenaError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ArenaError(400, "the body must be a JSON object")
    return body


def app(arena: Arena, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver")) -> Starlette:
    """The arena as an ASGI app over an open :class:`Arena`."""
    page = (_ASSETS / "arena.html").read_text(encoding="utf-8")
    script = (_ASSETS / "arena.js").read_text(encoding="utf-8")

    def answer(body: dict[str, Any], status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=_HEADERS)

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=_HEADERS)

    async def js(request: Request) -> Response:
        return Response(script, media_type="text/javascript", headers=_HEADERS)

    async def new(request: Request) -> Response:
        body = await _body(request)
        return answer(arena.new_battle(body.get("voter")))

    async def vote(request: Request) -> Response:
        body = await _body(request)
        battle = request.path_params["battle"]
        return answer(arena.vote(battle, body.get("voter"), body.get("turn"), body.get("winner")))

    async def next_turn(request: Request) -> Response:
        body = await _body(request)
        return answer(arena.next_turn(request.path_params["battle"], body.get("voter")))

    async def reveal(request: Request) -> Response:
        body = await _body(request)
        return answer(arena.reveal(request.path_params["battle"], body.get("voter")))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ArenaError)
        return answer({"error": exc.message}, exc.status)

    routes = [
        Route("/", index),
        Route("/arena.js", js),
        Route("/api/battles", new, methods=["POST"]),
        Route("/api/battles/{battle}/votes", vote, methods=["POST"]),
        Route("/api/battles/{battle}/next", next_turn, methods=["POST"]),
        Route("/api/battles/{battle}/reveal", reveal, methods=["POST"]),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={ArenaError: refused})


def serve(arena: Arena, host: str, port: int) -> None:
    """Serve the arena until interrupted."""
    import uvicorn

    hosts = ("127.0.0.1", "localhost", "[::1]", host)
    uvicorn.run(app(arena, hosts), host=host, port=port, log_level="warning")

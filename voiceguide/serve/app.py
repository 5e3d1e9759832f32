"""The routes: the only place that knows about HTTP. Each one turns a request into calls on
the catalog and the feed, and ``endpoint`` maps every error to a status code in one place.

Every URL begins with the secret token; anything else is 404, as is any name that is not a
session on offer. No request names a file: a path is always built from a known session and a
fixed suffix, and a file that is a link, or that resolves outside the cache, is never served.
File responses come from Starlette (Range, HEAD, ETag and Last-Modified)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from voiceguide.cover import cover_png
from voiceguide.errors import VoiceguideError
from voiceguide.serve import feed, page
from voiceguide.serve.catalog import MIME, Catalog, Listing, Rendered

KINDS = ("mp3", "m4b", "vtt", "png", "chapters.json")
NO_STORE = {"Cache-Control": "no-store"}


class NotFound(Exception):
    """Nothing is served at this URL (or the token is wrong)."""


Handler = Callable[[Request], Awaitable[Response]]


def create_app(catalog: Catalog, token: str) -> Starlette:
    """The routes. The server's start queues every session on offer (``Catalog.prepare``),
    and its stop ends the rendering before the process goes."""

    def endpoint(handler: Callable[[Request, Catalog], Awaitable[Response]]) -> Handler:
        """Check the token and map errors to status codes: the one place that does."""

        @functools.wraps(handler)
        async def wrapped(request: Request) -> Response:
            try:
                if not secrets.compare_digest(str(request.path_params.get("token", "")), token):
                    raise NotFound
                return await handler(request, catalog)
            except (NotFound, KeyError):
                return PlainTextResponse("Not Found", status_code=404)
            except asyncio.CancelledError:  # the server is stopping while this waited for a render
                return PlainTextResponse("voiceguide is stopping\n", status_code=503, headers=NO_STORE)
            except VoiceguideError as exc:
                return PlainTextResponse(f"voiceguide: {exc}\n", status_code=500, headers=NO_STORE)
            except Exception as exc:  # a bug: said plainly, and the server goes on
                detail = f"voiceguide: internal error: {type(exc).__name__}: {exc}\n"
                return PlainTextResponse(detail, status_code=500, headers=NO_STORE)

        return wrapped

    async def not_found(_request: Request, _exc: Exception) -> Response:
        return PlainTextResponse("Not Found", status_code=404)

    routes = [
        Route("/{token}", endpoint(_to_page)),
        Route("/{token}/", endpoint(_page)),
        Route("/{token}/feed.xml", endpoint(_feed)),
        Route("/{token}/cover.png", endpoint(_channel_cover)),
        Route("/{token}/status.json", endpoint(_progress)),
        Route("/{token}/status/{name}", endpoint(_status)),
        Route("/{token}/sessions/{name}", endpoint(_file)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        catalog.prepare()
        try:
            yield
        finally:
            await run_in_threadpool(catalog.close)

    # A wrong method says nothing about which URLs exist: it is 404 like any other miss.
    return Starlette(routes=routes, exception_handlers={HTTPException: not_found}, lifespan=lifespan)


async def _to_page(request: Request, _catalog: Catalog) -> Response:
    return RedirectResponse(f"/{request.path_params['token']}/", status_code=308)


async def _page(_request: Request, catalog: Catalog) -> Response:
    offered = catalog.offered()
    items = [(listing, catalog.ready(listing), catalog.status(listing)) for listing in offered]
    today = next((listing.slug for listing in offered if catalog.is_today(listing)), None)
    body = await run_in_threadpool(page.page, items, catalog.preparation(), today)
    return HTMLResponse(body, headers=NO_STORE)


async def _feed(request: Request, catalog: Catalog) -> Response:
    base = f"{str(request.base_url).rstrip('/')}/{request.path_params['token']}/"
    episodes = []
    for listing in catalog.offered():
        rendered = catalog.ready(listing)
        if rendered is None:
            continue  # being prepared since the server started; the next refresh lists it
        audio = _safe(catalog, rendered.path("mp3"))
        stat = audio.stat()
        episodes.append(
            feed.Episode(
                listing=listing,
                rendered=rendered,
                audio_url=f"{base}sessions/{listing.slug}.mp3",
                size=stat.st_size,
                chapters_url=f"{base}sessions/{listing.slug}.chapters.json",
                cover_url=f"{base}sessions/{listing.slug}.png",
                published=datetime.fromtimestamp(stat.st_mtime, UTC),
            )
        )
    body = feed.rss(f"{base}feed.xml", base, f"{base}cover.png", episodes)
    return Response(body, media_type="application/rss+xml; charset=utf-8", headers=NO_STORE)


async def _channel_cover(_request: Request, _catalog: Catalog) -> Response:
    return Response(await run_in_threadpool(cover_png, "voiceguide"), media_type="image/png")


async def _progress(_request: Request, catalog: Catalog) -> Response:
    """Every session's state, and the line that says how far the preparation is."""
    sessions = {listing.slug: catalog.status(listing).as_dict() for listing in catalog.offered()}
    body = {"preparing": page.progress_line(catalog.preparation()), "sessions": sessions}
    return JSONResponse(body, headers=NO_STORE)


async def _status(request: Request, catalog: Catalog) -> Response:
    listing = _listing(catalog, request.path_params["name"], "json")
    if request.query_params.get("start") == "1":
        catalog.request(listing)
    status = catalog.status(listing)
    return JSONResponse(status.as_dict(), headers=NO_STORE)


async def _file(request: Request, catalog: Catalog) -> Response:
    name = request.path_params["name"]
    kind = next((k for k in KINDS if name.endswith("." + k)), None)
    if kind is None:
        raise NotFound
    listing = _listing(catalog, name, kind)
    if kind == "png":
        done = catalog.ready(listing)
        cover = done.cover if done and done.cover else await run_in_threadpool(cover_png, listing.title)
        return Response(cover, media_type="image/png")
    rendered = await _rendered(catalog, listing, "m4b" if kind == "m4b" else "mp3")
    if kind == "chapters.json":
        body = feed.chapters_json(rendered.chapters, listing.title)
        return Response(body, media_type=feed.CHAPTERS_TYPE)
    path = _safe(catalog, rendered.path(kind))
    filename = f"{listing.stem}.m4b" if kind == "m4b" else None
    return FileResponse(path, media_type=MIME[kind], filename=filename)


def _listing(catalog: Catalog, name: str, kind: str) -> Listing:
    slug = name[: -len(kind) - 1]
    return catalog.listing(slug)  # KeyError: 404


async def _rendered(catalog: Catalog, listing: Listing, fmt: str) -> Rendered:
    """The session's files, waiting for the one render that makes them if need be."""
    return await asyncio.wrap_future(catalog.request(listing, fmt))


def _safe(catalog: Catalog, path: Path) -> Path:
    """``path`` if it is a plain file inside the cache; never a link, never outside."""
    if path.is_symlink() or not path.is_file():
        raise NotFound
    if not path.resolve().is_relative_to(catalog.cache_dir.resolve()):
        raise NotFound
    return path

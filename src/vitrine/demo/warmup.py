"""A fast first start for the demo: the search answers within seconds, then gets better.

Embedding the catalog's pictures takes seconds; their training views and the adapter fitted on
them take minutes on two cores. The demo indexes the pictures before it serves (so the photo
search works at once, on plain embeddings) and leaves the slow preparation to the engine's
background refit (``SearchEngine.refit_later``), which swaps the adapted index in when ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine is heavy: imported by whoever builds it
    from vitrine.catalog.service import ImageRow
    from vitrine.search.service import SearchEngine


def index_now_adapt_later(
    engine: SearchEngine, rows: Sequence[ImageRow], *, progress: bool = False
) -> Future[bool] | None:
    """Index the catalog pictures the engine lacks now; the in-store photos of a taught demo,
    the training views and the adapter in the background.

    Returns the background work, or None when everything was ready (a later start).
    """
    adapted = engine.adapter is not None
    indexed = {record.image_id for record in engine.index.records()}
    stale = indexed - {row.image_id for row in rows}
    if stale:
        engine.remove(stale)
    missing = [row for row in rows if row.image_id not in indexed]
    now = [row for row in missing if row.source == "catalog"]
    later = [row for row in missing if row.source != "catalog"]
    if now:
        engine.add(now, progress=progress)
        engine.save()
    if later:
        return engine.index_later(later, rows)
    if missing or stale or not adapted:
        return engine.refit_later(rows)
    return None

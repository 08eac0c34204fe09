"""`vitrine search ...` and `vitrine bench search`: the visual search from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vitrine.cli import (
    bench_app,
    current_settings,
    fail,
    opened,
    out,
    search_app,
)

if TYPE_CHECKING:
    from vitrine.installation import Installation
    from vitrine.search.distributed import BatchEmbedder
    from vitrine.search.service import SearchEngine


def open_search_engine(
    installation: Installation,
    progress: bool = False,
    batch_embedder: BatchEmbedder | None = None,
    rebuild: bool = False,
) -> SearchEngine:
    """The search engine caught up with the catalog (imported lazily: other commands stay fast).

    ``rebuild``: embed every picture again aside; the saved index serves until the new one is
    complete and swapped in.
    """
    from vitrine.search.service import SearchEngine

    settings = installation.settings
    engine = SearchEngine(
        index_dir=settings.index_dir,
        media=installation.media,
        index_uri=settings.search_index_uri,
        fresh=rebuild,
    )
    with installation.session_factory() as session:
        engine.sync(
            db_session=session, progress=progress, batch_embedder=batch_embedder, rebuild=rebuild
        )
    return engine


def reindex_on_ray(installation: Installation, address: str, rebuild: bool = False) -> SearchEngine:
    """`open_search_engine` with the missing pictures embedded on Ray (vitrine[scale])."""
    from rich.markup import escape

    from vitrine.search.distributed import RayBatchEmbedder, is_available

    if not is_available():
        fail("--ray needs Ray: pip install 'vitrine\\[scale]'")  # \[: not rich markup
    try:
        with RayBatchEmbedder(address) as embedder:
            return open_search_engine(
                installation, progress=True, batch_embedder=embedder, rebuild=rebuild
            )
    except ConnectionError as error:
        fail(f"no Ray cluster answers at {address}: {escape(str(error))}")


@search_app.command("reindex")
def search_reindex(
    rebuild: Annotated[
        bool,
        typer.Option(help="Embed every picture again; the old index serves until it is done."),
    ] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Embed on Ray: 'local' (this machine's CPUs), 'auto' or ray://HOST:10001.",
        ),
    ] = None,
) -> None:
    """Catch the search index up with the catalog's pictures (with a progress bar)."""
    with opened(current_settings()) as installation:
        if ray_address is None:
            engine = open_search_engine(installation, progress=True, rebuild=rebuild)
        else:
            engine = reindex_on_ray(installation, ray_address, rebuild=rebuild)
        out.print(f"search index: {len(engine)} pictures")


@search_app.command("query")
def search_query(
    image: Annotated[Path, typer.Argument(help="A photo of a product.")],
    showroom: Annotated[
        str | None, typer.Option(help="Search what this showroom displays.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=20)] = 5,
) -> None:
    """Find the catalog product in a photo (or say it is not found)."""
    from vitrine.catalog.service import get_product
    from vitrine.search.images import ImageRejected
    from vitrine.showrooms.service import displayed_product_ids, get_showroom_by_slug

    if not image.is_file():
        fail(f"{image} does not exist")
    with opened(current_settings()) as installation, installation.session_factory() as session:
        scope = None
        if showroom:
            found = get_showroom_by_slug(db_session=session, slug=showroom)
            if found is None:
                fail(f"no showroom {showroom!r}")
            scope = displayed_product_ids(db_session=session, showroom=found)
        try:
            answer = open_search_engine(installation).search(
                image.read_bytes(), showroom_product_ids=scope, limit=limit
            )
        except ImageRejected as rejected:
            fail(f"{image}: {rejected.message}")
        verdict = "NOT FOUND" if answer.not_found else "found"
        took = answer.timings_ms.get("total", 0)
        out.print(f"{verdict} (confidence {answer.confidence:.2f}, {took:.0f} ms)")
        for rank, match in enumerate(answer.results, start=1):
            product = get_product(db_session=session, product_id=match.product_id)
            name = product.name if product else match.product_id
            out.print(f"{rank}. {name} [{product.sku if product else ''}] score {match.score:.3f}")


@search_app.command("enroll")
def search_enroll(
    product: Annotated[str, typer.Argument(help="Product SKU (or id).")],
    images: Annotated[list[Path], typer.Argument(help="In-store photos of it.")],
    showroom: Annotated[
        str, typer.Option(help="The showroom where they were taken.")
    ] = "les-halles",
) -> None:
    """Add in-store photos of a displayed product; the next search uses them."""
    from vitrine.catalog.service import get_product, get_product_by_sku
    from vitrine.showrooms.enrollment_service import EnrollmentRefused, enroll_photos
    from vitrine.showrooms.service import get_showroom_by_slug

    missing = [str(path) for path in images if not path.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    with opened(current_settings()) as installation:
        engine = open_search_engine(installation)
        with installation.session_factory() as session:
            found = get_product_by_sku(db_session=session, sku=product) or get_product(
                db_session=session, product_id=product
            )
            room = get_showroom_by_slug(db_session=session, slug=showroom)
            if found is None or room is None:
                fail(f"no product {product!r}" if found is None else f"no showroom {showroom!r}")
            try:
                added = enroll_photos(
                    db_session=session,
                    media=installation.media,
                    engine=engine,
                    showroom=room,
                    product_id=found.id,
                    photos=[path.read_bytes() for path in images],
                    refit="now",
                    progress=True,
                )
            except EnrollmentRefused as refused:
                if refused.reason == "not_displayed":
                    fail(f"{found.name} is not on display in {room.name}")
                fail(str(refused))
        out.print(
            f"{added} photos of {found.name} added; running servers search them within a second"
        )


@bench_app.command("search")
def bench_search(
    dataset: Annotated[Path, typer.Option(help="A folder in the Grocery Store layout.")],
    split: Annotated[str, typer.Option(help="val or test")] = "val",
    shots: Annotated[
        int, typer.Option(min=0, help="In-store photos per product (from train).")
    ] = 0,
    holdout_products: Annotated[int, typer.Option(min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line last.")] = False,
) -> None:
    """Measure the visual search on real photos: recall@1/5, open-set AUROC, latency."""
    from vitrine.search import bench

    argv = [
        "--dataset",
        str(dataset),
        "--split",
        split,
        "--shots",
        str(shots),
        "--holdout-products",
        str(holdout_products),
    ] + (["--json"] if as_json else [])
    bench.main(argv)

"""Catalog use cases: import a parsed catalog, list and read products."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from vitrine.catalog.importer import ParsedCatalog, ProductDraft, RowProblem
from vitrine.catalog.models import ExchangeRate, Product, ProductImage, ProductText, Variant
from vitrine.db import utc_now
from vitrine.media import ImageRefused, MediaStore, StoredImage


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def import_catalog(
    *, db_session: Session, media: MediaStore, parsed: ParsedCatalog
) -> ImportReport:
    """Import every valid product in one transaction owned by the caller; report the rest.

    A product whose images are missing or are not images is skipped whole and reported,
    so no product is stored half-complete.
    """
    report = ImportReport(problems=list(parsed.problems))
    taken_variant_skus = _variant_skus_owned_elsewhere(db_session, parsed.products)
    for draft in parsed.products:
        problem = _clash(draft, taken_variant_skus)
        if problem is None:
            problem, stored = _store_images(draft, media)
        if problem is not None:
            report.problems.append(problem)
            continue
        created = _upsert_product(db_session, draft, stored)
        (report.created if created else report.updated).append(draft.sku)
    db_session.flush()
    return report


def _variant_skus_owned_elsewhere(
    db_session: Session, drafts: list[ProductDraft]
) -> dict[str, str]:
    wanted = [variant.sku for draft in drafts for variant in draft.variants]
    if not wanted:
        return {}
    rows = db_session.execute(
        select(Variant.sku, Product.sku).join(Product).where(Variant.sku.in_(wanted))
    )
    return {variant_sku: product_sku for variant_sku, product_sku in rows}


def _clash(draft: ProductDraft, taken: dict[str, str]) -> RowProblem | None:
    for variant in draft.variants:
        owner = taken.get(variant.sku)
        if owner is not None and owner != draft.sku:
            return RowProblem(draft.where, f"SKU {variant.sku} already belongs to product {owner}")
    return None


def _store_images(
    draft: ProductDraft, media: MediaStore
) -> tuple[RowProblem | None, list[StoredImage]]:
    stored = []
    for path in draft.image_paths:
        try:
            stored.append(media.put_file(path))
        except ImageRefused as error:
            return RowProblem(draft.where, f"image {path}: {error}"), []
    return None, stored


def _upsert_product(db_session: Session, draft: ProductDraft, images: list[StoredImage]) -> bool:
    product = db_session.scalar(
        select(Product)
        .where(Product.sku == draft.sku)
        .options(selectinload(Product.variants), selectinload(Product.texts))
    )
    created = product is None
    if product is None:
        product = Product(sku=draft.sku, name=draft.name)
        db_session.add(product)
    product.name = draft.name
    product.description = draft.description
    product.category = draft.category
    product.brand = draft.brand
    _upsert_variants(product, draft)
    _upsert_texts(product, draft)
    db_session.flush()
    _add_images(db_session, product, images)
    return created


def _upsert_variants(product: Product, draft: ProductDraft) -> None:
    existing = {variant.sku: variant for variant in product.variants}
    for position, variant_draft in enumerate(draft.variants):
        variant = existing.get(variant_draft.sku)
        if variant is None:
            variant = Variant(sku=variant_draft.sku)
            product.variants.append(variant)
        variant.label = variant_draft.label
        variant.price_minor = variant_draft.price_minor
        variant.currency = variant_draft.currency
        variant.position = position


def _upsert_texts(product: Product, draft: ProductDraft) -> None:
    existing = {text.language: text for text in product.texts}
    for language, (name, description) in draft.texts.items():
        category = draft.categories.get(language, "")
        text = existing.get(language)
        if text is None:
            product.texts.append(
                ProductText(
                    language=language, name=name, description=description, category=category
                )
            )
        else:
            text.name, text.description, text.category = name, description, category


def localized(product: Product, language: str) -> tuple[str, str]:
    """The product's name and description in `language`, falling back to the default texts."""
    text = next((t for t in product.texts if t.language == language), None)
    if text is None:
        return product.name, product.description
    return text.name, text.description or product.description


def localized_category(product: Product, language: str) -> str:
    """The product's category in `language`, falling back to the default one."""
    text = next((t for t in product.texts if t.language == language), None)
    return (text.category if text is not None else "") or product.category


def _add_images(db_session: Session, product: Product, images: list[StoredImage]) -> None:
    known = set(
        db_session.scalars(select(ProductImage.sha256).where(ProductImage.product_id == product.id))
    )
    for image in images:
        if image.sha256 in known:
            continue
        known.add(image.sha256)
        db_session.add(
            ProductImage(
                product_id=product.id,
                source="catalog",
                media_key=image.media_key,
                sha256=image.sha256,
                width=image.width,
                height=image.height,
            )
        )


def list_products(*, db_session: Session, limit: int = 500, offset: int = 0) -> list[Product]:
    return list(
        db_session.scalars(
            select(Product)
            .options(
                selectinload(Product.variants),
                selectinload(Product.images),
                selectinload(Product.texts),
            )
            .order_by(Product.category, Product.name)
            .limit(limit)
            .offset(offset)
        )
    )


def count_products(*, db_session: Session) -> int:
    return int(db_session.scalar(select(func.count()).select_from(Product)) or 0)


def get_product(*, db_session: Session, product_id: str) -> Product | None:
    return db_session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.variants), selectinload(Product.images))
    )


def get_product_by_sku(*, db_session: Session, sku: str) -> Product | None:
    return db_session.scalar(select(Product).where(Product.sku == sku))


def find_products(
    *, db_session: Session, query: str, product_ids: list[str] | None = None, limit: int = 20
) -> list[Product]:
    """Products whose name, category or brand contains every word of `query` (case-insensitive)."""
    words = [word for word in query.lower().split() if word][:8]
    if not words:
        return []
    statement = select(Product).options(
        selectinload(Product.variants), selectinload(Product.images), selectinload(Product.texts)
    )
    for word in words:
        pattern = f"%{word}%"
        statement = statement.where(
            func.lower(Product.name).like(pattern)
            | func.lower(Product.category).like(pattern)
            | func.lower(Product.brand).like(pattern)
        )
    if product_ids is not None:
        statement = statement.where(Product.id.in_(product_ids))
    return list(db_session.scalars(statement.order_by(Product.name).limit(limit)))


def get_variant(*, db_session: Session, variant_id: str) -> Variant | None:
    return db_session.get(Variant, variant_id)


def set_rate(*, db_session: Session, base: str, quote: str, rate: Decimal) -> None:
    row = db_session.scalar(
        select(ExchangeRate).where(ExchangeRate.base == base, ExchangeRate.quote == quote)
    )
    if row is None:
        db_session.add(ExchangeRate(base=base, quote=quote, rate=rate))
    else:
        row.rate, row.updated_at = rate, utc_now()
    db_session.flush()


def rates_from(*, db_session: Session, base: str) -> dict[str, Decimal]:
    rows = db_session.scalars(select(ExchangeRate).where(ExchangeRate.base == base))
    return {row.quote: Decimal(row.rate) for row in rows}


def enrollment_counts(*, db_session: Session, showroom_id: str) -> dict[str, int]:
    """How many in-store enrollment photos each product has in a showroom."""
    rows = db_session.execute(
        select(ProductImage.product_id, func.count())
        .where(ProductImage.source == "enrollment", ProductImage.showroom_id == showroom_id)
        .group_by(ProductImage.product_id)
    )
    return {product_id: int(count) for product_id, count in rows}


@dataclass(frozen=True)
class ImageRow:
    """What the search index needs to know about one stored product picture."""

    image_id: str
    product_id: str
    variant_id: str | None
    source: str
    showroom_id: str | None
    media_key: str


def all_product_images(*, db_session: Session) -> list[ImageRow]:
    rows = db_session.execute(
        select(
            ProductImage.id,
            ProductImage.product_id,
            ProductImage.variant_id,
            ProductImage.source,
            ProductImage.showroom_id,
            ProductImage.media_key,
        ).order_by(ProductImage.created_at, ProductImage.id)
    )
    return [ImageRow(*row) for row in rows]


def add_enrollment_photos(
    *,
    db_session: Session,
    media: MediaStore,
    product_id: str,
    showroom_id: str,
    photos: list[bytes],
) -> list[ImageRow]:
    """Store in-store photos of a displayed product; all of them or none (ImageRefused)."""
    stored = [media.put_bytes(photo) for photo in photos]  # validates every photo first
    known = set(
        db_session.scalars(select(ProductImage.sha256).where(ProductImage.product_id == product_id))
    )
    added = []
    for image in stored:
        if image.sha256 in known:
            continue
        known.add(image.sha256)
        row = ProductImage(
            product_id=product_id,
            showroom_id=showroom_id,
            source="enrollment",
            media_key=image.media_key,
            sha256=image.sha256,
            width=image.width,
            height=image.height,
        )
        db_session.add(row)
        db_session.flush()
        added.append(ImageRow(row.id, product_id, None, "enrollment", showroom_id, image.media_key))
    return added

"""Shopper photos kept for the operator's review (not found, "not this one"), for a limited time."""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

KEY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}/[A-Za-z0-9_-]{22}\.jpg$")


class ReviewPhotos:
    """Photos under <root>/<day>/<random>.jpg; days older than `retention_days` are deleted."""

    def __init__(self, root: Path, retention_days: int) -> None:
        self.root = root
        self.retention_days = retention_days

    def keep(self, jpeg: bytes, now: datetime | None = None) -> str:
        today = (now or datetime.now(UTC)).date()
        key = f"{today.isoformat()}/{secrets.token_urlsafe(16)}.jpg"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")  # unique: the name is random
        partial.write_bytes(jpeg)
        partial.replace(path)  # a crash never leaves a half photo under its key
        self.forget_older_than(self.first_kept_day(now))
        return key

    def first_kept_day(self, now: datetime | None = None) -> date:
        """Photos (and whatever lives no longer than them) of earlier days are deleted."""
        return (now or datetime.now(UTC)).date() - timedelta(days=self.retention_days)

    def path_of(self, key: str) -> Path | None:
        if not KEY_PATTERN.fullmatch(key):
            return None
        path = self.root / key
        return path if path.is_file() else None

    def forget_older_than(self, first_kept: date) -> int:
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            try:
                day = date.fromisoformat(folder.name)
            except ValueError:
                continue
            if day < first_kept:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

"""Keep an uploaded toolkit file between the preview and the apply step.

The file goes to private storage (never served) under a random token; only the token sits
in the user's session, never in a URL. It is deleted on apply, on cancel, and when a new
upload replaces it.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from django.core.files.storage import default_storage
from django.utils import timezone

SESSION_KEY = "catalogue_import_pending"
FOLDER = "catalogue-imports"
# An upload nobody applied or cancelled (closed tab, expired session) is deleted after this.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Pending:
    """An uploaded file waiting for the staff member to apply or cancel it."""

    token: str
    name: str
    suffix: str
    pack_id: str
    tier: str = ""

    @property
    def storage_name(self) -> str:
        return f"{FOLDER}/{self.token}{self.suffix}"


def store(session, upload, *, pack_id: str, tier: str = "") -> Pending:
    """Save ``upload`` under a fresh token and remember it in ``session``."""
    discard(session)
    purge_stale()
    suffix = Path(upload.name).suffix.lower()
    pending = Pending(
        token=secrets.token_urlsafe(24),
        name=Path(upload.name).name[:255],
        suffix=suffix,
        pack_id=pack_id,
        tier=tier,
    )
    default_storage.save(pending.storage_name, upload)
    session[SESSION_KEY] = asdict(pending)
    return pending


def pending(session) -> Pending | None:
    """The file waiting in this session, if it is still in storage."""
    data = session.get(SESSION_KEY)
    if not data:
        return None
    try:
        item = Pending(**data)
    except TypeError:
        session.pop(SESSION_KEY, None)
        return None
    if not default_storage.exists(item.storage_name):
        session.pop(SESSION_KEY, None)
        return None
    return item


def discard(session) -> None:
    """Forget the session's pending file and delete it from storage."""
    data = session.pop(SESSION_KEY, None)
    if data:
        try:
            name = Pending(**data).storage_name
        except TypeError:
            return
        if default_storage.exists(name):
            default_storage.delete(name)


@contextmanager
def local_copy(item: Pending) -> Iterator[Path]:
    """A local path to the stored file (storage may not be a local folder)."""
    with tempfile.TemporaryDirectory(prefix="gpequity-import-") as tmp:
        path = Path(tmp) / f"upload{item.suffix}"
        with default_storage.open(item.storage_name, "rb") as src, open(path, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 16), b""):
                dst.write(chunk)
        yield path


def purge_stale(older_than: timedelta = STALE_AFTER) -> int:
    """Delete abandoned uploads; returns how many were deleted."""
    if not default_storage.exists(FOLDER):
        return 0
    cutoff = timezone.now() - older_than
    deleted = 0
    for name in default_storage.listdir(FOLDER)[1]:
        path = f"{FOLDER}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            deleted += 1
    return deleted

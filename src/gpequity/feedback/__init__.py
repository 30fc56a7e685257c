"""Anonymous staff feedback, the Django-free part (ADR 22).

- ``release``: when held submissions are released, in what order, the week they are dated
  to, and whether a batch's coarse roles may be kept (groups of at least five).
- ``receipt``: receipt codes and their slow salted hash.
- ``scrub``: names, phone numbers, e-mail addresses and dates masked before storage.
"""

from .release import (
    MIN_BATCH,
    MIN_ROLE_GROUP,
    ROLES,
    TOPICS,
    ReleaseRule,
    due_for_release,
    keep_roles,
    shuffled,
    week_of,
)

__all__ = [
    "MIN_BATCH",
    "MIN_ROLE_GROUP",
    "ROLES",
    "TOPICS",
    "ReleaseRule",
    "due_for_release",
    "keep_roles",
    "shuffled",
    "week_of",
]

"""The framework catalogue: packs (schema + YAML), the official-toolkit importer, exports."""

from .packs import DEFAULT_PACK, all_packs, load_pack
from .schema import Action, Pack, Theme, Tier

__all__ = ["DEFAULT_PACK", "Action", "Pack", "Theme", "Tier", "all_packs", "load_pack"]

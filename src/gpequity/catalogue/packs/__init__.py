"""Framework packs shipped with gpequity (YAML files in this folder)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from ..schema import Pack

PACK_DIR = Path(__file__).parent
DEFAULT_PACK = "rcgp-fairer-practice"
# libyaml's parser when PyYAML has it (the same documents, read 8 times faster: the first
# page of each server process that shows a framework spent a quarter of a second here).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def pack_paths() -> list[Path]:
    return sorted(PACK_DIR.glob("*.yaml"))


def load_pack_file(path: Path) -> Pack:
    with open(path, encoding="utf-8") as fh:
        return Pack.model_validate(yaml.load(fh, Loader=_LOADER))


@cache
def load_pack(pack_id: str = DEFAULT_PACK) -> Pack:
    for path in pack_paths():
        if path.stem == pack_id:
            return load_pack_file(path)
    raise KeyError(f"no framework pack {pack_id!r}; available: {[p.stem for p in pack_paths()]}")


def all_packs() -> list[Pack]:
    return [load_pack(p.stem) for p in pack_paths()]

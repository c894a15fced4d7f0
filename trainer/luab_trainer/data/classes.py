"""The class list of an ImageFolder-style dataset: ``classes.json`` when it exists, else the sorted folder names."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Optional

_WNID = re.compile(r"^n[0-9]{8}$")


@dataclass(frozen=True)
class ClassInfo:
    """One class: ``folder`` is its directory name under the split (the wnid for ImageNet-style data)."""

    name: str
    folder: str

    @property
    def wnid(self) -> Optional[str]:
        return self.folder if _WNID.match(self.folder) else None

    def label(self) -> dict:
        """The class as docs/model-config.schema.json's ``labels[i]``."""
        return {"name": self.name, "wnid": self.wnid} if self.wnid else {"name": self.name}


def load_classes(data_dir: str, split: str) -> list[ClassInfo]:
    """``data_dir/classes.json`` ([{"index", "name", "wnid"}, ...]) fixes the order; else sorted folder names."""
    listing = os.path.join(data_dir, "classes.json")
    if os.path.exists(listing):
        with open(listing, encoding="utf-8") as handle:
            try:
                entries = json.load(handle)
            except json.JSONDecodeError as error:
                raise ValueError(f"{listing}: not valid JSON ({error})") from None
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"{listing}: expected a non-empty array of classes")
        classes = []
        for position, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ValueError(f"{listing}: [{position}].name: expected a string")
            if entry.get("index", position) != position:
                raise ValueError(f"{listing}: [{position}].index: expected {position}, got {entry.get('index')!r}")
            folder = entry.get("wnid") or entry["name"]
            if not isinstance(folder, str):
                raise ValueError(f"{listing}: [{position}].wnid: expected a string")
            classes.append(ClassInfo(name=entry["name"], folder=folder))
        return classes
    split_dir = os.path.join(data_dir, split)
    if not os.path.isdir(split_dir):
        raise FileNotFoundError(f"{split_dir}: no such directory (and no {listing} to name the classes)")
    folders = sorted(entry.name for entry in os.scandir(split_dir) if entry.is_dir())
    if not folders:
        raise ValueError(f"{split_dir}: no class folders")
    return [ClassInfo(name=folder, folder=folder) for folder in folders]

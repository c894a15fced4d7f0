"""COCO-AB: a JSON array of per-image records (the real file is 398 MB), read as a stream with bounded memory.

``ijson`` (Debian ``python3-ijson``, the yajl2 C backend) yields one record at a time, so memory holds one record
and what the caller keeps, never the whole array.

Points are fractions of the displayed image; the display stretches the image (it does not keep the aspect
ratio), so they are fractions of the original image too. A ``pointTo`` can fall slightly outside [0, 1] because
of a 2-pixel border around the display; it is clamped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import IO, Iterator, Optional, Union

import ijson

from .errors import ByproductFormatError, SkipCounter

#: ``last-add`` is the official loader's rule (the point of the LAST ``add`` per class, ignoring moves and removes);
#: ``final-position`` replays the actions: ``move`` moves the icon, ``remove`` drops it, so the class keeps the
#: place where its icon finally rested, and a class whose last action is ``remove`` has no target.
TARGET_RULES = ("last-add", "final-position")
ACTION_TYPES = ("add", "move", "remove")

# The display has a 2-pixel border on ~450 px: a point up to ~0.5% outside is genuine; much further is broken.
_BORDER_TOLERANCE = 0.02


@dataclass(frozen=True)
class Action:
    action_type: str
    icon_type: str
    point_from: Optional[tuple[float, float]]
    point_to: Optional[tuple[float, float]]
    time_at: float


@dataclass(frozen=True)
class CocoABRecord:
    image_id: int
    original_size: tuple[int, int]
    display_size: tuple[float, float]
    page_id: Optional[int]
    hit_id: Optional[str]
    worker_id: Optional[str]
    time_spent_ms: Optional[float]
    actions: tuple[Action, ...]
    category_histories: tuple[dict, ...]
    mouse_tracking: tuple[tuple[float, float, float], ...]

    def action_sequences(self) -> dict[str, tuple[str, ...]]:
        """Per class (icon type), its action types in order, e.g. ``('add', 'move')`` (the paper's Fig. J)."""
        sequences: dict[str, list[str]] = {}
        for action in self.actions:
            sequences.setdefault(action.icon_type, []).append(action.action_type)
        return {name: tuple(types) for name, types in sequences.items()}


def _number(raw, where: str, path: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ByproductFormatError(path, where, f"expected a finite number, got {raw!r}")
    return raw


def _point(raw, where: str, path: str) -> tuple[float, float]:
    if not isinstance(raw, dict) or "x" not in raw or "y" not in raw:
        raise ByproductFormatError(path, where, f"expected {{x, y}}, got {raw!r}")
    x, y = _number(raw["x"], f"{where}.x", path), _number(raw["y"], f"{where}.y", path)
    for axis, value in (("x", x), ("y", y)):
        if not -_BORDER_TOLERANCE <= value <= 1 + _BORDER_TOLERANCE:
            raise ByproductFormatError(path, f"{where}.{axis}", f"a point must be a fraction near [0, 1], got {value}")
    return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)


def _record(raw, index: int, path: str) -> CocoABRecord:
    if not isinstance(raw, dict):
        raise ByproductFormatError(path, f"[{index}]", f"expected an object, got {type(raw).__name__}")
    image_id = raw.get("image_id")
    where = f"[{index}] (image_id {image_id})"
    if isinstance(image_id, bool) or not isinstance(image_id, int):
        raise ByproductFormatError(path, f"[{index}].image_id", f"expected an integer, got {image_id!r}")

    def required(name: str):
        if name not in raw:
            raise ByproductFormatError(path, f"{where}.{name}", "missing")
        return raw[name]

    original = tuple(int(_number(required(n), f"{where}.{n}", path)) for n in ("originalImageWidth", "originalImageHeight"))
    display = tuple(_number(required(n), f"{where}.{n}", path) for n in ("imageWidth", "imageHeight"))
    histories = required("actionHistories")
    if not isinstance(histories, list):
        raise ByproductFormatError(path, f"{where}.actionHistories", "expected an array")
    actions = []
    for action_index, action in enumerate(histories):
        at = f"{where}.actionHistories[{action_index}]"
        if not isinstance(action, dict):
            raise ByproductFormatError(path, at, "expected an object")
        action_type = action.get("actionType")
        if action_type not in ACTION_TYPES:
            raise ByproductFormatError(path, f"{at}.actionType", f"expected one of {ACTION_TYPES}, got {action_type!r}")
        icon_type = action.get("iconType")
        if not isinstance(icon_type, str) or not icon_type:
            raise ByproductFormatError(path, f"{at}.iconType", f"expected a class name, got {icon_type!r}")
        point_from = action.get("pointFrom")
        point_to = action.get("pointTo")
        actions.append(
            Action(
                action_type=action_type,
                icon_type=icon_type,
                point_from=None if point_from is None else _point(point_from, f"{at}.pointFrom", path),
                # add and move place the icon: they need pointTo; a remove may carry one or not
                point_to=_point(point_to, f"{at}.pointTo", path)
                if point_to is not None or action_type != "remove"
                else None,
                time_at=_number(action.get("timeAt", 0), f"{at}.timeAt", path),
            )
        )
    mouse = []
    for mouse_index, sample in enumerate(raw.get("mouseTracking") or []):
        at = f"{where}.mouseTracking[{mouse_index}]"
        if not isinstance(sample, dict):
            raise ByproductFormatError(path, at, "expected an object")
        mouse.append(tuple(_number(sample.get(k), f"{at}.{k}", path) for k in ("x", "y", "timeAt")))
    return CocoABRecord(
        image_id=image_id,
        original_size=original,
        display_size=display,
        page_id=raw.get("page_id"),
        hit_id=raw.get("hit_id"),
        worker_id=raw.get("worker_id"),
        time_spent_ms=raw.get("timeSpent"),
        actions=tuple(actions),
        category_histories=tuple(raw.get("categoryHistories") or ()),
        mouse_tracking=tuple(mouse),
    )


def iter_coco_ab(source: Union[str, IO[bytes]], skips: Optional[SkipCounter] = None) -> Iterator[CocoABRecord]:
    """Yield the records of a COCO-AB file one at a time. Malformed records raise, or are counted by ``skips``."""
    skips = skips or SkipCounter()
    path = source if isinstance(source, str) else getattr(source, "name", "<stream>")
    handle = open(source, "rb") if isinstance(source, str) else source
    index = -1
    try:
        for index, raw in enumerate(ijson.items(handle, "item", use_float=True)):
            try:
                yield _record(raw, index, path)
            except ByproductFormatError as error:
                skips.handle(error)
    except ijson.JSONError as error:
        # a syntax error ends the stream: there is no next record to resynchronise on, so it is never skipped
        raise ByproductFormatError(path, f"[{index + 1}]", f"not valid JSON ({error})") from None
    finally:
        if isinstance(source, str):
            handle.close()


def class_targets(record: CocoABRecord, rule: str = "last-add") -> dict[str, tuple[float, float]]:
    """Per class name, the point target under ``rule`` (fractions of the image)."""
    if rule not in TARGET_RULES:
        raise ValueError(f"COCO-AB target rule must be one of {', '.join(TARGET_RULES)}; got {rule!r}")
    targets: dict[str, tuple[float, float]] = {}
    for action in record.actions:
        if action.action_type == "add":
            targets[action.icon_type] = action.point_to
        elif rule == "final-position" and action.action_type == "move":
            targets[action.icon_type] = action.point_to
        elif rule == "final-position" and action.action_type == "remove":
            targets.pop(action.icon_type, None)
    return targets

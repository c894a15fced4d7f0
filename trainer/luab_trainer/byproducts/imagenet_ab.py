"""ImageNet-AB: one XML file per training image (``train_xml/<wnid>/<wnid>_<n>.xml``), and its point targets.

The format (see shared/byproducts/README.md): root ``<annotation>``; the ILSVRC LOC fields (``folder``,
``filename``, ``source``, ``size``, ``object/bndbox``) where the image has a box; one ``<metadata>`` block per
annotator who saw the image. Every value is text, booleans are ``True``/``False``, repeated records are sibling
elements, and an empty record can be the literal text ``None``.

Python's ElementTree is used because a file is a few KB and the format has no namespaces; every field is read
through one typed accessor so that a malformed value names the file and the field.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable, Optional

from .errors import ByproductFormatError, SkipCounter

#: The point-target rules. ``first-selected-mean`` is the official loader's: the mean over the annotators whose
#: block ended ``selected`` of that block's FIRST click. ``last-selected``: the same mean of each such block's LAST
#: click (the click that left it selected). ``last-click``: the single latest click (by time) among those blocks,
#: the paper's "final click" wording taken literally: one annotator, no averaging. ``box-centre``: an oracle for the
#: regime study (issue 13's click-noise axis), not a byproduct: on the same images (a block ended selected), the
#: centre of the largest ground-truth box, i.e. a perfect click; an image without a box or a size has no target.
TARGET_RULES = ("first-selected-mean", "last-selected", "last-click", "box-centre")

# A click is on the displayed image, so it is a fraction in [0, 1]; allow a hair of float noise at the edges and
# clamp it, but a click further out is a broken record, not a target.
_CLICK_TOLERANCE = 1e-3


@dataclass(frozen=True)
class TimedPoint:
    """A click or a mouse position: ``x``, ``y`` fractions of the displayed image, ``time`` epoch milliseconds."""

    time: int
    x: float
    y: float


@dataclass(frozen=True)
class HoverEvent:
    action: str
    time: int


@dataclass(frozen=True)
class Box:
    """An ILSVRC box in pixels of the JPEG (``xmax``/``ymax`` inclusive, as in ImageNet LOC)."""

    name: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float

    def contains(self, x_px: float, y_px: float) -> bool:
        return self.xmin <= x_px <= self.xmax and self.ymin <= y_px <= self.ymax


@dataclass(frozen=True)
class AnnotatorBlock:
    """One ``<metadata>`` block: what one annotator did with this image."""

    selected: bool
    selected_records: tuple[TimedPoint, ...]
    hovered_records: tuple[HoverEvent, ...]
    mouse_tracking: tuple[TimedPoint, ...]
    assignment_id: Optional[str] = None
    hit_id: Optional[str] = None
    imagenet_hit_id: Optional[str] = None
    worker_id: Optional[str] = None
    image_id: Optional[str] = None
    estimate_time_ms: Optional[int] = None
    hit_submit_time_s: Optional[int] = None
    hovered_count: Optional[int] = None
    selected_count: Optional[int] = None
    image_idx: Optional[int] = None
    page_idx: Optional[int] = None
    image_width_css: Optional[float] = None
    image_height_css: Optional[float] = None
    image_position_css: Optional[tuple[float, float]] = None
    original_width: Optional[int] = None
    original_height: Optional[int] = None
    #: fields this reader does not know, kept verbatim (text) so that nothing in the file is lost
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImageNetABRecord:
    path: str
    folder: Optional[str]
    filename: Optional[str]
    source: dict[str, str]
    #: (width, height, depth) from ``<size>``, None where the image has no LOC fields
    size: Optional[tuple[int, int, int]]
    boxes: tuple[Box, ...]
    annotators: tuple[AnnotatorBlock, ...]

    @property
    def image_size(self) -> Optional[tuple[int, int]]:
        """(width, height) of the JPEG: from ``<size>``, else from an annotator block's original size."""
        if self.size is not None:
            return self.size[0], self.size[1]
        for block in self.annotators:
            if block.original_width and block.original_height:
                return block.original_width, block.original_height
        return None


class _Fields:
    """Typed access to the children of one element; every error names the file and the field path."""

    def __init__(self, path: str, element: ET.Element, prefix: str) -> None:
        self.path = path
        self.element = element
        self.prefix = prefix

    def error(self, name: str, message: str) -> ByproductFormatError:
        return ByproductFormatError(self.path, f"{self.prefix}{name}", message)

    def text(self, name: str, required: bool = False) -> Optional[str]:
        child = self.element.find(name)
        if child is None or child.text is None or child.text.strip() in ("", "None"):
            if required:
                raise self.error(name, "missing" if child is None else "empty")
            return None
        return child.text.strip()

    def number(self, name: str, cast: Callable[[str], float], required: bool = False):
        raw = self.text(name, required)
        if raw is None:
            return None
        return _parse_number(raw, cast, lambda message: self.error(name, message))

    def boolean(self, name: str, required: bool = False) -> Optional[bool]:
        raw = self.text(name, required)
        if raw is None:
            return None
        if raw not in ("True", "False"):
            raise self.error(name, f"expected True or False, got {raw!r}")
        return raw == "True"


def _parse_number(raw: str, cast: Callable[[str], float], error: Callable[[str], ByproductFormatError]):
    try:
        value = cast(raw) if cast is not int else int(float(raw))
    except ValueError:
        raise error(f"expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise error(f"expected a finite number, got {raw!r}")
    if cast is int and float(raw) != value:
        raise error(f"expected an integer, got {raw!r}")
    return value


def _timed_points(fields: _Fields, tag: str, check_range: bool) -> tuple[TimedPoint, ...]:
    points = []
    for index, element in enumerate(fields.element.findall(tag)):
        if element.text is not None and element.text.strip() == "None":
            continue  # the released data writes an empty record as the literal text None
        record = _Fields(fields.path, element, f"{fields.prefix}{tag}[{index}]/")
        x = record.number("x", float, required=True)
        y = record.number("y", float, required=True)
        if check_range:
            for name, value in (("x", x), ("y", y)):
                if not -_CLICK_TOLERANCE <= value <= 1 + _CLICK_TOLERANCE:
                    raise record.error(name, f"a click must be a fraction in [0, 1], got {value}")
            x, y = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        points.append(TimedPoint(time=record.number("time", int, required=True), x=x, y=y))
    return tuple(points)


_KNOWN_METADATA_FIELDS = {
    "assignment_id", "estimateTime", "hit_id", "hit_submit_time", "hoveredCount", "hoveredRecord", "imageHeight",
    "imageID", "imagePosition", "imageWidth", "image_idx", "imagenet_hit_id", "mouseTracking", "originalImageHeight",
    "originalImageWidth", "page_idx", "selected", "selectedCount", "selectedRecord", "worker_id",
}  # fmt: skip


def _annotator_block(path: str, element: ET.Element, index: int) -> AnnotatorBlock:
    fields = _Fields(path, element, f"metadata[{index}]/")
    hovered = []
    for hover_index, hover in enumerate(element.findall("hoveredRecord")):
        if hover.text is not None and hover.text.strip() == "None":
            continue
        record = _Fields(path, hover, f"{fields.prefix}hoveredRecord[{hover_index}]/")
        hovered.append(HoverEvent(action=record.text("action", True), time=record.number("time", int, True)))
    position = None
    position_element = element.find("imagePosition")
    if position_element is not None and (position_element.text or "").strip() != "None":
        position_fields = _Fields(path, position_element, f"{fields.prefix}imagePosition/")
        position = (position_fields.number("x", float, True), position_fields.number("y", float, True))
    extra = {child.tag: (child.text or "").strip() for child in element if child.tag not in _KNOWN_METADATA_FIELDS}
    return AnnotatorBlock(
        selected=fields.boolean("selected", required=True),
        selected_records=_timed_points(fields, "selectedRecord", check_range=True),
        hovered_records=tuple(hovered),
        mouse_tracking=_timed_points(fields, "mouseTracking", check_range=False),
        assignment_id=fields.text("assignment_id"),
        hit_id=fields.text("hit_id"),
        imagenet_hit_id=fields.text("imagenet_hit_id"),
        worker_id=fields.text("worker_id"),
        image_id=fields.text("imageID"),
        estimate_time_ms=fields.number("estimateTime", int),
        hit_submit_time_s=fields.number("hit_submit_time", int),
        hovered_count=fields.number("hoveredCount", int),
        selected_count=fields.number("selectedCount", int),
        image_idx=fields.number("image_idx", int),
        page_idx=fields.number("page_idx", int),
        image_width_css=fields.number("imageWidth", float),
        image_height_css=fields.number("imageHeight", float),
        image_position_css=position,
        original_width=fields.number("originalImageWidth", int),
        original_height=fields.number("originalImageHeight", int),
        extra=extra,
    )


def _boxes(path: str, root: ET.Element) -> tuple[Box, ...]:
    boxes = []
    for index, obj in enumerate(root.findall("object")):
        fields = _Fields(path, obj, f"object[{index}]/")
        bndbox = obj.find("bndbox")
        if bndbox is None:
            raise fields.error("bndbox", "missing")
        coords = _Fields(path, bndbox, f"object[{index}]/bndbox/")
        xmin, ymin, xmax, ymax = (coords.number(name, float, True) for name in ("xmin", "ymin", "xmax", "ymax"))
        if xmax < xmin or ymax < ymin:
            raise coords.error("xmax", f"empty box ({xmin}, {ymin}, {xmax}, {ymax})")
        boxes.append(Box(name=fields.text("name") or "", xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax))
    return tuple(boxes)


def parse_imagenet_ab_xml(path: str) -> ImageNetABRecord:
    """Parse one ImageNet-AB (or ILSVRC LOC) XML file. Raises ByproductFormatError naming the file and field."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise ByproductFormatError(path, "<document>", f"not well-formed XML ({error})") from None
    except OSError as error:
        raise ByproductFormatError(path, "<document>", f"cannot read ({error.strerror})") from None
    if root.tag != "annotation":
        raise ByproductFormatError(path, "<root>", f"expected <annotation>, got <{root.tag}>")
    fields = _Fields(path, root, "")
    size = None
    size_element = root.find("size")
    if size_element is not None:
        size_fields = _Fields(path, size_element, "size/")
        width, height = size_fields.number("width", int, True), size_fields.number("height", int, True)
        if width <= 0 or height <= 0:
            raise size_fields.error("width", f"image size must be positive, got {width}x{height}")
        size = (width, height, size_fields.number("depth", int) or 3)
    source_element = root.find("source")
    source = {c.tag: (c.text or "").strip() for c in source_element} if source_element is not None else {}
    return ImageNetABRecord(
        path=path,
        folder=fields.text("folder"),
        filename=fields.text("filename"),
        source=source,
        size=size,
        boxes=_boxes(path, root),
        annotators=tuple(_annotator_block(path, block, i) for i, block in enumerate(root.findall("metadata"))),
    )


def point_target(record: ImageNetABRecord, rule: str = "first-selected-mean") -> Optional[tuple[float, float]]:
    """The point target Z of one image under ``rule``, in fractions of the image; None when no block is selected."""
    if rule not in TARGET_RULES:
        raise ValueError(f"target rule must be one of {', '.join(TARGET_RULES)}; got {rule!r}")
    selected = [(i, block) for i, block in enumerate(record.annotators) if block.selected]
    for index, block in selected:
        if not block.selected_records:
            # selected == True means an odd number of clicks: a selected block without one is a broken record
            raise ByproductFormatError(record.path, f"metadata[{index}]/selectedRecord", "selected is True but no click")
    if not selected:
        return None
    if rule == "box-centre":
        return _largest_box_centre(record)
    if rule == "last-click":
        latest = max((click for _, block in selected for click in block.selected_records), key=lambda c: c.time)
        return latest.x, latest.y
    picks = [block.selected_records[0 if rule == "first-selected-mean" else -1] for _, block in selected]
    return sum(p.x for p in picks) / len(picks), sum(p.y for p in picks) / len(picks)


def _largest_box_centre(record: ImageNetABRecord) -> Optional[tuple[float, float]]:
    """The centre of the largest box in fractions of the image: (xmin + xmax) / 2 over the width, the centre that the
    validation's point error is measured against (engine.py), so a perfect click has error 0."""
    size = record.image_size
    if not record.boxes or size is None:
        return None
    box = max(record.boxes, key=lambda b: (b.xmax - b.xmin) * (b.ymax - b.ymin))
    return (box.xmin + box.xmax) / 2 / size[0], (box.ymin + box.ymax) / 2 / size[1]


def read_with_target(
    path: str, rule: str, skips: SkipCounter
) -> Optional[tuple[ImageNetABRecord, Optional[tuple[float, float]]]]:
    """The record and its target; a malformed file raises, or (``--skip-bad``) is counted and gives None."""
    try:
        record = parse_imagenet_ab_xml(path)
        return record, point_target(record, rule)
    except ByproductFormatError as error:
        skips.handle(error)
        return None

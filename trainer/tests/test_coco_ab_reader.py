"""COCO-AB JSON: the sample, both target rules, malformed records, and bounded memory on a large stream."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from conftest import DATA

from luab_trainer.byproducts.coco_ab import class_targets, iter_coco_ab
from luab_trainer.byproducts.errors import ByproductFormatError, SkipCounter

SAMPLE = str(DATA / "coco_ab_sample.json")


def record(image_id: int, actions: list[dict], **fields) -> dict:
    base = {"image_id": image_id, "originalImageWidth": 640, "originalImageHeight": 480, "imageWidth": 450,
            "imageHeight": 450, "actionHistories": actions, "mouseTracking": [], "categoryHistories": []}  # fmt: skip
    base.update(fields)
    return base


def act(kind: str, icon: str, to, frm=None, at: int = 0) -> dict:
    point = lambda p: None if p is None else {"x": p[0], "y": p[1]}  # noqa: E731
    return {"actionType": kind, "iconType": icon, "pointFrom": point(frm), "pointTo": point(to), "timeAt": at}


def write(tmp_path, records) -> str:
    path = tmp_path / "coco_ab.json"
    path.write_text(json.dumps(records))
    return str(path)


def test_sample_records():
    first, second = list(iter_coco_ab(SAMPLE))
    assert first.image_id == 296169 and first.original_size == (480, 360) and first.display_size == (450, 450)
    assert (first.page_id, first.worker_id, first.time_spent_ms) == (7, "00AA3B5E80", 168291)
    assert first.action_sequences() == {"cake": ("add", "move")}
    # the official rule ignores the move; the final position follows it
    assert class_targets(first, "last-add") == {"cake": pytest.approx((0.7883333333333333, 0.8377777777777777))}
    assert class_targets(first, "final-position") == {"cake": pytest.approx((0.7016666666666667, 0.5444444444444444))}
    assert first.category_histories[0]["categoryName"] == "Animal"
    assert set(class_targets(second)) == {"car", "bicycle"}
    assert second.mouse_tracking == ((0.679, 0.862, 15725), (0.717, 0.825, 15731))


def test_rules_on_add_remove_add_and_trailing_remove(tmp_path):
    actions = [
        act("add", "dog", (0.1, 0.1)),
        act("remove", "dog", None, frm=(0.1, 0.1)),
        act("add", "dog", (0.6, 0.7)),
        act("move", "dog", (0.65, 0.75), frm=(0.6, 0.7)),
        act("add", "cat", (0.3, 0.3)),
        act("remove", "cat", None, frm=(0.3, 0.3)),
        act("add", "car", (1.004, -0.003)),  # inside the 2-pixel border: clamped
    ]
    (rec,) = iter_coco_ab(write(tmp_path, [record(1, actions)]))
    assert class_targets(rec, "last-add") == {"dog": (0.6, 0.7), "cat": (0.3, 0.3), "car": (1.0, 0.0)}
    assert class_targets(rec, "final-position") == {"dog": (0.65, 0.75), "car": (1.0, 0.0)}
    assert rec.action_sequences()["dog"] == ("add", "remove", "add", "move")


@pytest.mark.parametrize(
    "bad, field",
    [
        (record(5, [act("jump", "dog", (0.5, 0.5))]), "[0] (image_id 5).actionHistories[0].actionType"),
        (record(5, [act("add", "dog", None)]), "[0] (image_id 5).actionHistories[0].pointTo"),
        (record(5, [act("add", "dog", (0.5, 3.0))]), "[0] (image_id 5).actionHistories[0].pointTo.y"),
        (record(5, [act("add", "", (0.5, 0.5))]), "[0] (image_id 5).actionHistories[0].iconType"),
        (record("x", []), "[0].image_id"),
        ({"image_id": 5, "actionHistories": []}, "[0] (image_id 5).originalImageWidth"),
    ],
)
def test_malformed_record_names_file_and_field(tmp_path, bad, field):
    path = write(tmp_path, [bad])
    with pytest.raises(ByproductFormatError) as caught:
        list(iter_coco_ab(path))
    assert caught.value.path == path and caught.value.field == field


def test_skip_bad_counts_and_keeps_the_good_records(tmp_path):
    good = record(1, [act("add", "dog", (0.5, 0.5))])
    bad = record(2, [act("jump", "dog", (0.5, 0.5))])
    skips = SkipCounter(skip_bad=True)
    assert [r.image_id for r in iter_coco_ab(write(tmp_path, [good, bad, good]), skips)] == [1, 1]
    assert skips.skipped == 1 and "image_id 2" in skips.examples[0]


def test_truncated_json_is_an_error_never_a_skip(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps([record(1, [])])[:-20])
    with pytest.raises(ByproductFormatError, match="not valid JSON"):
        list(iter_coco_ab(str(path), SkipCounter(skip_bad=True)))


def test_streaming_memory_is_bounded(tmp_path):
    """~12 MB of records: the reader's peak allocation stays far below the file size (one record at a time).
    Each record carries a 4 KB string so the file is large with few allocations (tracemalloc is slow per object)."""
    path = tmp_path / "big.json"
    tracking = [{"x": 0.5, "y": 0.5, "timeAt": t} for t in range(5)]
    with open(path, "w") as handle:
        handle.write("[")
        for i in range(3000):
            handle.write(("," if i else "") + json.dumps(record(i, [act("add", "dog", (0.5, 0.5))], mouseTracking=tracking, hit_id="h" * 4000)))
        handle.write("]")
    size = path.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in iter_coco_ab(str(path)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 3000 and size > 10e6
    assert peak < size / 10, f"peak {peak} bytes for a {size} byte file"

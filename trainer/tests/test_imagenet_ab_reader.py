"""ImageNet-AB XML: every field of the released sample, the target rules, and malformed files."""

from __future__ import annotations

import pytest
from conftest import DATA

from luab_trainer.byproducts.errors import ByproductFormatError, SkipCounter
from luab_trainer.byproducts.imagenet_ab import parse_imagenet_ab_xml, point_target

SAMPLE = str(DATA / "imagenet_ab_n01440764_105.xml")


def block(selected: str, clicks: list[tuple[int, float, float]], extra: str = "") -> str:
    records = "".join(f"<selectedRecord><time>{t}</time><x>{x}</x><y>{y}</y></selectedRecord>" for t, x, y in clicks)
    return f"<metadata><selected>{selected}</selected><selectedCount>{len(clicks)}</selectedCount>{records}{extra}</metadata>"


def write(tmp_path, body: str, name: str = "n01440764_1.xml") -> str:
    path = tmp_path / name
    path.write_text(f"<annotation><folder>n01440764</folder><filename>n01440764_1</filename>{body}</annotation>")
    return str(path)


def test_sample_every_field():
    record = parse_imagenet_ab_xml(SAMPLE)
    assert (record.folder, record.filename, record.size, record.boxes) == ("n01440764", "n01440764_105", None, ())
    assert record.image_size == (500, 375)  # no <size>: from the annotator block's originalImageWidth/Height
    (annotator,) = record.annotators
    assert annotator.selected is True and annotator.selected_count == 1
    assert annotator.selected_records[0].time == 1641425052319
    assert annotator.selected_records[0].x == pytest.approx(0.5401234567901234)
    assert annotator.selected_records[0].y == pytest.approx(0.4732510288065844)
    assert [(h.action, h.time) for h in annotator.hovered_records] == [("enter", 1641425051975), ("leave", 1641425052740)]
    assert [m.x for m in annotator.mouse_tracking] == pytest.approx([0.0030864197530864196, 0.441358024691358])
    assert annotator.assignment_id == "36DSNE9QZFQKOCZGAHS6R63J6E1OJL"
    assert annotator.hit_id == "3URJ6VVYVYFSZAI1H701XKID4JA4OF"
    assert annotator.imagenet_hit_id == "5cd81d284fee460b887cb67e1612b0a0"
    assert annotator.worker_id == "47DBDD543E"
    assert annotator.image_id == "n01440764/n01440764_105"
    assert (annotator.estimate_time_ms, annotator.hit_submit_time_s, annotator.hovered_count) == (341, 1641426644, 1)
    assert (annotator.image_idx, annotator.page_idx) == (17, 9)
    assert (annotator.image_width_css, annotator.image_height_css, annotator.image_position_css) == (243, 243, (857, 1976))
    assert (annotator.original_width, annotator.original_height) == (500, 375)
    assert annotator.extra == {}
    assert point_target(record) == pytest.approx((0.5401234567901234, 0.4732510288065844))


def test_rules_on_several_blocks(tmp_path):
    # block 0: selected, clicks at t=10 (0.2, 0.2) then t=30 (0.3, 0.3) then t=50 (0.4, 0.4) (3 clicks: selected)
    # block 1: selected, one click at t=40 (0.8, 0.6)
    # block 2: NOT selected (two clicks, the latest of all at t=90): never a target
    path = write(
        tmp_path,
        block("True", [(10, 0.2, 0.2), (30, 0.3, 0.3), (50, 0.4, 0.4)])
        + block("True", [(40, 0.8, 0.6)])
        + block("False", [(60, 0.9, 0.9), (90, 0.1, 0.1)]),
    )
    record = parse_imagenet_ab_xml(path)
    assert point_target(record, "first-selected-mean") == pytest.approx((0.5, 0.4))  # mean of (0.2,0.2), (0.8,0.6)
    assert point_target(record, "last-selected") == pytest.approx((0.6, 0.5))  # mean of (0.4,0.4), (0.8,0.6)
    assert point_target(record, "last-click") == pytest.approx((0.4, 0.4))  # t=50 is the latest selected click
    with pytest.raises(ValueError, match="target rule"):
        point_target(record, "median")


def test_literal_none_records_and_no_selected_block(tmp_path):
    path = write(tmp_path, block("False", [], "<hoveredRecord>None</hoveredRecord><mouseTracking>None</mouseTracking>"))
    record = parse_imagenet_ab_xml(path)
    assert record.annotators[0].hovered_records == () and record.annotators[0].mouse_tracking == ()
    assert point_target(record) is None  # no target: the dataset gives weight 0


def test_box_centre_rule_is_the_largest_box_centre_on_the_selected_images_only(tmp_path):
    size = "<size><width>200</width><height>100</height><depth>3</depth></size>"
    small = "<object><name>n1</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>"
    large = "<object><name>n1</name><bndbox><xmin>100</xmin><ymin>20</ymin><xmax>180</xmax><ymax>80</ymax></bndbox></object>"
    clicked = block("True", [(1, 0.1, 0.9)])
    record = parse_imagenet_ab_xml(write(tmp_path, size + small + large + clicked))
    assert point_target(record, "box-centre") == pytest.approx((0.7, 0.5))  # (100+180)/2/200, (20+80)/2/100
    # no selected block: no target under any rule, so the oracle regresses exactly the images the clicks do
    unselected = parse_imagenet_ab_xml(write(tmp_path, size + large + block("False", [(1, 0.1, 0.9), (2, 0.2, 0.2)])))
    assert point_target(unselected, "box-centre") is None
    no_box = parse_imagenet_ab_xml(write(tmp_path, size + clicked))
    assert point_target(no_box, "box-centre") is None


def test_box_and_size_and_unknown_fields(tmp_path):
    body = (
        "<size><width>500</width><height>333</height><depth>3</depth></size>"
        "<object><name>n01440764</name><bndbox><xmin>10</xmin><ymin>20</ymin><xmax>300</xmax><ymax>200</ymax></bndbox></object>"
        + block("True", [(1, 0.5, 0.5)], "<newField>7</newField>")
    )
    record = parse_imagenet_ab_xml(write(tmp_path, body))
    assert record.size == (500, 333, 3) and record.image_size == (500, 333)
    assert record.boxes[0].contains(10, 200) and not record.boxes[0].contains(9.9, 100)
    assert record.annotators[0].extra == {"newField": "7"}


@pytest.mark.parametrize(
    "body, field, message",
    [
        (block("Yes", [(1, 0.5, 0.5)]), "metadata[0]/selected", "True or False"),
        (block("True", [(1, 0.5, 0.5)]).replace("<x>0.5</x>", "<x>abc</x>"), "metadata[0]/selectedRecord[0]/x", "number"),
        (block("True", [(1, 0.5, 0.5)]).replace("<x>0.5</x>", ""), "metadata[0]/selectedRecord[0]/x", "missing"),
        (block("True", [(1, 1.7, 0.5)]), "metadata[0]/selectedRecord[0]/x", "fraction"),
        (block("True", [(1, 0.5, 0.5)]).replace("<time>1</time>", "<time>1.5</time>"), "selectedRecord[0]/time", "integer"),
        (block("True", [(1, 0.5, 0.5)]).replace("<x>0.5</x>", "<x>nan</x>"), "selectedRecord[0]/x", "finite"),
        ("<metadata><selectedCount>0</selectedCount></metadata>", "metadata[0]/selected", "missing"),
        ("<object><name>n1</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox></object>",
         "object[0]/bndbox/xmax", "empty box"),
        ("<size><width>0</width><height>10</height></size>", "size/width", "positive"),
    ],
)  # fmt: skip
def test_malformed_field_is_named(tmp_path, body, field, message):
    path = write(tmp_path, body)
    with pytest.raises(ByproductFormatError) as caught:
        parse_imagenet_ab_xml(path)
    assert caught.value.path == path and field in caught.value.field and message in str(caught.value)
    assert path in str(caught.value)


def test_selected_without_click_is_an_error_not_a_missing_target(tmp_path):
    record = parse_imagenet_ab_xml(write(tmp_path, block("True", [])))
    with pytest.raises(ByproductFormatError, match=r"metadata\[0\]/selectedRecord"):
        point_target(record)


def test_not_xml_and_wrong_root(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<annotation><metadata>")
    with pytest.raises(ByproductFormatError, match="broken.xml: field '<document>': not well-formed"):
        parse_imagenet_ab_xml(str(broken))
    wrong = tmp_path / "wrong.xml"
    wrong.write_text("<root/>")
    with pytest.raises(ByproductFormatError, match="expected <annotation>"):
        parse_imagenet_ab_xml(str(wrong))


def test_skip_counter_counts_and_refuses_without_skip_bad():
    error = ByproductFormatError("a.xml", "x", "bad")
    with pytest.raises(ByproductFormatError):
        SkipCounter(skip_bad=False).handle(error)
    counter = SkipCounter(skip_bad=True)
    counter.handle(error)
    counter.handle(error)
    assert counter.skipped == 2 and counter.examples[0] == "a.xml: field 'x': bad"

"""What changed, compared as a reader needs it: a figure whose number changes is reported even when
its shown text stays the same; figures added, removed, changed and unchanged are each told apart."""

from __future__ import annotations

from generator.changes import Change, Changes, compare_manifests, record_version


def value(id: str, text: str, number=None, **fields) -> dict:
    """A figure as data/values.json publishes it."""
    item = {"id": id, "study": id.split("/")[0], "label": f"Label of {id}", "text": text, **fields}
    if number is not None:
        item["number"] = number
    return item


def manifest(values: list[dict], version: str = "v1", built: str = "2024-01-02") -> dict:
    return {"site": "Site", "data_version": version, "built": built, "values": values, "history": []}


def test_without_a_previous_manifest_nothing_is_compared():
    changes = compare_manifests(None, [value("s/a", "17 (19%)", 17)])
    assert changes == Changes() and not changes.has_previous and changes.count == 0


def test_the_same_figures_are_no_change_and_the_previous_version_is_named():
    figures = [value("s/a", "17 (19%)", 17), value("s/b", "0.75", 0.75), value("s/c", "NR")]
    changes = compare_manifests(manifest(figures, "v1", "2024-01-02"), [dict(f) for f in figures])
    assert (changes.changed, changes.appeared, changes.disappeared) == ([], [], [])
    assert changes.has_previous and changes.count == 0
    assert (changes.previous_version, changes.previous_built) == ("v1", "2024-01-02")


def test_a_figure_whose_text_changes_is_changed():
    changes = compare_manifests(manifest([value("s/a", "17 (19%)", 17)]), [value("s/a", "18 (20%)", 18)])
    assert changes.changed == [Change("s/a", "s", "Label of s/a", "17 (19%)", "18 (20%)")]
    assert changes.appeared == changes.disappeared == [] and changes.count == 1


def test_a_figure_whose_number_changes_under_the_same_text_is_changed():
    """0.7512 and 0.7549 both show as 0.75: the data changed, so What changed says so."""
    changes = compare_manifests(manifest([value("s/hr", "0.75", 0.7512)]), [value("s/hr", "0.75", 0.7549)])
    assert changes.changed == [Change("s/hr", "s", "Label of s/hr", "0.75", "0.75")]
    assert changes.count == 1


def test_a_figure_that_gains_or_loses_its_number_under_the_same_text_is_changed():
    gained = compare_manifests(manifest([value("s/a", "NR")]), [value("s/a", "NR", 12.0)])
    lost = compare_manifests(manifest([value("s/a", "NR", 12.0)]), [value("s/a", "NR")])
    assert [c.id for c in gained.changed] == [c.id for c in lost.changed] == ["s/a"]


def test_a_list_of_numbers_is_compared_whole():
    old = manifest([value("s/ci", "0.60 to 0.94", [0.6, 0.94])])
    assert compare_manifests(old, [value("s/ci", "0.60 to 0.94", [0.6, 0.94])]).count == 0
    assert compare_manifests(old, [value("s/ci", "0.60 to 0.94", [0.6, 0.941])]).count == 1


def test_added_and_removed_figures_appear_and_disappear_with_their_text():
    old = manifest([value("s/kept", "1", 1), value("s/gone", "2 (5%)", 2)])
    changes = compare_manifests(old, [value("s/kept", "1", 1), value("t/new", "3 (7%)", 3)])
    assert changes.changed == []
    assert changes.appeared == [Change("t/new", "t", "Label of t/new", None, "3 (7%)")]
    assert changes.disappeared == [Change("s/gone", "s", "Label of s/gone", "2 (5%)", None)]
    assert changes.count == 2


def test_every_kind_of_change_at_once_each_in_its_list_in_order():
    old = manifest(
        [value("s/same", "1", 1), value("s/text", "2", 2), value("s/number", "3", 3.0), value("s/gone", "4")]
    )
    new = [
        value("t/new", "5"),
        value("s/number", "3", 3.01),
        value("s/same", "1", 1),
        value("s/text", "two", 2),
    ]
    changes = compare_manifests(old, new)
    assert [c.id for c in changes.changed] == ["s/number", "s/text"]
    assert [(c.old, c.new) for c in changes.changed] == [("3", "3"), ("2", "two")]
    assert [c.id for c in changes.appeared] == ["t/new"]
    assert [c.id for c in changes.disappeared] == ["s/gone"]
    assert changes.count == 4


def test_a_label_missing_from_a_figure_is_its_id():
    changes = compare_manifests(manifest([]), [{"id": "s/x", "text": "1"}])
    assert changes.appeared == [Change("s/x", "", "s/x", None, "1")]


def test_a_manifest_without_figures_makes_every_figure_appear():
    changes = compare_manifests({"data_version": "v0", "built": "2023-01-01"}, [value("s/a", "1", 1)])
    assert [c.id for c in changes.appeared] == ["s/a"] and changes.previous_version == "v0"


def test_the_record_gains_one_version_when_the_data_changes_and_none_when_it_does_not():
    figures = [value("s/hr", "0.75", 0.7512)]
    previous = {**manifest(figures, "v1", "2024-01-02"), "history": []}
    (first,) = record_version(previous, figures, "v1", "2024-02-03")
    assert (first.data_version, first.built, first.count) == ("v1", "2024-01-02", 0)

    newest, older = record_version(previous, [value("s/hr", "0.75", 0.7549)], "v2", "2024-02-03")
    assert (newest.data_version, newest.built) == ("v2", "2024-02-03")
    assert (newest.previous_version, newest.previous_built) == ("v1", "2024-01-02")
    assert [c.id for c in newest.changed] == ["s/hr"]
    assert older == first
    assert Changes.from_json(newest.to_json()) == newest


def test_a_study_in_a_record_s_study_lists_never_hides_its_changed_figures():
    """A record names new and removed studies; their figures appeared or disappeared. A changed figure is
    listed whatever the lists say (a crafted record cannot hide it)."""
    change = Change("s/a", "s", "Label", "1", "2")
    record = Changes(changed=[change], appeared=[change], new_studies=["s"], removed_studies=["s"])
    assert record.figures("changed") == [change]
    assert record.figures("appeared") == [] and record.figures_of("s") == 1

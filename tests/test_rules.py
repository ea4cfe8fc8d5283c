"""Rules a reader relies on, each pinned by a case that a small plausible bug would get wrong:
the percent-rounding audit to the printed precision (half up, no tolerance), a reported interval
reproduced by one method for both bounds, a one-sided P value against half the P its interval implies,
every ratio measure on a log axis, and the generator's own code in the build cache key.

The audit cases are rows of one made-up study (the two-arm fixture, with rows added), audited once."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from generator.analysis import analyse_study
from generator.audit import audit_study
from generator.config import StatisticsSettings
from generator.load import load_studies
from generator.model import EFFECT_MEASURES, RATIO_MEASURES
from tests.conftest import ROOT
from tests.test_fixtures import FIXTURES

STUDY = "rules"

# (outcome, count, denominator, percent as printed, passes): each row's percent-rounding check.
PERCENT_ROWS = [
    ("exact", 60, 200, "30", True),
    ("one_point_above", 62, 200, "30", False),  # 31.0%, printed 30%: one point off
    ("one_point_below", 58, 200, "30", False),  # 29.0%
    ("nine_tenths_off", 629, 1000, "62", False),  # 62.9%, printed 62%: under one point off
    ("half_rounds_up", 115, 200, "58", True),  # 57.5% is printed 58%
    ("below_half", 574, 1000, "58", False),  # 57.4% is not
    ("half_up_not_to_even", 113, 200, "57", True),  # 56.5%: half up gives 57 (half to even: 56)
    ("half_not_truncated", 113, 200, "56", False),
    ("tenths", 17, 90, "18.9", True),  # 18.888...%
    ("tenths_one_tenth_off", 17, 90, "18.8", False),
    ("tenths_as_printed", 17, 90, "19.0", False),  # printed to tenths: 18.9, not 19
]

# (outcome, printed low, printed high, the check's expected text): 60/200 at 95%, whose intervals
# are exact Clopper-Pearson 23.74 to 36.86, Wilson 24.07 to 36.68, Jeffreys 23.97 to 36.60,
# Agresti-Coull 24.06 to 36.69, Wald 23.65 to 36.35 (percent).
NONE = "reproduced by no method this site knows"
INTERVAL_ROWS = [
    ("both_bounds", "23.7", "36.9", "reproduced by exact Clopper-Pearson"),
    ("two_methods", "24.1", "36.7", "reproduced by Wilson score, Agresti-Coull"),
    ("low_bound_only", "23.7", "37.9", NONE),
    ("high_bound_only", "22.7", "36.9", NONE),
    ("bounds_of_two_methods", "23.7", "36.7", NONE),  # Clopper-Pearson's low, Wilson's high
]

# (outcome, p as printed, sided, passes): a hazard ratio of 0.75 (95% CI 0.60 to 0.94) implies a
# two-sided P of 0.012 (0.008 to 0.017 within the rounding of the printed figures), one-sided 0.006.
P_ROWS = [
    ("two_sided", "P = 0.012", "two", True),
    ("unsaid_is_two_sided", "P = 0.012", "", True),
    ("one_sided_halved", "P = 0.006", "one", True),  # right only when the implied P is halved
    ("one_sided_not_halved", "P = 0.012", "one", False),  # the two-sided P printed as one-sided
    ("two_sided_halved", "P = 0.006", "two", False),
]


def _rows(path: Path, rows: list[dict]) -> None:
    """Append rows to a fixture CSV, under its header (a new column is added, empty for old rows)."""
    old = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    columns = list(dict.fromkeys([*old[0], *(name for row in rows for name in row)]))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows([*old, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")


def make_rules_study(content: Path) -> Path:
    """The two-arm fixture study with a row for each case above, each quoted from an added section."""
    folder = content / "studies" / STUDY
    shutil.copytree(FIXTURES / "studies" / "two-arm-randomized", folder)
    quotes = []
    proportions = []
    for outcome, count, denominator, percent, _ in PERCENT_ROWS:
        quote = f"{outcome}: {count} of {denominator} ({percent}%)"
        quotes.append(quote)
        proportions.append(
            {
                **dict(outcome=outcome, label=outcome, arm="drug-a", count=count, denominator=denominator),
                **dict(percent=percent, status="reported", source=quote),
            }
        )
    for outcome, low, high, _ in INTERVAL_ROWS:
        quote = f"{outcome}: 60 of 200 (30%; 95% CI, {low} to {high})"
        quotes.append(quote)
        proportions.append(
            {
                **dict(outcome=outcome, label=outcome, arm="drug-a", count=60, denominator=200, percent=30),
                **dict(ci_low=low, ci_high=high, ci_level=95, status="reported", source=quote),
            }
        )
    effects = []
    for outcome, p, sided, _ in P_ROWS:
        quote = f"{outcome}: hazard ratio 0.75 (95% CI, 0.60 to 0.94; {p})"
        quotes.append(quote)
        effects.append(
            {
                **dict(outcome=outcome, label=outcome, arm="drug-a", reference_arm="placebo"),
                **dict(measure="hazard_ratio", estimate="0.75", ci_low="0.60", ci_high="0.94", ci_level=95),
                **dict(p_value=p, sided=sided, status="reported", source=quote),
            }
        )
    _rows(folder / "responses.csv", proportions)
    _rows(folder / "effects.csv", effects)
    meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    meta["sources"][0]["sections"].append({"heading": "Cases", "text": ". ".join(quotes) + "."})
    (folder / "study.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> dict:
    """Every audit check of the made-up study, by id."""
    content = tmp_path_factory.mktemp("rules") / "content"
    make_rules_study(content)
    (study,) = load_studies(content)
    report = audit_study(analyse_study(study, StatisticsSettings()))
    return {check.id: check for check in report.checks}


# The percent-rounding check: n/N rounded half up to the printed decimals, no tolerance


@pytest.mark.parametrize(("outcome", "count", "denominator", "percent", "passes"), PERCENT_ROWS)
def test_a_percentage_passes_only_when_its_count_rounds_to_it_as_printed(
    checks, outcome, count, denominator, percent, passes
):
    check = checks[f"responses/{outcome}@drug-a/percent-rounding"]
    assert check.rule == "percent-rounding"
    assert check.expected == f"{percent}% as printed"
    assert check.inputs.startswith(f"{count}/{denominator} = ")
    assert check.passed is passes, f"{count}/{denominator} printed {percent}%: {check.inputs}"


# The reported-interval check: a method reproduces an interval only if it gives both bounds


@pytest.mark.parametrize(("outcome", "low", "high", "expected"), INTERVAL_ROWS)
def test_a_reported_interval_is_reproduced_by_a_method_only_when_both_bounds_match(
    checks, outcome, low, high, expected
):
    check = checks[f"responses/{outcome}@drug-a/reported-interval-method"]
    assert check.inputs == f"60/200, printed {low}% to {high}% (95%)"
    assert check.expected == expected
    assert check.passed is (expected != NONE)


# A one-sided P value against half the two-sided P the estimate and interval imply


@pytest.mark.parametrize(("outcome", "p", "sided", "passes"), P_ROWS)
def test_a_one_sided_p_value_is_checked_against_half_the_implied_p(checks, outcome, p, sided, passes):
    check = checks[f"effects/{outcome}@drug-a-vs-placebo/p-agrees-with-interval"]
    assert check.expected.startswith(f"{p} as printed")
    assert ("(the source says one-sided: halved)" in check.inputs) is (sided == "one")
    implied = "0.0060" if sided == "one" else "0.0120"
    assert f"implied P {implied}," in check.inputs, check.inputs
    assert check.passed is passes, check.inputs


# Each ratio measure on a log axis with the line of no effect at 1; a difference on a linear axis at 0


def _forest(measure: str, points: list[tuple[float, float, float]], settings=None):
    from generator.comparison import compare
    from generator.config import ComparisonSettings
    from generator.forest import forest_chart
    from tests.test_comparison import entry, outcome

    entries = [
        entry(f"s{i}", measure=measure, estimate=estimate, ci_low=low, ci_high=high)
        for i, (estimate, low, high) in enumerate(points)
    ]
    comparison = compare(outcome(), entries, settings or ComparisonSettings(), 0.95)
    return comparison, forest_chart(comparison)


@pytest.mark.parametrize("measure", RATIO_MEASURES)
def test_every_ratio_measure_is_drawn_on_a_log_axis_with_no_effect_at_one(measure):
    _, chart = _forest(measure, [(0.7, 0.5, 0.98), (1.3, 0.9, 1.9)])
    layout = chart.figure["layout"]
    scale = layout["xaxis"].get("type")
    assert scale == "log", f"{measure} on a {scale or 'linear'} axis"
    assert [(line["x0"], line["x1"]) for line in layout["shapes"]] == [(1, 1)]
    assert "(log scale)" in layout["xaxis"]["title"]["text"] and "on a log scale" in chart.caption


@pytest.mark.parametrize("measure", RATIO_MEASURES)
def test_every_ratio_measure_is_pooled_on_the_log_scale(measure):
    from generator.config import ComparisonSettings

    # 0.5 (0.25 to 1) and 2 (1 to 4) are as far from 1 either way: pooled on the log scale, 1
    comparison, chart = _forest(
        measure, [(0.5, 0.25, 1.0), (2.0, 1.0, 4.0)], ComparisonSettings(pooling=True)
    )
    (pooled,) = comparison.pooled
    assert pooled.log_scale and pooled.estimate == pytest.approx(1.0)
    assert chart.figure["layout"]["xaxis"]["type"] == "log"


def test_a_difference_is_drawn_on_a_linear_axis_with_no_difference_at_zero():
    assert "difference" in EFFECT_MEASURES and "difference" not in RATIO_MEASURES
    _, chart = _forest("difference", [(0.1, -0.1, 0.3), (0.2, 0.0, 0.4)])
    layout = chart.figure["layout"]
    assert layout["xaxis"].get("type") in (None, "linear")
    assert [(line["x0"], line["x1"]) for line in layout["shapes"]] == [(0, 0)]
    assert "log" not in layout["xaxis"]["title"]["text"] and "log scale" not in chart.caption


def test_every_effect_measure_with_an_estimate_is_a_ratio_or_a_difference():
    """A new measure must be declared one or the other (RATIO_MEASURES), so that it gets its axis."""
    assert set(EFFECT_MEASURES) == {*RATIO_MEASURES, "difference", "none"}


# The generator's own code is part of the build cache key


def test_changing_any_byte_of_the_generators_code_changes_the_cache_key(tmp_path, monkeypatch):
    """Every Python file of the package, subpackages included: a copy of it is the code keyed."""
    import generator
    from generator.cache import site_key, study_key
    from generator.config import SiteConfig

    package = tmp_path / "generator"
    shutil.copytree(Path(generator.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(generator, "__file__", str(package / "__init__.py"))
    config, templates, vocabulary = SiteConfig(), (ROOT / "templates",), ROOT / "content" / "outcomes.yml"
    study = FIXTURES / "studies" / "single-arm"

    def keys() -> tuple[str, str]:
        site = site_key(config, templates, vocabulary)
        return site, study_key(study, FIXTURES, site)

    before = keys()
    assert keys() == before, "the key is not stable"
    sources = sorted(package.rglob("*.py"))
    assert package / "cache.py" in sources and len(sources) > 10
    unkeyed = []
    for path in sources:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        changed = keys()
        path.write_bytes(original)
        if changed[0] == before[0] or changed[1] == before[1]:
            unkeyed.append(path.relative_to(package).as_posix())
    assert unkeyed == [], f"changing these leaves the cache key as it was: {unkeyed}"
    assert keys() == before

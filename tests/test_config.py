"""site_config.yml: defaults, and located errors for wrong types, unknown keys and hostile files."""

import os

import pytest

from generator.config import SiteConfig, load_site_config
from generator.errors import ConfigError
from tests.conftest import ROOT


def test_the_project_settings_are_the_defaults():
    assert load_site_config(ROOT / "site_config.yml") == SiteConfig()


def test_wrong_type_and_unknown_key_are_both_reported_with_lines(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text("statistics:\n  ci_level: high\n  ci_methd: wilson\nformat:\n  percent_decimals: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_site_config(path)
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        f"{path}, line 2, field 'statistics.ci_level': Input should be a valid number, "
        "unable to parse string as a number; found 'high'",
        f"{path}, line 3, field 'statistics.ci_methd': "
        "unknown field (check the spelling); expected one of: ci_method, ci_level, difference_method, "
        "between_arms",
    ]


def test_a_method_outside_the_list_is_refused(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text("statistics:\n  ci_method: exactish\n")
    with pytest.raises(ConfigError, match=r"line 2, field 'statistics\.ci_method'"):
        load_site_config(path)


def test_a_named_pipe_is_refused_without_opening_it(tmp_path):
    path = tmp_path / "site_config.yml"
    os.mkfifo(path)
    with pytest.raises(ConfigError) as caught:
        load_site_config(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: is a named pipe; expected a regular file"]


def test_anchors_and_aliases_are_refused_at_the_alias(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text("statistics: &s\n  ci_level: 0.9\nformat: *s\n")
    with pytest.raises(ConfigError, match=r"site_config\.yml, line 3: YAML alias '\*s' found"):
        load_site_config(path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_bytes(b"\xef\xbb\xbfstatistics:\n  ci_method: wilson\n")
    assert load_site_config(path).statistics.ci_method == "wilson"


def test_comparisons_between_arms_default_to_what_the_design_supports():
    between = SiteConfig().statistics.between_arms
    assert (between.non_randomized, between.harms_differences, between.harms_p_values) == (
        False,
        False,
        False,
    )


def test_p_values_on_adverse_events_without_their_differences_are_refused_with_the_line(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text("statistics:\n  between_arms:\n    harms_p_values: true\n")
    with pytest.raises(ConfigError) as caught:
        load_site_config(path)
    (problem,) = caught.value.problems
    assert problem.line == 2 and problem.field == "statistics.between_arms"
    assert "expected harms_differences: true" in str(problem)


def test_the_settings_turn_each_comparison_on(tmp_path):
    path = tmp_path / "site_config.yml"
    path.write_text(
        "statistics:\n  between_arms:\n    non_randomized: true\n    harms_differences: true\n"
        "    harms_p_values: true\n"
    )
    between = load_site_config(path).statistics.between_arms
    assert between.non_randomized and between.harms_differences and between.harms_p_values

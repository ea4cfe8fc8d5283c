"""The generator's settings: `site_config.yml`, declared and validated in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.errors import ConfigError, Problem
from generator.validation import read_validated

CI_METHODS = {
    "clopper-pearson": "beta",
    "wilson": "wilson",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
    "normal": "normal",
}
CI_METHOD_NAMES = {
    "clopper-pearson": "exact Clopper-Pearson",
    "wilson": "Wilson score",
    "jeffreys": "Jeffreys",
    "agresti-coull": "Agresti-Coull",
    "normal": "normal approximation (Wald)",
}
DIFFERENCE_METHOD_NAMES = {
    "newcombe": "Newcombe hybrid score",
    "wald": "Wald",
    "agresti-caffo": "Agresti-Caffo",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatisticsSettings(Strict):
    ci_method: Literal["clopper-pearson", "wilson", "jeffreys", "agresti-coull", "normal"] = Field(
        "clopper-pearson", description="Confidence interval method for a single proportion."
    )
    ci_level: float = Field(
        0.95, gt=0, lt=1, description="Confidence level of every interval, as a fraction."
    )
    difference_method: Literal["newcombe", "wald", "agresti-caffo"] = Field(
        "newcombe", description="Interval method for a difference between two proportions."
    )


class FormatSettings(Strict):
    percent_decimals: int = Field(
        1, ge=0, le=3, description="Decimals shown for percentages the generator computes."
    )


class PathSettings(Strict):
    content_dir: str = Field("content", description="Folder of study data, relative to the project.")
    templates_dir: str = Field("templates", description="Folder of page templates.")
    mkdocs_config: str = Field(
        "mkdocs.yml",
        description="The mkdocs configuration; its docs_dir receives the generated Markdown "
        "and its site_dir the built site.",
    )
    cache_dir: str = Field(
        "build/cache",
        description="Where each study's built pages are kept between builds, so that only the studies "
        "that changed are built again; a folder of its own, which the generator owns.",
    )


TAU2_METHODS = {"dersimonian-laird": "chi2", "paule-mandel": "iterated"}
"""The estimators of the between-study variance, by their names in settings, as statsmodels' method_re."""
TAU2_METHOD_NAMES = {"dersimonian-laird": "DerSimonian-Laird", "paule-mandel": "Paule-Mandel"}


class ComparisonSettings(Strict):
    pooling: bool = Field(
        False,
        description="Pool the studies' estimates of the same effect measure on each comparison page "
        "(a meta-analysis); off by default, as studies of different designs are rarely poolable.",
    )
    model: Literal["random-effects", "fixed-effect"] = Field(
        "random-effects", description="The pooling model: random-effects or fixed-effect (inverse variance)."
    )
    tau2_method: Literal["dersimonian-laird", "paule-mandel"] = Field(
        "dersimonian-laird",
        description="Estimator of the between-study variance tau² (random-effects weights, and "
        "the heterogeneity reported with either model).",
    )


class PublishSettings(Strict):
    site_url: str = Field(
        "",
        description="The address the site is published at, such as https://<user>.github.io/<repository>/; "
        "empty means mkdocs.yml's site_url. The environment variable EVIDENCE_SITE_URL overrides it.",
    )
    remote: str = Field("origin", min_length=1, description="The git remote `deploy` pushes to.")
    branch: str = Field("gh-pages", min_length=1, description="The branch `deploy` publishes the site on.")


class SiteConfig(Strict):
    statistics: StatisticsSettings = Field(
        default_factory=StatisticsSettings, description="How the statistics are computed."
    )
    format: FormatSettings = Field(default_factory=FormatSettings, description="How numbers are shown.")
    paths: PathSettings = Field(default_factory=PathSettings, description="Where things are.")
    publish: PublishSettings = Field(
        default_factory=PublishSettings, description="Where the site is published; where `deploy` pushes it."
    )
    comparison: ComparisonSettings = Field(
        default_factory=ComparisonSettings, description="How studies are compared on an outcome they share."
    )


def load_site_config(path: Path) -> SiteConfig:
    """Read and validate `site_config.yml`, reporting every problem with its line."""
    if not os.path.lexists(path):
        raise ConfigError([Problem(path, "settings file not found")])
    return read_validated(path, SiteConfig, ConfigError)

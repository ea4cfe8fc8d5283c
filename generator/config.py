"""The generator's settings: `site_config.yml`, declared and validated in one place."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from generator.difference_intervals import METHODS as DIFFERENCE_INTERVALS
from generator.errors import ConfigError, InputError, Problem
from generator.validation import read_validated
from generator.yamlfile import read_yaml

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
DIFFERENCE_METHOD_NAMES = {key: method.name for key, method in DIFFERENCE_INTERVALS.items()}
NOT_RANDOMIZED = "not randomized: descriptive, exploratory"
"""The label of a difference or test between arms that were not randomized."""
EXPLORATORY_UNADJUSTED = "exploratory, unadjusted"
"""The label of a P value on adverse events (with the number of tests on its table)."""
FROM_DERIVED_COUNTS = "from derived counts"
"""The label of a difference or test that uses a count the site derived (from a rounded percentage, a
sum or a complement)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BetweenArmsSettings(Strict):
    """Which differences and tests between arms the site computes from the counts: by default only those
    the design supports (CONSORT): between randomized arms, and for efficacy, not adverse events."""

    non_randomized: bool = Field(
        False,
        description="Differences and Fisher P values between arms that were not randomized (consecutive "
        "or parallel cohorts, the groups of a single-arm study); off: descriptive statistics only. When "
        f"on, each such figure is labelled '{NOT_RANDOMIZED}'.",
    )
    harms_differences: bool = Field(
        False,
        description="Risk differences with their intervals between arms for adverse events (a study's "
        "`harms` tables; by default, tables of proportions with a grade column); off: counts and "
        "percentages only (CONSORT-Harms). No P value unless harms_p_values asks.",
    )
    harms_p_values: bool = Field(
        False,
        description="Fisher P values beside those risk differences (needs harms_differences), each "
        f"labelled '{EXPLORATORY_UNADJUSTED}' with the number of tests on its table.",
    )

    @model_validator(mode="after")
    def _p_values_need_differences(self) -> BetweenArmsSettings:
        if self.harms_p_values and not self.harms_differences:
            raise ValueError(
                "harms_p_values is true but harms_differences is false; expected harms_differences: true "
                "for P values on adverse events"
            )
        return self


class StatisticsSettings(Strict):
    ci_method: Literal["clopper-pearson", "wilson", "jeffreys", "agresti-coull", "normal"] = Field(
        "clopper-pearson", description="Confidence interval method for a single proportion."
    )
    ci_level: float = Field(
        0.95, gt=0, lt=1, description="Confidence level of every interval, as a fraction."
    )
    difference_method: Literal["newcombe", "wald", "agresti-caffo", "miettinen-nurminen"] = Field(
        "newcombe", description="Interval method for a difference between two proportions."
    )
    between_arms: BetweenArmsSettings = Field(
        default_factory=BetweenArmsSettings,
        description="Which comparisons between arms the site computes from the counts: by default, "
        "differences and Fisher P values only between randomized arms, and none for adverse events.",
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


KNOWN_LICENCES = {
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution-ShareAlike 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": (
        "Open Data Commons Open Database License v1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    "ODC-By-1.0": (
        "Open Data Commons Attribution License v1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
    "PDDL-1.0": (
        "Open Data Commons Public Domain Dedication and License v1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
}
"""Licences whose name and page the generator knows, by SPDX identifier: any other needs its address."""
SOURCE_COPYRIGHT = (
    "The source articles keep their own copyright and licence: the quotations in the downloads are "
    "short extracts, cited so that each figure can be checked against its source."
)


SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$")
"""What an SPDX licence identifier looks like: letters, digits, '.', '-' and '+', no spaces."""
LICENCE_EXPECTED = "expected an SPDX licence identifier such as CC-BY-4.0 or CC0-1.0 (no spaces)"


class DataSettings(Strict):
    licence: str = Field(
        "CC-BY-4.0",
        description="The licence of the data this site publishes (its tables and chart data, the zip of each "
        "study's tables, data/values.json), as an SPDX identifier such as CC-BY-4.0 or CC0-1.0 (in any case: "
        "a known one is written in its usual case). The source articles keep their own copyright, as the "
        "site says beside the licence.",
    )
    licence_url: str | None = Field(
        None,
        max_length=2000,
        pattern=r"^(https?://[^\s<>\"'`\\]+)?$",
        validate_default=True,
        description="The address of the licence's text (http or https); empty for the known page of "
        f"{', '.join(KNOWN_LICENCES)}, and required for any other licence.",
    )

    @field_validator("licence", mode="before")
    @classmethod
    def _spdx(cls, value: object) -> object:
        """An SPDX identifier, a known one in its canonical case ('cc-by-4.0' -> 'CC-BY-4.0')."""
        if not isinstance(value, str) or not SPDX_ID.match(value):
            raise ValueError(LICENCE_EXPECTED)
        return {known.lower(): known for known in KNOWN_LICENCES}.get(value.lower(), value)

    @field_validator("licence_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("licence_url")
    @classmethod
    def _address_known(cls, value: str | None, info: ValidationInfo) -> str:
        licence = info.data.get("licence")
        if not value and licence is not None and licence not in KNOWN_LICENCES:
            raise PydanticCustomError(
                "licence_url_type",  # "_type": reported as empty, with what is expected
                "expected the address of the text of licence {licence} (http or https), since the "
                "generator knows the address only of " + ", ".join(KNOWN_LICENCES),
                {"licence": repr(licence)},
            )
        return value or ""

    @property
    def url(self) -> str:
        """The licence's text on the web."""
        return self.licence_url or KNOWN_LICENCES[self.licence][1]

    @property
    def name(self) -> str:
        """The licence in words ("Creative Commons Attribution 4.0 International"), or its identifier."""
        return KNOWN_LICENCES[self.licence][0] if self.licence in KNOWN_LICENCES else self.licence

    def as_json(self) -> dict[str, str]:
        """The licence as data/values.json states it."""
        return {"id": self.licence, "name": self.name, "url": self.url, "sources": SOURCE_COPYRIGHT}


class EvidenceSettings(Strict):
    few_patients: StrictInt = Field(
        100,
        ge=1,
        le=1_000_000,
        description="A study with fewer patients (in its first analysis set) is flagged as small on its "
        "overview and in the study index.",
    )


class SearchSettings(Strict):
    engine: Literal["auto", "material", "pagefind"] = Field(
        "auto",
        description="The site's search: material (Material for MkDocs' search, one index of the whole "
        "site that every reader loads first; also works from files), pagefind (Pagefind's index in "
        "chunks, fetched by the words of a query: light at any size, needs a web server; the offline "
        "copy keeps Material's), or auto: pagefind from pagefind_from studies on.",
    )
    pagefind_from: StrictInt = Field(
        100,
        ge=1,
        le=10_000_000,
        description="With engine: auto, a site of this many studies or more searches with Pagefind.",
    )

    def chosen(self, studies: int) -> Literal["material", "pagefind"]:
        """The engine a site of `studies` studies searches with."""
        if self.engine == "auto":
            return "pagefind" if studies >= self.pagefind_from else "material"
        return self.engine


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
    data: DataSettings = Field(
        default_factory=DataSettings, description="The downloads: the licence of the data the site publishes."
    )
    evidence: EvidenceSettings = Field(
        default_factory=EvidenceSettings, description="How the maturity of each study's evidence is flagged."
    )
    search: SearchSettings = Field(
        default_factory=SearchSettings, description="The site's search, and when a large site's is chunked."
    )


def load_site_config(path: Path) -> SiteConfig:
    """Read and validate `site_config.yml`, reporting every problem with its line."""
    if not os.path.lexists(path):
        from generator.invocation import command

        message = (
            f"settings file not found: {path.parent.resolve()} is not an evidence-site project. Run the "
            f"command in a project's folder (or name it with --project), or start one with "
            f"`{command('init DIR')}`"
        )
        raise ConfigError([Problem(path, message)])
    try:
        return read_validated(path, SiteConfig, ConfigError)
    except ConfigError as exc:
        raise ConfigError(_licence_lines(path, exc.problems)) from None


def _licence_lines(path: Path, problems: list[Problem]) -> list[Problem]:
    """A missing licence_url is reported at the licence it belongs to, not at the `data:` line."""
    try:
        _, lines = read_yaml(path)
    except InputError:
        return problems
    if ("data", "licence_url") in lines or ("data", "licence") not in lines:
        return problems
    return [
        replace(p, line=lines["data", "licence"]) if p.field == "data.licence_url" else p for p in problems
    ]

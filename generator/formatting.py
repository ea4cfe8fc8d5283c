"""How numbers are written, in one place: used by the page templates (as filters) and chart text."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from generator.config import CI_METHOD_NAMES, DIFFERENCE_METHOD_NAMES, SiteConfig
from generator.model import Citation, Design


class NumberFormat:
    """Formatters bound to the site's settings."""

    def __init__(self, config: SiteConfig):
        self.decimals = config.format.percent_decimals
        self.level = config.statistics.ci_level
        self.method = config.statistics.ci_method
        self.difference_method = config.statistics.difference_method

    def percent(self, fraction: float | None) -> str:
        """0.5778 -> '57.8%'."""
        if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
            return "–"
        return f"{fraction * 100:.{self.decimals}f}%"

    def points(self, fraction: float) -> str:
        """A difference of proportions in percentage points, signed: 0.0139 -> '+1.4 pp'."""
        return f"{fraction * 100:+.{self.decimals}f} pp".replace("-", "−")

    def interval(self, low: float | None, high: float | None, *, signed: bool = False) -> str:
        """'46.9% to 68.1%' (or signed percentage points for differences)."""
        if low is None or high is None:
            return "–"
        if signed:
            return f"{self.points(low)} to {self.points(high)}"
        return f"{self.percent(low)} to {self.percent(high)}"

    @property
    def level_text(self) -> str:
        """'95%'."""
        return f"{reported_number(self.level * 100)}%"

    @property
    def ci_name(self) -> str:
        """'95% CI'."""
        return f"{self.level_text} CI"

    @property
    def ci_method_name(self) -> str:
        return CI_METHOD_NAMES[self.method]

    @property
    def difference_method_name(self) -> str:
        return DIFFERENCE_METHOD_NAMES[self.difference_method]


def reported_number(value: Decimal | float | int | None) -> str:
    """A number as the source printed it: Decimal('5.0') -> '5.0', 57 -> '57'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return str(value) if isinstance(value, Decimal) else f"{value:g}"


def p_value(p: float) -> str:
    """Fisher p-values: 'p = 1.00', 'p = 0.032', 'p < 0.001'."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2f}" if p >= 0.1 else f"p = {p:.3f}"


def count_of(count: int | None, total: int | None) -> str:
    """'52/90', or '–' where the count or the denominator was not reported."""
    if count is None or total is None:
        return "–"
    return f"{int(count)}/{int(total)}"


def with_unit(value: Decimal | float | str, unit: str) -> str:
    """'6.2 months', '37%'; 'not reached' as printed."""
    if isinstance(value, str):
        return value
    return f"{reported_number(value)}{'' if unit == '%' else ' '}{unit}"


def pubmed_date(day: dt.date | str) -> str:
    """'2013 Aug 1' (or '2013 Aug', '2013' for a partial date), as PubMed writes dates."""
    parts = [int(part) for part in (day.isoformat() if isinstance(day, dt.date) else day).split("-")]
    words = [str(parts[0])]
    if len(parts) > 1:
        words.append(dt.date(2000, parts[1], 1).strftime("%b"))
    if len(parts) > 2:
        words.append(str(parts[2]))
    return " ".join(words)


def vancouver_reference(citation: Citation) -> str:
    """The reference as PubMed formats it (Vancouver style)."""
    authors = ", ".join(
        f"{a.family} {''.join(part[0] for part in a.given.split())}" for a in citation.authors
    ) + ("" if citation.authors_complete else ", et al")
    epub = f" Epub {pubmed_date(citation.epub_date)}." if citation.epub_date else ""
    doi = f" doi: {citation.doi}." if citation.doi else ""
    return (
        f"{authors}. {citation.title.strip().rstrip('.')}. {citation.journal}. {pubmed_date(citation.date)};"
        f"{citation.volume}({citation.issue}):{citation.pages}.{doi}{epub}"
    )


def short_authors(citation: Citation) -> str:
    """'Smith', 'Smith and Jones', 'Smith et al.' (et al. too when the list of authors is not complete)."""
    authors = citation.authors
    if len(authors) <= 2 and citation.authors_complete:
        return " and ".join(a.family for a in authors)
    return f"{authors[0].family} et al."


def dose_range(low: float, high: float, unit: str) -> str:
    if low == high:
        return f"{low:g} {unit}"
    return f"{low:g} to {high:g} {unit}"


def number_range(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g} to {high:g}"


ALLOCATION_WORDS = {
    "single-arm": "Single-arm",
    "non-randomized": "Non-randomized cohorts",
    "randomized": "Randomized",
}


def allocation_words(design: Design) -> str:
    """'Randomized 2:1', 'Single-arm': how patients came to their arm, as the data gives it."""
    return ALLOCATION_WORDS[design.allocation] + (f" {design.ratio}" if design.ratio else "")


def design_words(design: Design) -> str:
    """'Randomized 2:1, phase 3, open-label, NCT02013167': the design as the data gives it."""
    parts = [allocation_words(design)]
    if design.phase:
        parts.append(f"phase {design.phase}")
    if design.masking:
        parts.append(design.masking)
    parts += [registration.id for registration in design.registrations]
    return ", ".join(parts)

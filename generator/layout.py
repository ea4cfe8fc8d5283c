"""Which pages a study has and what each shows: composed from the kinds of table it holds; and what
identifies a build of the site, which every site-wide page shows (`SiteInfo`).

By default a study's tables share one Results page, except those whose kind has a page of its own
(`Kind.page`: the design page, under the kind's title); `pages` in study.yml orders, groups and titles
them (a page with the id `design` adds its tables to the design page). No page is ever empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.kinds import Kind
from generator.load import Study
from generator.model import DESIGN_PAGE, PageDeclaration

OVERVIEW, DESIGN, SOURCE, AUDIT = "index.md", "design.md", "source.md", "audit.md"
FIXED_TITLES = {
    OVERVIEW: "Overview",
    DESIGN: "Design and dosing",
    SOURCE: "Source and citation",
    AUDIT: "Consistency audit",
}


@dataclass(frozen=True)
class SiteInfo:
    """What identifies this build of the site."""

    title: str
    data_version: str
    built: dt.date


@dataclass(frozen=True)
class Section:
    """One table on a page: its name (the CSV file name without .csv), kind and heading; its kind's
    template draws it."""

    table: str
    kind: Kind
    title: str


@dataclass(frozen=True)
class ResultPage:
    name: str
    title: str
    sections: list[Section]


@dataclass(frozen=True)
class StudyLayout:
    """A study's pages in reading order, and the tables its design page adds."""

    result_pages: list[ResultPage]
    design_sections: list[Section]

    def page_of(self, table: str, folder: str) -> str:
        """The page that shows a table, as `folder/name.md`."""
        name = next((p.name for p in self.result_pages for s in p.sections if s.table == table), DESIGN)
        return f"{folder}/{name}"

    @property
    def nav(self) -> list[tuple[str, str]]:
        """(title, file name) of every page, in reading order."""
        pages = [(FIXED_TITLES[OVERVIEW], OVERVIEW), (FIXED_TITLES[DESIGN], DESIGN)]
        pages += [(page.title, page.name) for page in self.result_pages]
        return [*pages, (FIXED_TITLES[SOURCE], SOURCE), (FIXED_TITLES[AUDIT], AUDIT)]


def study_layout(study: Study) -> StudyLayout:
    """The study's pages: as declared in study.yml, or one Results page with every table."""
    own_page = [name for name, table in study.tables.items() if table.kind.page is None]
    declared = study.meta.pages or (
        [PageDeclaration(title="Results", id="results", tables=sorted(own_page))] if own_page else []
    )
    placed = {name for page in declared for name in page.tables}
    result_pages: list[ResultPage] = []
    design_sections = [  # the tables whose kind has a page of its own, unless study.yml places them
        Section(name, table.kind, table.kind.title)
        for name, table in study.tables.items()
        if table.kind.page == DESIGN_PAGE and name not in placed
    ]
    for page in declared:
        sections = [_section(study, page, name) for name in page.tables if name in study.tables]
        if page.slug == DESIGN_PAGE:
            design_sections += sections
        elif sections:
            result_pages.append(ResultPage(f"{page.slug}.md", page.title, sections))
    return StudyLayout(result_pages, design_sections)


def _section(study: Study, page: PageDeclaration, name: str) -> Section:
    kind = study.tables[name].kind
    title = page.titles.get(name) or name.replace("_", " ").capitalize()
    return Section(name, kind, title)

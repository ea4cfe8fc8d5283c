"""mkdocs hook: the generator's navigation, and on each page a sidebar that does not grow with the site.

Listed under `hooks:` in mkdocs.yml, so `mkdocs build` and `mkdocs serve` use it without the generator
touching mkdocs.yml.

The whole navigation. When mkdocs.yml has no `nav`, mkdocs takes the one the generator wrote
(`.nav.json` in docs_dir). mkdocs keeps it complete: every page is in it (a strict build warns about
a page that is not), and the footer's previous and next links follow it.

Each page's sidebar. Material draws the sidebar from the template's `nav`; each page (and each
theme template, such as 404.html) gets its own, in which groups are collapsed. A group is two or
more sibling sections that hold only pages, at any depth: the studies, one section each, whether
they sit in a Studies section or at the top level of the navigation. Of a group only the section
that holds the current page is kept, and none on a page outside the group. Everything else stays:
pages, sections that hold sections (such as Studies, with its own pages), and a section of pages
without a sibling section of pages (such as Comparisons). So a study's page lists the site's
sections and that study's pages, every other page lists no study's pages, and no page's sidebar
grows with the number of studies. The rule names no section; a study is reached from the pages
that list the studies. (Its limit: two top-level sections of pages, say Comparisons and a
Methods section, would form a group too; nest such sections, or give one of them a sub-section.)
"""

from __future__ import annotations

import copy
import json
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.structure.nav import Navigation, Section

NAV_FILE = ".nav.json"


def on_config(config):
    nav_file = Path(config["docs_dir"]) / NAV_FILE
    if config["nav"] is None and nav_file.is_file():
        config["nav"] = json.loads(nav_file.read_text(encoding="utf-8"))
    return config


def on_page_context(context, page, config, nav):
    context["nav"] = sidebar(nav, page)
    if page.title and not (page.meta or {}).get("title"):
        # The navigation's titles are HTML, escaped by the generator. Material writes the window title
        # as `page.title | striptags`, which would turn the escapes back into markup; a meta title is
        # written as it is, so the escaped title is shown as text there too. A page of a section
        # within a section (a study's page) names that section (the study) in its title and
        # description, so that a tab, a bookmark or a search result says which study it is.
        owner = page.parent.title if page.parent is not None and page.parent.parent is not None else None
        page.meta["title"] = f"{page.title} · {owner}" if owner else page.title
        if owner and not page.meta.get("description"):
            page.meta["description"] = f"{page.title} of {owner}, each figure with its source."
    return context


def on_template_context(context, template_name, config):
    nav = context.get("nav")
    if isinstance(nav, Navigation):  # 404.html draws the sidebar too, for no page
        context["nav"] = sidebar(nav, None)
    return context


@dataclass
class _Level:
    """The children of a section (or of the top level): those always kept, and those of a group."""

    kept: list[tuple[int, object]] = field(default_factory=list)  # (place among the children, item)
    grouped: dict[int, tuple[int, Section]] = field(default_factory=dict)  # by id(section)
    has_sections: bool = False


_plans: weakref.WeakKeyDictionary[Navigation, dict[int | None, _Level]] = weakref.WeakKeyDictionary()


def sidebar(nav: Navigation, page) -> Navigation:
    """The navigation as a page's sidebar shows it: groups collapsed to the section holding `page`.

    Pages and the sections kept are mkdocs' own objects (so `active` and `page` comparisons work);
    a section whose children change is a shallow copy. How each level splits is worked out once per
    navigation, so a page costs what its sidebar holds, not what the whole navigation holds.
    """
    plan = _plans.get(nav)
    if plan is None:
        plan = _plans[nav] = _plan(nav.items)
    ancestors = [] if page is None else [id(section) for section in page.ancestors]
    view = Navigation(_visible(plan, None, ancestors), [])
    view.pages, view.homepage = nav.pages, nav.homepage
    return view


def _plan(items: list, key: int | None = None, plan: dict | None = None) -> dict[int | None, _Level]:
    plan = {} if plan is None else plan
    level = plan[key] = _Level(has_sections=any(isinstance(item, Section) for item in items))
    for item in items:
        if isinstance(item, Section):
            _plan(item.children, id(item), plan)
    leaves = [item for item in items if isinstance(item, Section) and not plan[id(item)].has_sections]
    group = {id(section) for section in leaves} if len(leaves) > 1 else set()
    for index, item in enumerate(items):
        if id(item) in group:
            level.grouped[id(item)] = (index, item)
        else:
            level.kept.append((index, item))
    return plan


def _visible(plan: dict[int | None, _Level], key: int | None, ancestors: list[int]) -> list:
    level = plan[key]
    chosen = level.kept + [level.grouped[a] for a in ancestors if a in level.grouped]
    items = []
    for _, item in sorted(chosen, key=lambda pair: pair[0]):
        if isinstance(item, Section) and plan[id(item)].has_sections:
            children = _visible(plan, id(item), ancestors)
            item = copy.copy(item)  # with its `active` as it is now, while this page is built
            item.children = children
        items.append(item)
    return items

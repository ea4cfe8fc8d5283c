"""Navigation that scales: each page's sidebar holds the site's sections and the current study only.

mkdocs keeps the whole navigation (strict builds, previous and next links); the hook gives each page
a sidebar in which groups of sibling sections of pages (the studies) keep only the current one.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from mkdocs.structure.nav import Navigation, get_navigation

from generator.build import build_site, open_project
from generator.mkdocs_hooks import sidebar
from tests.conftest import STUDY, copy_project

# --- the rule, on both shapes of navigation ---------------------------------------------------------

STUDY_PAGES = ["index", "design", "audit"]


def study_section(slug: str) -> dict:
    return {f"Study {slug}": [{name.title(): f"studies/{slug}/{name}.md"} for name in STUDY_PAGES]}


NESTED = [  # Home, Studies (the index, then one section per study), Comparisons, What changed
    {"Home": "index.md"},
    {"Studies": [{"Study index": "studies/index.md"}, *(study_section(s) for s in ("a", "b", "c"))]},
    {"Comparisons": [{"All": "comparisons/index.md"}, {"Remission": "comparisons/remission.md"}]},
    {"What changed": "changes.md"},
]
FLAT = [{"Home": "index.md"}, *(study_section(s) for s in ("a", "b", "c")), {"What changed": "changes.md"}]


def navigation(tmp_path: Path, nav: list) -> Navigation:
    docs = tmp_path / "docs"
    for path in re.findall(r"'([\w/]+\.md)'", repr(nav)):
        (docs / path).parent.mkdir(parents=True, exist_ok=True)
        (docs / path).write_text("# Page\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: Test\n")
    config = load_config(str(tmp_path / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(tmp_path / "site"))
    config["nav"] = nav
    return get_navigation(get_files(config), config)


def outline(items: list) -> list:
    """Titles, a section as (title, [its children]), as the sidebar would show them."""
    return [(item.title, outline(item.children)) if item.is_section else item.title for item in items]


def shown(nav: Navigation, src: str | None) -> list:
    page = None if src is None else next(p for p in nav.pages if p.file.src_uri == src)
    if page is not None:
        page.active = True  # as mkdocs sets it while it builds the page
    try:
        view = sidebar(nav, page)
        assert view.homepage is nav.homepage and view.pages is nav.pages
        return outline(view.items)
    finally:
        if page is not None:
            page.active = False


STUDY_B = ("Study b", ["Index", "Design", "Audit"])
COMPARISONS = ("Comparisons", ["All", "Remission"])


def test_nested_navigation_keeps_the_sections_and_the_current_study_only(tmp_path):
    nav = navigation(tmp_path, NESTED)
    assert shown(nav, "studies/b/design.md") == [
        "Home",
        ("Studies", ["Study index", STUDY_B]),
        COMPARISONS,
        "What changed",
    ]
    for outside in ("index.md", "studies/index.md", "comparisons/remission.md", "changes.md", None):
        assert shown(nav, outside) == ["Home", ("Studies", ["Study index"]), COMPARISONS, "What changed"]
    assert len(nav.pages) == 14 and outline(nav.items)[1][1][3][0] == "Study c"  # the whole nav is kept


def test_flat_navigation_keeps_the_current_study_only(tmp_path):
    nav = navigation(tmp_path, FLAT)
    assert shown(nav, "studies/b/audit.md") == ["Home", STUDY_B, "What changed"]
    assert shown(nav, "index.md") == shown(nav, None) == ["Home", "What changed"]


def test_a_lone_section_of_pages_is_no_group(tmp_path):
    nav = navigation(tmp_path, [{"Home": "index.md"}, study_section("a")])
    assert shown(nav, "index.md") == ["Home", ("Study a", ["Index", "Design", "Audit"])]


# --- a real build: page size does not grow with the number of studies --------------------------------


def clone_study(content: Path, slug: str, index: int) -> None:
    """A copy of the real study under another slug, title, DOI and PMID (the build refuses duplicates)."""
    folder = content / "studies" / slug
    shutil.copytree(content / "studies" / STUDY, folder)
    meta = folder / "study.yml"
    text = meta.read_text()
    for pattern, replacement in (
        (r"^short_title: .*$", f"short_title: Copy {index:02d} of the study"),
        (r"^(\s+doi: )(\S+)$", rf"\g<1>\g<2>.copy{index}"),
        (r"^(\s+pmid: )\S+$", rf'\g<1>"{900_000 + index}"'),
    ):
        text = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert text.count(f"copy{index}") == 1 and f'"{900_000 + index}"' in text
    meta.write_text(text)


def build_with(tmp_path: Path, copies: int) -> Path:
    root = copy_project(tmp_path / f"project-{copies}")
    for index in range(copies):
        clone_study(root / "content", f"copy-{index:02d}", index)
    out = tmp_path / f"out-{copies}"
    build_site(open_project(root, site_dir=out / "site", docs_dir=out / "docs"))
    return out / "site"


def primary_nav(html: str) -> str:
    start = html.index('<nav class="md-nav md-nav--primary"')
    end = html.index('<div class="md-content"', start)
    return html[start:end]


COPIES = 4
"""Copies of a study the larger site adds to the real three: more than twice the studies, as many as
it takes (each copy is a study more to build) for a page that grows with the studies to show it."""


@pytest.fixture(scope="module")
def sites(tmp_path_factory, built_site) -> dict[int, Path]:
    """The real site (3 studies, the shared build of the real content) and one with COPIES more."""
    return {0: built_site / "site", COPIES: build_with(tmp_path_factory.mktemp("nav"), COPIES)}


def test_page_html_does_not_grow_with_the_number_of_studies(sites):
    for page in (
        f"studies/{STUDY}/design/index.html",
        f"studies/{STUDY}/audit/index.html",
        "changes/index.html",
    ):
        small, large = ((sites[n] / page).stat().st_size for n in (0, COPIES))
        assert abs(large - small) <= 8, f"{page}: {small} bytes at 3 studies, {large} at {3 + COPIES}"
    small, large = (len(primary_nav((sites[n] / "index.html").read_text())) for n in (0, COPIES))
    assert small == large


def test_a_study_page_lists_its_own_pages_and_no_other_study(sites):
    site = sites[COPIES]
    study = site / "studies" / STUDY
    html = (study / "design" / "index.html").read_text()
    nav = primary_nav(html)
    for page in sorted(p.parent.name for p in study.glob("*/index.html")):
        assert f'href="../{page}/"' in nav or page == "design", page
    assert 'href="../"' in nav  # the study's overview
    others = {p.name for p in (site / "studies").iterdir() if p.is_dir() and p.name != STUDY}
    assert len(others) == 2 + COPIES
    for other in others:
        assert other not in nav
    assert "Copy 03 of the study" not in nav


def test_pages_outside_the_studies_list_no_study_page(sites):
    site = sites[COPIES]
    studies = {p.name for p in (site / "studies").iterdir() if p.is_dir()}
    for page in ("index.html", "studies/index.html", "changes/index.html", "404.html"):
        nav = primary_nav((site / page).read_text())
        assert not [slug for slug in studies if f"{slug}/" in nav], page
        assert "changes/" in nav or page == "changes/index.html"


# --- the footer's previous and next, and the order of the studies ------------------------------------


def footer_links(html: str) -> dict[str, str]:
    """The footer's previous and next links, {"prev": href, "next": href}, as far as it has them."""
    footer = html.split('<footer class="md-footer">', 1)[1]
    found = re.findall(r'<a href="([^"]*)" class="md-footer__link md-footer__link--(\w+)"', footer)
    return {side: href for href, side in found}


def test_previous_and_next_stay_inside_a_study_and_lead_through_all_its_pages(built_site):
    site = built_site / "site"
    for study in sorted(p for p in (site / "studies").iterdir() if p.is_dir()):
        pages = sorted(p.parent for p in study.rglob("index.html"))
        reached = set()
        for page in pages:
            for side, href in footer_links((page / "index.html").read_text()).items():
                target = (page / href).resolve()
                assert target.is_relative_to(study.resolve()), f"{page}: {side} leaves the study for {href}"
                reached.add(target)
        assert reached == {p.resolve() for p in pages}, f"{study.name}: a page no previous or next reaches"


def test_the_studies_follow_the_study_index_in_the_navigation(built_site):
    index = (built_site / "site" / "studies" / "index.html").read_text()
    table = index.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    in_index = list(dict.fromkeys(re.findall(r'href="(?:\./)?([\w-]+)/"', table)))
    nav = json.loads((built_site / "docs" / ".nav.json").read_text())
    studies = next(item["Studies"] for item in nav if "Studies" in item)
    in_nav = [
        next(iter(pages[0].values())).split("/")[1]
        for s in studies
        for pages in s.values()
        if isinstance(pages, list)
    ]
    assert len(in_index) > 1 and in_nav == in_index

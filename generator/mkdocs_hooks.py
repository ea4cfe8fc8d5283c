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
import html
import json
import logging
import re
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.structure.nav import Navigation, Section

from generator.chunked_search import RECORD_FIELD

NAV_FILE = ".nav.json"
SITE_FILE = ".site.json"
"""Written by the generator beside the pages: the data version, and the forms of each glossary term."""
SEARCH_INDEX = Path("search", "search_index.json")
SEARCH_SCRIPT = "assets/javascripts/search.js"
"""The search box and results page of a site searched with Pagefind (on its pages only)."""
INSTANT_NAVIGATION_PAGES = 1200
"""Pages up to which the site keeps Material's instant navigation: it fetches sitemap.xml, which lists
every page (about 160 bytes each), on a reader's first visit; past this (a sitemap of about 190 KB),
pages load as plain links, and a reader's download stays the same at any number of studies."""


def keeps_instant_navigation(pages: int) -> bool:
    return pages <= INSTANT_NAVIGATION_PAGES


PROBLEMS_FILE = ".problems.json"
"""Written by the preview beside the pages while an edit is bad: its problems, shown on every page."""

_site: dict = {
    "search": "material",
    "search_forms": [],
    "owners": {},
    "unlisted": [],
    "shard": None,
    "compiled": None,
}
"""This build's site file and the study of each page, read at the start of every build."""


def render_only(shard: dict | None) -> None:
    """Make the next build one slice of a site built in slices (`generator.shards`), or a partial
    build's (`generator.incremental`): of the pages, only `shard["pages"]` are rendered, and the
    other files are copied only when `shard["static"]`, or when listed in `shard["files"]` (in a
    dirty build, where a file left unmodified is skipped); the theme's own pages (404.html, the
    sitemap) are rendered when `shard["templates"]`, by default when `shard["static"]`. None: a
    whole build."""
    _site["shard"] = shard


def keep_compiled(bytecode_cache) -> None:
    """Make the next builds read and keep the theme's compiled templates in `bytecode_cache` (a
    `jinja2.BytecodeCache`: `generator.compiled`), or compile them afresh (None)."""
    _site["compiled"] = bytecode_cache


def on_env(env, config, files):
    if _site["compiled"] is not None:
        env.bytecode_cache = _site["compiled"]
    return env


def default_templates() -> Path:
    """The templates that ship with the generator (pages, assets, the theme's overrides): beside this
    file in the installed package, or the source tree's templates/ folder. (mkdocs reads this file by
    its path, so the rule is here, in the standard library's terms.)"""
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    return installed if installed.is_dir() else here.parent / "templates"


def on_config(config):
    _with_default_overrides(config.get("theme"))
    docs = Path(config["docs_dir"])
    nav_file = docs / NAV_FILE
    if config["nav"] is None and nav_file.is_file():
        config["nav"] = json.loads(nav_file.read_text(encoding="utf-8"))
    info = _site_info(docs / SITE_FILE)
    _site["search_forms"] = info.get("search_forms", [])
    _site["problems"] = _problems(docs / PROBLEMS_FILE)
    _site["anchors"] = {}
    _site["search"] = "pagefind" if info.get("search") == "pagefind" else "material"
    listed = info.get("unlisted")
    _site["unlisted"] = [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []
    if info.get("instant") is False:
        _without_instant_navigation(config.get("theme"))
    shard = _site["shard"]
    if shard is not None and not shard.get("templates", shard["static"]):
        _without_static_templates(config.get("theme"))
    if _site["search"] == "pagefind" and SEARCH_SCRIPT not in config["extra_javascript"]:
        config["extra_javascript"].append(SEARCH_SCRIPT)
    if "data_version" in info:
        config["extra"]["evidence_site"] = {
            "data_version": info["data_version"],
            "built": info["built"],
            "search": _site["search"],
        }
    return config


def _with_default_overrides(theme) -> None:
    """The theme's overrides that ship with the generator, under the project's own (its custom_dir):
    a project overrides only the partials it copies in."""
    if not hasattr(theme, "dirs"):
        return  # not Material's theme object (mkdocs run on the pages by hand, or a test's settings)
    overrides = default_templates() / "overrides"
    listed = {Path(folder).resolve() for folder in theme.dirs}
    if overrides.is_dir() and overrides not in listed:
        theme.dirs.insert(1 if theme.custom_dir else 0, str(overrides))


def _without_static_templates(theme) -> None:
    """A slice that leaves the site's own files to another (`generator.shards`): the theme's pages
    that are not documents (404.html, and sitemap.xml, which lists every page: 11 MB at 10,000
    studies) are not rendered again, only to be thrown away."""
    if hasattr(theme, "static_templates"):
        theme.static_templates.clear()


def _without_instant_navigation(theme) -> None:
    """A site past `INSTANT_NAVIGATION_PAGES` pages: the theme's instant navigation left out (each
    reader would download the sitemap of every page)."""
    features = theme.get("features") if theme is not None and hasattr(theme, "get") else None
    if isinstance(features, list):
        features[:] = [f for f in features if not str(f).startswith("navigation.instant")]


def _problems(path: Path) -> list[str]:
    """The preview's problems with the last edit (none in a build: the file exists only then)."""
    try:
        problems = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    return [p for p in problems if isinstance(p, str)] if isinstance(problems, list) else []


def on_page_content(html_text, page, config, files):
    """While an edit is bad, the preview's every page opens with its problems (left out of search)."""
    problems = _site.get("problems")
    if not problems:
        return html_text
    items = "".join(f"<li><code>{html.escape(problem)}</code></li>" for problem in problems)
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    banner = (
        '<div class="admonition failure ev-preview-problems" role="alert" data-search-exclude>'
        f'<p class="admonition-title">Not updated: the last edit has {count}</p>'
        f"<p>These pages are the last good build. Fix the input and save: this notice goes away.</p>"
        f"<ul>{items}</ul></div>"
    )
    return banner + html_text


def _site_info(path: Path) -> dict:
    """The generator's site file, or nothing when mkdocs runs on pages without one."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    forms = info.get("search_forms") if isinstance(info, dict) else None
    if not isinstance(forms, list) or not all(
        isinstance(term, list) and all(isinstance(form, str) for form in term) for term in forms
    ):
        return {}
    version, built = info.get("data_version"), info.get("built")
    if (
        isinstance(version, str)
        and VERSION.fullmatch(version)
        and isinstance(built, str)
        and DATE.fullmatch(built)
    ):
        return info
    return {key: info.get(key) for key in ("search", "unlisted", "instant")} | {"search_forms": forms}


VERSION = re.compile(r"[0-9a-f]{6,64}")
"""A data version as the generator names it: a short hash of the content (anything else is not shown)."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def on_nav(nav, config, files):
    _site["owners"] = {page.url: owner.title for page in nav.pages if (owner := study_of(page))}
    _site["records"] = study_records(nav.pages) if _site["search"] == "pagefind" else {}
    _site["positions"] = {file.src_uri: n for n, file in enumerate(files.documentation_pages())}
    return nav


def study_records(pages: list) -> dict[str, str]:
    """Of each study page (by URL), its study's first page: the chunked search's one record of the
    study, which holds all its pages (`generator.chunked_search`)."""
    first: dict[int, str] = {}
    return {page.url: first.setdefault(id(owner), page.url) for page in pages if (owner := study_of(page))}


def page_anchors() -> dict:
    """Of each page the last build rendered (by its Markdown file): the HTML file written, its URL, its
    place in the build's order, its anchors and those its links point to (`generator.incremental`
    checks a partial build's links with them, `generator.shards` a build in slices)."""
    return _site.get("anchors", {})


def study_of(page) -> Section | None:
    """The study a page belongs to: the section it is in, when that section is in a section."""
    parent = page.parent
    return parent if parent is not None and parent.parent is not None else None


def on_page_context(context, page, config, nav):
    context["nav"] = sidebar(nav, page)
    _site.setdefault("anchors", {})[page.file.src_uri] = {
        "page": page.file.dest_uri,
        "url": page.url,
        "position": _site.get("positions", {}).get(page.file.src_uri, -1),
        "ids": sorted(page.present_anchor_ids or ()),
        "links": {to.src_uri: sorted(links) for to, links in (page.links_to_anchors or {}).items()},
    }
    owner = study_of(page)
    if page.title and not (page.meta or {}).get("title"):
        # The navigation's titles are HTML, escaped by the generator. Material writes the window title
        # as `page.title | striptags`, which would turn the escapes back into markup; a meta title is
        # written as it is, so the escaped title is shown as text there too. A page of a section
        # within a section (a study's page) names that section (the study) in its title and
        # description, so that a tab, a bookmark or a search result says which study it is.
        page.meta["title"] = f"{page.title} · {owner.title}" if owner else page.title
        if owner and not page.meta.get("description"):
            page.meta["description"] = f"{page.title} of {owner.title}, each figure with its source."
    # the footer's previous and next stay inside a study: a link into or out of one would lead to
    # another study's page, named only "Overview" or "Consistency audit"
    for neighbour in ("previous_page", "next_page"):
        other = getattr(page, neighbour)
        if other is not None and (owner or study_of(other)) and study_of(other) is not owner:
            setattr(page, neighbour, None)
    return context


def on_post_build(config):
    """The search index with each study page's title naming its study, and each glossary term's other
    forms beside the text that prints one (Material's search plugin wrote it just before)."""
    path = Path(config["site_dir"]) / SEARCH_INDEX
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    index = searchable(index, _site["owners"], _site["search_forms"], _site.get("records", {}))
    write_search_index(path, index)
    rendered_all = len(_site.get("anchors", {})) >= len(_site.get("positions", {}))
    # the chunked index, from this one; after a dirty build or a slice's, from the merged one (by the caller)
    if _site["search"] == "pagefind" and rendered_all:
        from generator.chunked_search import write_bundle

        start = time.perf_counter()
        records = write_bundle(Path(config["site_dir"]), index)
        took = time.perf_counter() - start
        logging.getLogger("generator").info(
            "  the chunked search index (Pagefind): %d records, %.2f s", records, took
        )


def on_files(files, config):
    """The pages the generator reaches by links, not the navigation (the pages of a paged list beyond
    its first, the chunked search's results page), are left out of the navigation's check."""
    from mkdocs.structure.files import InclusionLevel

    for path in _site["unlisted"]:
        page = files.get_file_from_path(path)
        if page is not None:
            page.inclusion = InclusionLevel.NOT_IN_NAV
    shard = _site["shard"]
    if shard is not None:
        for file in files:
            if file.is_documentation_page():
                ours = file.src_uri in shard["pages"]
            else:
                ours = shard["static"] or file.src_uri in shard.get("files", ())
            if not ours:
                file.is_modified = _unmodified  # another slice renders or copies it
    return files


def _unmodified() -> bool:
    return False


def merged_search_docs(kept: list[dict], rebuilt: list[dict]) -> tuple[list[dict], list[str]]:
    """After a dirty build (whose index holds the rebuilt pages only): the last whole index's entries
    with each rebuilt page's new entries where its old ones were, then the rebuilt pages it did not
    hold; and those new pages. An entry's `location` is its page's URL, then `#section`."""
    groups: dict[str, list[dict]] = {}
    for entry in rebuilt:
        groups.setdefault(page_of(entry), []).append(entry)
    merged, placed = [], set()
    for entry in kept:
        page = page_of(entry)
        if page not in groups:
            merged.append(entry)
        elif page not in placed:
            merged.extend(groups[page])
            placed.add(page)
    added = [page for page in groups if page not in placed]
    return merged + [entry for page in added for entry in groups[page]], added


def page_of(entry: dict) -> str:
    """The URL of the page a search index entry is of."""
    return str(entry.get("location", "")).split("#", 1)[0]


def write_search_index(path: Path, index: dict) -> None:
    """The search index as a build writes it (the hook, a partial build's merge, a build in slices)."""
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


GLOSSARY_FIELD = "glossary"
"""The search index's field for the glossary terms a document prints, each occurrence as every form of
its term. Weighted as a title is: a page that prints a term is found by any of its forms alike, and
before a page that merely shares one of its words (the "disease" of another disease in a title)."""

STUDY_TAG_BOOST = 1e-3
"""The weight of a result's study name (Material's tags field, which this site uses for nothing else):
low, so that the words of a study's title (a drug, a disease) do not outrank the pages that print the
words searched for; it still finds a study's pages by its name, last."""


def searchable(
    index: dict, owners: dict[str, str], forms: list[list[str]], records: dict[str, str] | None = None
) -> dict:
    """Material's search index, each study page's result naming its study (as a tag, which Material
    shows under the page title of a result), each document found by every form of the glossary
    terms it prints (a field that is not shown), and each study page's record (`records`)."""
    fields = index["config"]["fields"]
    fields["tags"] = {"boost": STUDY_TAG_BOOST}
    matcher = FormMatcher(forms) if forms else None
    if matcher:
        fields[GLOSSARY_FIELD] = {"boost": fields.get("title", {}).get("boost", 1.0)}
    for doc in index["docs"]:
        owner = owners.get(doc["location"])
        if owner and html.unescape(owner) not in html.unescape(doc["title"]):
            doc["tags"] = [owner]
        record = (records or {}).get(page_of(doc))
        if record is not None and record != page_of(doc):
            doc[RECORD_FIELD] = record
        printed = matcher.terms_in(f"{doc['title']} {doc['text']}") if matcher else []
        if printed:
            doc[GLOSSARY_FIELD] = " ".join(html.escape(form, quote=False) for form in printed)
    return index


TAG = re.compile(r"<[^>]*>")


WORD = re.compile(r"[^\W_]+")


class FormMatcher:
    """Finds the forms of glossary terms in text. A short form with a capital (an abbreviation: VOD,
    CRi, ALL) matches only as written; other forms match in any case, hyphens and spaces alike. Each
    form matches as whole words, with an optional plural s; where forms overlap the longest wins.

    A document is matched against the forms whose first word it holds only (one pattern for each set
    of such forms, made once): a glossary of thousands of terms costs what the few a page holds cost."""

    def __init__(self, terms: list[list[str]]):
        self.terms = terms
        self.by_first_word: dict[str, list[tuple[str, int]]] = {}
        for number, term in enumerate(terms):
            for form in term:
                first = WORD.search(form)
                if first:  # a form without a letter or digit matches nothing (the glossary refuses it)
                    self.by_first_word.setdefault(first.group(0).casefold(), []).append((form, number))
        self.patterns: dict[tuple[tuple[str, int], ...], re.Pattern[str]] = {}

    def terms_in(self, markup: str) -> list[str]:
        """Every form of each term the text (HTML, as the index holds it) prints, once per occurrence."""
        text = html.unescape(TAG.sub(" ", markup))
        words = {word.casefold() for word in WORD.findall(text)}
        words |= {word[:-1] for word in words if word.endswith("s")}  # a plural's first word
        candidates = tuple(
            sorted(
                {pair for word in words for pair in self.by_first_word.get(word, [])},
                key=lambda pair: (-len(pair[0]), pair),
            )
        )
        if not candidates:
            return []
        pattern = self.patterns.get(candidates) or self._compile(candidates)
        return [
            form
            for match in pattern.finditer(text)
            for form in self.terms[candidates[int((match.lastgroup or "f0")[1:])][1]]
        ]

    def _compile(self, candidates: tuple[tuple[str, int], ...]) -> re.Pattern[str]:
        alternatives = "|".join(
            f"(?P<f{index}>{_form_pattern(form)})" for index, (form, _) in enumerate(candidates)
        )
        pattern = self.patterns[candidates] = re.compile(
            rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE
        )
        return pattern


def _form_pattern(form: str) -> str:
    """A form as a pattern: its words apart by spaces or hyphens, an optional plural s; an abbreviation
    (one short word with a capital) only as written, its s too."""
    words = [re.escape(word) for word in re.split(r"[\s\-]+", form.strip()) if word]
    pattern = r"[\s\-]+".join(words) + "s?"
    abbreviation = len(words) == 1 and len(form) <= 5 and any(char.isupper() for char in form)
    return f"(?-i:{pattern})" if abbreviation else pattern


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

"""Build the same generated pages with MkDocs (+ Material) and with Zensical, and print their figures.

Issue 20. In a throw-away folder it writes N synthetic studies (bench/build_bench.py's project: copies of
the real and fixture studies), runs the generator once to get the Markdown pages (build/docs), then
builds copies of those pages with each engine variant:

- mkdocs: the settings a build gives mkdocs (mkdocs.yml and generator/engine.py's), with the hook
  (.nav.json, the trimmed sidebar, prev/next inside a study, the index's study tags and glossary forms);
- mkdocs, no hook + prune: the hook removed, the navigation inlined from .nav.json, Material's
  `navigation.prune` added (what the pages would be without the per-page sidebar);
- zensical: the hook removed (Zensical runs no MkDocs hooks), the navigation inlined, our search
  partial left out of the theme's overrides (tests/test_zensical.py builds the real site so);
- zensical + prune: the same with `navigation.prune`.

Each engine runs in its own process; CPU is user+sys of its whole process tree (getrusage of the
children). The search check is offline: the index file exists and a document of a chosen study holds
every word of that study's title. Nothing in the repository is written. Progress goes to stderr, the
table to stdout.

    python scripts/engine_compare.py --studies 100 --zensical /tmp/zvenv/bin/zensical

(Zensical pinned: `python -m venv /tmp/zvenv && uv pip install --python /tmp/zvenv/bin/python
-r requirements-zensical.lock`.)
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import urljoin

import yaml

from generator.build import open_project
from generator.mkdocs_hooks import default_templates

ROOT = Path(__file__).resolve().parent.parent
CHART = re.compile(r'<div class="ev-chart"')
CHARTS_JS = re.compile(r'<script src="[^"]*assets/javascripts/charts\.js"')
FOOTER_LINK = re.compile(r'<a href="([^"]*)" class="md-footer__link md-footer__link--(?:prev|next)"')
TITLE = re.compile(r"<title>([^<]*)</title>")
NAV_TAG = re.compile(r"<(/?)nav\b")
PRIMARY_NAV = '<nav class="md-nav md-nav--primary"'


def load_bench() -> ModuleType:
    """bench/build_bench.py, for its synthetic project, its measured runs and its site figures."""
    spec = importlib.util.spec_from_file_location("build_bench", ROOT / "bench" / "build_bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_bench"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass
class Variant:
    name: str
    engine: str  # "mkdocs" or "zensical"
    hook: bool
    prune: bool
    studies_in_nav: bool = True  # False: each study left out of the nav, its title in its pages' front matter


ZENSICAL = Variant("zensical", "zensical", hook=False, prune=False)
VARIANTS = [
    Variant("mkdocs", "mkdocs", hook=True, prune=False),
    Variant("mkdocs, no hook + prune", "mkdocs", hook=False, prune=True),
    ZENSICAL,
    Variant("zensical + prune", "zensical", hook=False, prune=True),
    Variant("mkdocs, no hook, studies out of nav", "mkdocs", hook=False, prune=False, studies_in_nav=False),
    Variant("zensical, studies out of nav", "zensical", hook=False, prune=False, studies_in_nav=False),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", "-n", type=int, default=100, help="number of studies (default 100)")
    parser.add_argument(
        "--zensical", default="zensical", help="the zensical executable (default: `zensical` on PATH)"
    )
    parser.add_argument("--python", default=sys.executable, help="Python with the generator and mkdocs")
    parser.add_argument("--docs", type=Path, help="generated pages to reuse (a build/docs folder)")
    parser.add_argument("--workdir", type=Path, help="where to make the throw-away folder")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away folder")
    return parser.parse_args()


def find_zensical(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(
            f"error: no zensical executable at {name!r}. Install it apart from the project, e.g. "
            "`python3 -m venv /tmp/zvenv && /tmp/zvenv/bin/pip install -r requirements-zensical.lock`, "
            "then pass --zensical /tmp/zvenv/bin/zensical."
        )
    return path


def engine_version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def generate(bench: ModuleType, args: argparse.Namespace, work: Path, env: dict[str, str]) -> Path:
    """The generated pages of N synthetic studies (the generator's own mkdocs site is not used)."""
    project = work / "project"
    bench.progress(f"writing {args.studies} studies into {project}")
    bench.make_project(ROOT, project, args.studies, args.python)
    command = [args.python, "-m", "generator", "build", "-q", "--project", str(project)]
    run = bench.run_measured("generator", command, project, env, work / "generator.log")
    if not run.ok:
        sys.exit(f"the generator failed (exit {run.returncode}):\n{run.tail()}")
    return project / "build" / "docs"


def engine_config(docs: Path) -> dict:
    """The settings mkdocs gets in a build: the project's mkdocs.yml with what the generator supplies
    on top of it (generator.engine: theme and its overrides, Markdown extensions, scripts, styles,
    the search separator, the hook), for the pages in `docs` (beside the config) and a site beside them."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(copy.deepcopy(open_project(ROOT).engine))
    config["docs_dir"], config["site_dir"] = "docs", "site"
    return config


def without_hook(config: dict, docs: Path) -> None:
    """What the hook adds, inlined: the navigation (.nav.json) and the data version (.site.json)."""
    config.pop("hooks", None)
    config["nav"] = json.loads((docs / ".nav.json").read_text(encoding="utf-8"))
    site = json.loads((docs / ".site.json").read_text(encoding="utf-8"))
    config.setdefault("extra", {})["evidence_site"] = {
        "data_version": site["data_version"],
        "built": site["built"],
    }


def zensical_overrides(theme: dict, folder: Path) -> None:
    """The theme's overrides copied into `folder` (the package's, under the project's, as the hook
    stacks them) without partials/search.html: Zensical's own search partial names its dialog, and
    ours (Material's) leaves its search at "Initializing search"."""
    shutil.copytree(default_templates() / "overrides", folder)
    if custom := theme.get("custom_dir"):
        shutil.copytree(custom, folder, dirs_exist_ok=True)
    (folder / "partials" / "search.html").unlink(missing_ok=True)
    theme["custom_dir"] = str(folder)


def variant_config(variant: Variant, docs: Path, folder: Path) -> dict:
    """The settings of one variant, for the pages in `docs` (the variant's config goes in `folder`)."""
    config = engine_config(docs)
    theme = config["theme"]
    if not variant.hook:
        without_hook(config, docs)
    if variant.engine == "zensical":
        zensical_overrides(theme, folder / "overrides")
    if variant.prune:
        theme["features"] = [*theme["features"], "navigation.prune"]
    if not variant.studies_in_nav:
        config["nav"] = [without_studies(item) for item in config["nav"]]
        config["validation"]["omitted_files"] = "info"
    return config


def write_config(variant: Variant, docs: Path, folder: Path) -> Path:
    """`folder`/mkdocs.yml: the variant's settings, for the pages in `folder`/docs (taken from `docs`)."""
    path = folder / "mkdocs.yml"
    config = variant_config(variant, docs, folder)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def is_study(item: dict) -> bool:
    """A section of pages inside a section: a study (the hook's "group" rule, in .nav.json's shape)."""
    children = next(iter(item.values()))
    return isinstance(children, list) and all(isinstance(v, str) for c in children for v in c.values())


def without_studies(item: dict) -> dict:
    """A top-level nav item with the studies taken out of it (Studies keeps its study index)."""
    title, children = next(iter(item.items()))
    if not isinstance(children, list):
        return item
    return {title: [child for child in children if not is_study(child)]}


def studies(nav: list[dict]) -> list[tuple[str, dict[str, str]]]:
    """Each study of .nav.json: its title and its pages (title -> path)."""
    return [
        (title, {k: v for page in pages for k, v in page.items()})
        for item in nav
        for section in item.values()
        if isinstance(section, list)
        for child in section
        for title, pages in child.items()
        if isinstance(pages, list)
    ]


def titles_in_front_matter(docs: Path) -> None:
    """What the generator would write instead of the hook: each study page's title naming its study,
    its description, and the study as the page's search tag (front matter of the Markdown)."""
    for study, pages in studies(json.loads((docs / ".nav.json").read_text(encoding="utf-8"))):
        for title, name in pages.items():
            page = docs / name
            text = page.read_text(encoding="utf-8")
            meta = (
                f"title: {json.dumps(f'{title} · {study}')}\n"
                f"description: {json.dumps(f'{title} of {study}, each figure with its source.')}\n"
                f"tags:\n  - {json.dumps(study)}\n"
            )
            text = text[4:] if text.startswith("---\n") else "---\n" + text
            page.write_text("---\n" + meta + text, encoding="utf-8")


def build(bench: ModuleType, variant: Variant, docs: Path, work: Path, commands: dict, env: dict):
    folder = work / re.sub(r"\W+", "-", variant.name).strip("-")
    shutil.copytree(docs, folder / "docs")
    if not variant.studies_in_nav:
        titles_in_front_matter(folder / "docs")
    config = write_config(variant, folder / "docs", folder)
    command = [*commands[variant.engine], "-f", str(config)]
    run = bench.run_measured(variant.name, command, folder, env, folder / "build.log")
    return run, folder / "site"


@dataclass
class Figures:
    pages: int
    median_page: float
    site_bytes: int
    median_nav: float
    largest_nav: int
    index_file: str
    index_docs: int
    finds_study: bool
    glossary_field: bool
    study_in_result: str
    chart_divs: int
    pages_with_charts_js: int
    cross_study_links: int
    titles_naming_study: int


def primary_nav(html: str) -> int:
    """Bytes of the page's sidebar: the primary <nav> with every <nav> nested in it."""
    start = html.find(PRIMARY_NAV)
    if start < 0:
        return 0
    depth = 0
    for tag in NAV_TAG.finditer(html, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = html.find(">", tag.end()) + 1
            return len(html[start:end].encode())
    return 0


def study_of(url: str) -> str | None:
    parts = url.strip("/").split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "studies" and parts[1] != "index.html" else None


def search_index(site: Path) -> tuple[str, list[dict]]:
    """Material's index (search/search_index.json, "docs") or Zensical's (search.json, "items")."""
    for name, key in (("search/search_index.json", "docs"), ("search.json", "items")):
        path = site / name
        if path.is_file():
            return name, json.loads(path.read_text(encoding="utf-8")).get(key, [])
    return "none", []


def finds(docs: list[dict], slug: str, words: list[str]) -> bool:
    """Whether a document of the study holds every word (as a search for them would need)."""
    for doc in docs:
        if study_of("/" + doc.get("location", "")) != slug:
            continue
        text = " ".join(str(doc.get(k, "")) for k in ("title", "text", "tags", "path")).casefold()
        if all(word.casefold() in text for word in words):
            return True
    return False


def measure(site: Path, slug: str, title: str) -> Figures:
    pages = sorted(site.rglob("*.html"))
    sizes, navs = [], []
    charts = with_js = cross = named = 0
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="replace")
        url = "/" + page.relative_to(site).as_posix()
        sizes.append(len(html.encode()))
        navs.append(primary_nav(html))
        charts += len(CHART.findall(html))
        with_js += bool(CHARTS_JS.search(html))
        owner = study_of(url)
        for href in FOOTER_LINK.findall(html):
            if (owner or study_of(urljoin(url, href))) and study_of(urljoin(url, href)) != owner:
                cross += 1
                break
        if owner and (match := TITLE.search(html)) and " · " in match.group(1):
            named += 1
    name, docs = search_index(site)
    words = re.findall(r"[^\W_]+", title)
    tagged = any(doc.get("tags") for doc in docs)
    pathed = any(title in " ".join(doc.get("path") or []) for doc in docs)
    return Figures(
        pages=len(pages),
        median_page=statistics.median(sizes) if sizes else 0,
        site_bytes=sum(p.stat().st_size for p in site.rglob("*") if p.is_file()),
        median_nav=statistics.median(navs) if navs else 0,
        largest_nav=max(navs, default=0),
        index_file=name,
        index_docs=len(docs),
        finds_study=finds(docs, slug, words),
        glossary_field=any("glossary" in doc for doc in docs),
        study_in_result="tag" if tagged else "path" if pathed else "no",
        chart_divs=charts,
        pages_with_charts_js=with_js,
        cross_study_links=cross,
        titles_naming_study=named,
    )


def chosen_study(docs: Path) -> tuple[str, str]:
    """The middle study of the navigation: its slug and title."""
    found = studies(json.loads((docs / ".nav.json").read_text(encoding="utf-8")))
    title, pages = found[len(found) // 2]
    return next(iter(pages.values())).split("/")[1], title


def table(rows: list[tuple[str, list[str]]], names: list[str]) -> None:
    """A Markdown table: one column a variant."""
    widths = [
        max(len(cell) for cell in column)
        for column in zip(*[["figure", *names], *[[label, *v] for label, v in rows]], strict=True)
    ]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    print(line(["figure", *names]))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for label, values in rows:
        print(line([label, *values]))


def rows_of(results: list[tuple[object, Figures | None]], bench: ModuleType) -> list[tuple[str, list[str]]]:
    def each(text) -> list[str]:
        return [text(run, fig) if fig else "failed" for run, fig in results]

    return [
        ("HTML pages", each(lambda r, f: str(f.pages))),
        ("page HTML, median", each(lambda r, f: bench.kb(f.median_page))),
        ("site size", each(lambda r, f: bench.mb(f.site_bytes))),
        ("sidebar <nav> per page, median", each(lambda r, f: bench.kb(f.median_nav))),
        ("sidebar <nav>, largest", each(lambda r, f: bench.kb(f.largest_nav))),
        ("CPU user+sys (engine tree)", each(lambda r, f: f"{r.cpu:.1f} s")),
        ("wall", each(lambda r, f: f"{r.wall:.1f} s")),
        ("peak memory (RSS, tree)", each(lambda r, f: bench.mib(r.peak_rss))),
        ("search index", each(lambda r, f: f"{f.index_file} ({f.index_docs} entries)")),
        ("a study found by its title words", each(lambda r, f: "yes" if f.finds_study else "NO")),
        ("glossary forms in the index", each(lambda r, f: "yes" if f.glossary_field else "no")),
        ("study named in a result", each(lambda r, f: f.study_in_result)),
        ("chart divs (ev-chart), all pages", each(lambda r, f: str(f.chart_divs))),
        ("pages loading charts.js", each(lambda r, f: str(f.pages_with_charts_js))),
        ("pages whose prev/next leaves the study", each(lambda r, f: str(f.cross_study_links))),
        ("study pages whose <title> names the study", each(lambda r, f: str(f.titles_naming_study))),
    ]


def main() -> int:
    args = parse_args()
    zensical = find_zensical(args.zensical)
    bench = load_bench()
    bench.become_subreaper()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("SOURCE_DATE_EPOCH", None)
    commands = {"mkdocs": [args.python, "-m", "mkdocs", "build", "-q"], "zensical": [zensical, "build"]}
    work = Path(tempfile.mkdtemp(prefix="engine-compare-", dir=args.workdir))
    try:
        docs = args.docs.resolve() if args.docs else generate(bench, args, work, env)
        slug, title = chosen_study(docs)
        results = []
        for variant in VARIANTS:
            run, site = build(bench, variant, docs, work, commands, env)
            results.append((run, measure(site, slug, title) if run.ok else None))
            if not run.ok:
                bench.progress(f"{variant.name} failed:\n{run.tail()}")
        count = len(studies(json.loads((docs / ".nav.json").read_text(encoding="utf-8"))))
        print(f"Engines on the generated pages of {count} studies ({docs})")
        print(f"  {engine_version([args.python, '-m', 'mkdocs', '--version'])}")
        material = [args.python, "-c", "import material; print(material.__version__)"]
        print(f"  mkdocs-material {engine_version(material)}")
        print(f"  zensical {engine_version([zensical, '--version'])} ({zensical})")
        print(f"  search check: study {slug}, words of {title!r}\n")
        table(rows_of(results, bench), [v.name for v in VARIANTS])
    finally:
        if args.keep:
            bench.progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(fig for _, fig in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of every page of a built site, at a desktop and a phone width, light and dark, for reviewers.

    .venv/bin/python scripts/screenshots.py                  # site/ -> build/screenshots/
    .venv/bin/python scripts/screenshots.py --site S --out O --limit 5

The site is opened at its site_url with every request answered from the built folder (as the browser
tests do), in Debian's chromium driven by Playwright. Each page gives <page>-<width>-<scheme>.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sitebrowser import CHROMIUM, CHROMIUM_ARGS, SiteRouter, open_page, site_pages  # noqa: E402

WIDTHS = {"desktop": 1280, "phone": 390}
SCHEMES = ("light", "dark")


def pages_of(site: Path) -> list[str]:
    """The address of every page, relative to the site: '' for the home page, 'studies/x/' and so on."""
    return [address for address in site_pages(site) if not address.endswith(".html")]


def site_url(project: Path) -> str:
    import yaml

    return yaml.load((project / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["site_url"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (default: site/)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "screenshots", help="where the images go"
    )
    parser.add_argument(
        "--project", type=Path, default=ROOT, help="the project whose mkdocs.yml names site_url"
    )
    parser.add_argument("--limit", type=int, help="only the first N pages")
    args = parser.parse_args(argv)
    from playwright.sync_api import TimeoutError as PageTimeout
    from playwright.sync_api import sync_playwright

    if not (args.site / "index.html").is_file():
        print(f"error: {args.site} holds no built site: run `make site` first", file=sys.stderr)
        return 1
    url = site_url(args.project)
    pages = pages_of(args.site)[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    start, count = time.perf_counter(), 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width_name, width in WIDTHS.items():
            for scheme in SCHEMES:
                context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                context.route("**/*", SiteRouter(args.site, url).handle)
                page = context.new_page()
                for path in pages:
                    try:
                        open_page(page, args.site, url, path)  # its charts drawn, its tables set up
                    except PageTimeout:
                        print(
                            f"  warning: /{path} ({width} px, {scheme}): charts or tables not ready in 15 s;"
                            " shot as it is",
                            file=sys.stderr,
                        )
                    name = (path.strip("/").replace("/", "_") or "home") + f"-{width_name}-{scheme}.png"
                    page.screenshot(path=args.out / name, full_page=True)
                    count += 1
                print(f"  {width_name} ({width} px), {scheme}: {len(pages)} pages")
                context.close()
        browser.close()
    print(f"{count} screenshots in {args.out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

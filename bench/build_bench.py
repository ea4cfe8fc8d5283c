"""Benchmark: time of each build stage and size of the built site. Run with `make bench`; prints figures."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build_site, generate, open_project  # noqa: E402

RUNS = 3


def main() -> None:
    generate_times, build_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            project = open_project(ROOT, site_dir=Path(tmp) / "site", docs_dir=Path(tmp) / f"docs{run}")
            start = time.perf_counter()
            generate(project)
            generate_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            build_site(project)
            build_times.append(time.perf_counter() - start)
        site = Path(tmp) / "site"
        files = [p for p in site.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        plotly = (site / "assets/javascripts/plotly.min.js").stat().st_size
        pages = [p for p in files if p.suffix == ".html"]
    median_generate, median_build = statistics.median(generate_times), statistics.median(build_times)
    print(f"generate (load, compute, render), median of {RUNS}: {median_generate:.2f} s")
    print(f"full build (generate + mkdocs --strict + publish), median of {RUNS}: {median_build:.2f} s")
    print(f"site: {len(files)} files, {total / 1e6:.1f} MB, {len(pages)} HTML pages")
    print(f"plotly.js, served once as a local asset: {plotly / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

"""Benchmark of a site of N studies: `make bench STUDIES=N`, or `python bench/build_bench.py --studies N`.

Run on demand; it prints figures and is not a test. In a throw-away project (a temporary folder) it
copies the code under test (`generator/`, `templates/`, `site_config.yml`, `mkdocs.yml`) and writes N
study folders under new slugs, copies of one mix of source studies taken in turn (`--mix`):

- `real`: the real studies of `content/studies/`, the shapes the targets are about;
- `fixtures`: the test fixtures of `tests/fixtures/studies/`, small shapes of one feature each;
- `both` (the default): each of the two, built apart (N studies each) and reported apart;
- `cycle`: the real studies then the fixtures in turn, the mix of the figures before `--mix` existed.

Each copy has its own short title, DOI and PMID, and up to three of its figures varied consistently: a
decimal in a table's `value` column with no interval, range or other check depending on it, changed
in its CSV cell and everywhere it is quoted, so every figure still matches its quote and the audit
passes (a copy with no such figure keeps its numbers; the tables say how many were varied). Then:

1. a full build of each mix (`python -m generator build` in a subprocess): wall time, CPU time of the
   whole process tree and its mean per study, peak memory of the process tree (RSS and PSS summed over
   the process and all its descendants, sampled every 50 ms), every stage line the build logs and
   mkdocs' share, pages, site size, median and largest page;
2. once, on the real mix when it was built (else on the mix built): a one-value edit (a figure changed
   in its CSV cell and in the quote it is checked against): a second build, timed, and the preview
   (`python -m generator preview`): seconds from the file write to the rebuilt page serving the new
   value, and the rebuilds the edit triggered;
3. once, on the same mix: a one-study build against mkdocs' own `mkdocs build --strict` of the same
   generated pages;
4. a table of each mix's figures and a pass or miss line for each target of issues 9 and 21.

`--repo PATH` benchmarks another checkout (its `.venv`, or `--python`). Progress goes to stderr, figures
to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import ctypes
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

OWN_REPO = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36
STAGE = re.compile(r"^(?P<label>.*\S)\s+\((?P<seconds>\d+(?:\.\d+)?) s\)\s*$")
DONE = re.compile(r"\bBuilt the site into .* in (?P<seconds>\d+(?:\.\d+)?) s\.")
ECHO_LINES = 40  # lines of a command's output echoed as progress; all of it is in its log file

# Targets of issue 9 (a 2-core machine).
TARGET_N = 1000
TARGET_WALL = 300.0  # s, 1,000 studies
TARGET_MEMORY = 2 * 1024**3  # bytes, 1,000 studies
TARGET_SITE = 500e6  # bytes, 1,000 studies
TARGET_MEDIAN_PAGE = 60e3  # bytes, any number of studies
TARGET_EDIT_N = 100
TARGET_EDIT = 3.0  # s, 100 studies
TARGET_RATIO = 1.5  # one-study build against mkdocs' own build

# Target of issue 21: mean CPU per real-shaped study (a full build's CPU / N) at most half of main's,
# measured at 100 copies of the real studies (77 s CPU; built one at a time they average 0.35 s each).
TARGET_CPU_N = 100
MAIN_CPU_PER_STUDY = 77.0 / 100  # s
TARGET_BUILD_EDIT = 5.0  # s: a one-value edit at 100 studies published by `build` (main: 18 s, idle)

# The preferred one-value edit: BLAST's median overall survival, "Median overall survival (OS) was
# 36.5 months.", a CSV cell and its quote in study.yml; no other check depends on it. (In a copy
# whose figures were varied, the value it was varied to.)
PREFERRED_EDIT = ("gokbuget-2018", "36.5")

# The mixes of source studies (folders of the checkout) the copies are taken from, in turn.
MIXES = {
    "real": ("content/studies",),
    "fixtures": ("tests/fixtures/studies",),
    "cycle": ("content/studies", "tests/fixtures/studies"),
}
MIX_HELP = (
    "which studies the N copies are taken from: 'real' = the real studies (content/studies/), the"
    " shapes the targets are about; 'fixtures' = the test fixtures (tests/fixtures/studies/), small"
    " shapes; 'both' (default) = each of these two built and reported apart, N studies each, then the"
    " edit, preview and one-study comparison once, on the real mix; 'cycle' = the real studies then the"
    " fixtures in turn, the mix of earlier figures"
)
VARIED_FIGURES = 3  # figures varied in each copy, at most
INTERVAL_COLUMNS = ("ci_low", "ci_high", "spread_low", "spread_high")  # an estimate must stay inside


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the process tree and its memory ----------------------------------------------------------------


def _processes() -> dict[int, tuple[int, int]]:
    """Every process: its parent and the CPU time it has used itself (user + system, clock ticks)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()  # the command name may hold spaces
        found[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def process_tree(root: int) -> dict[int, int]:
    """The process and all its descendants: the CPU ticks of each."""
    processes, children = _processes(), {}
    for pid, (ppid, _) in processes.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in processes:
            tree[pid] = processes[pid][1]
        todo.extend(children.get(pid, ()))
    return tree


def become_subreaper() -> bool:
    """Orphaned descendants (a forkserver, its pool workers, a resource tracker that outlive the build's
    main process) are handed to this process instead of init, so that reaping them adds their CPU time
    to RUSAGE_CHILDREN. Linux only; False where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(group: int, timeout: float = 30) -> int:
    """Wait for the descendants that outlived the measured process; the number that had to be killed."""
    deadline, killed = time.monotonic() + timeout, 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return killed  # none left
        if pid:
            continue
        if time.monotonic() > deadline and not killed:
            killed = len(process_tree(os.getpid())) - 1
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        time.sleep(0.05)


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


class TreeMemory(threading.Thread):
    """Every 50 ms, the RSS and PSS summed over a process and all its descendants; keeps the maxima.

    The RSS sum counts pages shared between processes (a forked worker's copy-on-write pages) once per
    process, so it overstates; the PSS sum shares them out and is the better figure for a process pool.
    """

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = self.peak_processes = 0
        self.ticks: dict[int, int] = {}  # the last CPU ticks seen of every process of the tree
        self.seen: set[int] = set()
        self._stop_event = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self._stop_event.is_set():
            tree = process_tree(self.pid)
            self.ticks.update(tree)
            self.peak_rss = max(self.peak_rss, sum(_rss(pid) for pid in tree))
            self.peak_pss = max(self.peak_pss, sum(_pss(pid) for pid in tree))
            self.peak_processes = max(self.peak_processes, len(tree))
            self._stop_event.wait(self.pause(time.monotonic() - start))

    def pause(self, elapsed: float) -> float:
        """The wait between samples: `interval` at first, then longer as a build runs on, up to 1 s
        after 10 minutes. Reading a large process's PSS makes the kernel walk its memory: sampled
        every 50 ms through a 10,000-study build, the sampler took 35 minutes of CPU from the build."""
        return min(1.0, max(self.interval, elapsed / 600))

    @property
    def sampled_cpu(self) -> float:
        """CPU seconds of the tree from the samples (each process's last interval missed): a cross-check."""
        return sum(self.ticks.values()) / CLOCK_TICKS

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# --- running a command, measured ---------------------------------------------------------------------


@dataclass
class Run:
    name: str
    returncode: int
    wall: float
    cpu: float  # user + sys of the process and every descendant (reaped by its parent or by us)
    peak_rss: int
    peak_pss: int
    peak_processes: int
    output: str
    log: Path
    sampled_cpu: float = 0.0  # the same from /proc samples, a cross-check
    killed: int = 0  # descendants still running 30 s after the process ended, then killed
    stages: list[tuple[str, float]] = field(default_factory=list)
    done_in: float | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def stage(self, word: str) -> float | None:
        times = [seconds for label, seconds in self.stages if word.lower() in label.lower()]
        return sum(times) if times else None

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class Echo:
    """Reads a growing log file and prints its new lines as progress (the first ECHO_LINES of them)."""

    def __init__(self, path: Path):
        self.path, self.offset, self.partial, self.shown = path, 0, "", 0

    def poll(self) -> list[str]:
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            data = log.read()
        self.offset += len(data)
        text = self.partial + data.decode("utf-8", "replace")
        *lines, self.partial = text.split("\n")
        for line in lines:
            if line.strip() and self.shown < ECHO_LINES:
                print(f"      | {line[:200]}", file=sys.stderr, flush=True)
                self.shown += 1
                if self.shown == ECHO_LINES:
                    print(f"      | ... (the rest is in {self.path})", file=sys.stderr, flush=True)
        return lines


def run_measured(name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Run:
    progress(f"{name}: {' '.join(command)}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = TreeMemory(process.pid)
        sampler.start()
        echo = Echo(log)
        try:
            while process.poll() is None:
                time.sleep(0.2)
                echo.poll()
        except BaseException:
            _stop_group(process)
            raise
        finally:
            wall = time.perf_counter() - start
            sampler.stop()
        echo.poll()
    killed = reap_orphans(process.pid)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = log.read_text(encoding="utf-8", errors="replace")
    run = Run(
        name,
        process.returncode,
        wall,
        cpu,
        sampler.peak_rss,
        sampler.peak_pss,
        sampler.peak_processes,
        output,
        log,
        sampler.sampled_cpu,
        killed,
    )
    for line in output.splitlines():
        line = re.sub(r"^\s*(INFO|WARNING)\s+-\s+", "", line.strip())
        if match := STAGE.match(line):
            label = match["label"].replace(str(cwd), "<project>")
            run.stages.append((label, float(match["seconds"])))
        if match := DONE.search(line):
            run.done_in = float(match["seconds"])
    status = "ok" if run.ok else f"FAILED (exit {run.returncode})"
    if killed:
        status += f"; {killed} process(es) it started were still running 30 s after it ended: killed"
    progress(f"{name}: {status}, {wall:.1f} s wall, {cpu:.1f} s CPU, peak {mib(run.peak_rss)} RSS")
    return run


def _stop_group(process: subprocess.Popen) -> None:
    """Stop a process started in its own session: Ctrl-C first, then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):  # children that outlived their parent
        os.killpg(process.pid, signal.SIGKILL)


# --- the throw-away project --------------------------------------------------------------------------


def source_studies(repo: Path, mix: str) -> list[Path]:
    """The studies of a mix (MIXES): the shapes the copies cycle through."""
    found = []
    for name in MIXES[mix]:
        folder = repo / name
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if (p / "study.yml").is_file())
    if not found:
        sys.exit(f"no study folders for the {mix} mix in {', '.join(f'{repo}/{n}' for n in MIXES[mix])}")
    return found


def _retitle(text: str, index: int, slug: str) -> str:
    """A distinct short title, DOI and PMID (the build refuses the same DOI or PMID twice); comments and
    every other line stay as they are."""
    meta = yaml.safe_load(text)
    title = f"{meta.get('short_title', slug)} (bench copy {index:04d})"
    lines, out, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue  # a folded or multi-line short_title
        skipping = False
        if line.startswith("short_title:"):
            out.append(f"short_title: {json.dumps(title, ensure_ascii=False)}\n")
            skipping = True
            continue
        out.append(line)
    text = "".join(out)
    text = re.sub(
        r"^(\s+doi:\s*)([\"']?)(10\.[^\s\"']+)\2\s*$",
        lambda m: f"{m[1]}{m[2]}{m[3]}.bench-{index:04d}{m[2]}",
        text,
        count=1,
        flags=re.M,
    )
    return re.sub(
        r"^(\s+pmid:\s*)([\"']?)(\d+)\2\s*$",
        lambda m: f'{m[1]}"{900_000_000 + index}"',
        text,
        count=1,
        flags=re.M,
    )


@dataclass
class Copy:
    slug: str
    source: str  # the source study's folder name
    changes: dict[str, str]  # each figure varied: its value in the source -> its value in the copy


def make_project(repo: Path, dest: Path, studies: int, python: str, sources: list[Path]) -> list[Copy]:
    """Writes the project: N copies of the sources in turn, each retitled and its figures varied."""
    dest.mkdir(parents=True)
    for name in ("generator", "templates"):
        shutil.copytree(repo / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("site_config.yml", "mkdocs.yml"):
        shutil.copy2(repo / name, dest / name)
    content = dest / "content"
    (content / "studies").mkdir(parents=True)
    for item in (repo / "content").iterdir():  # outcomes.yml (the shared-outcomes vocabulary), if any
        if item.is_file() and not item.is_symlink():
            shutil.copy2(item, content / item.name)
    made = []
    for index in range(1, studies + 1):
        source = sources[(index - 1) % len(sources)]
        slug = f"bench-{index:04d}-{source.name}"
        folder = content / "studies" / slug
        shutil.copytree(source, folder)
        meta = folder / "study.yml"
        meta.write_text(_retitle(meta.read_text(encoding="utf-8"), index, slug), encoding="utf-8")
        made.append(Copy(slug, source.name, vary_figures(folder, index)))
    # byte-compile the copied generator outside the timed builds, as an installed checkout would be
    subprocess.run([python, "-m", "compileall", "-q", str(dest / "generator")], check=True)
    return made


def mkdocs_setting(project: Path, key: str, default: str) -> str:
    """A top-level scalar of mkdocs.yml (read as text: the file may hold tags safe_load refuses)."""
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    match = re.search(rf"^{key}:\s*[\"']?([^\"'#\s]+)", text, re.M)
    return match[1] if match else default


# --- the one-value edit ------------------------------------------------------------------------------


def _token(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d.]){re.escape(value)}(?!\d)")


@dataclass
class Edit:
    slug: str
    folder: Path
    values: list[str]  # the original value, then one new value per edit
    current: int = 0

    def apply(self) -> list[Path]:
        """Replace the current value by the next one in every file of the study folder."""
        old, new = self.values[self.current], self.values[self.current + 1]
        written = []
        for path in sorted(self.folder.iterdir()):
            if path.suffix not in (".csv", ".yml"):
                continue
            text = path.read_text(encoding="utf-8")
            changed = _token(old).sub(new, text)
            if changed != text:
                path.write_text(changed, encoding="utf-8")
                written.append(path)
        self.current += 1
        return written

    @property
    def value(self) -> str:
        return self.values[self.current]


def _bumped(value: str, steps: int) -> str:
    decimals = len(value.partition(".")[2])
    return f"{float(value) + steps * 10**-decimals:.{decimals}f}" if decimals else str(int(value) + steps)


def choose_edit(studies: Path, made: list[tuple[str, str]]) -> Edit | None:
    """A figure that appears in a CSV cell and in study.yml (its quote), and two new values for it that
    appear nowhere in the study: BLAST's median overall survival when there is a copy of BLAST, else the
    first such decimal value of a time measure."""

    def usable(folder: Path, value: str) -> list[str] | None:
        texts = {
            p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.suffix in (".csv", ".yml")
        }
        if not _token(value).search(texts.get("study.yml", "")):
            return None
        if not any(_token(value).search(t) for name, t in texts.items() if name.endswith(".csv")):
            return None
        new = [_bumped(value, 1), _bumped(value, 2)]
        if any(_token(v).search(t) for v in new for t in texts.values()):
            return None
        return [value, *new]

    for copy in made:
        preferred = copy.changes.get(PREFERRED_EDIT[1], PREFERRED_EDIT[1])
        if copy.source == PREFERRED_EDIT[0] and (values := usable(studies / copy.slug, preferred)):
            return Edit(copy.slug, studies / copy.slug, values)
    for copy in made:
        folder = studies / copy.slug
        for table in sorted(folder.glob("*.csv")):
            header, *rows = [line.split(",") for line in table.read_text(encoding="utf-8").splitlines()]
            if "value" not in header or "unit" not in header:
                continue
            at, unit_at = header.index("value"), header.index("unit")
            for row in rows:
                if len(row) <= max(at, unit_at) or row[unit_at] not in ("months", "weeks", "days"):
                    continue
                if re.fullmatch(r"\d+\.\d+", row[at]) and (values := usable(folder, row[at])):
                    return Edit(copy.slug, folder, values)
    return None


def study_page(site: Path, slug: str, value: str, avoid: list[str]) -> Path | None:
    """The page of the study that shows the value and none of the values it will be edited to; its
    overview first, its source and audit pages last."""
    pages = sorted((site / "studies" / slug).rglob("*.html"))
    pages.sort(key=lambda p: (p.parent.name in ("source", "audit"), len(p.parts), str(p)))
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="replace")
        if _token(value).search(html) and not any(_token(v).search(html) for v in avoid):
            return page
    return None


def page_url(site: Path, page: Path, base: str) -> str:
    relative = page.relative_to(site).as_posix()
    if relative == "index.html" or relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return base + relative


def fetch_page(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, TimeoutError):
        return None


# --- figures varied in each copy ---------------------------------------------------------------------


def _texts(folder: Path) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.iterdir())
        if p.suffix in (".csv", ".yml")
    }


def _variable(row: dict[str | None, str | None]) -> bool:
    """A decimal figure with a unit in a table's value column, with no interval or range around it."""
    value, unit = row.get("value") or "", row.get("unit") or ""
    return bool(re.fullmatch(r"\d+\.\d+", value) and unit and not any(row.get(c) for c in INTERVAL_COLUMNS))


def _yaml_scalar(value: str) -> re.Pattern[str]:
    """The value as a YAML scalar of its own (an `n:`, a list item), not inside a sentence."""
    quoted = rf"[\"']?{re.escape(value)}[\"']?"
    return re.compile(
        rf"^[ \t]*(?:-[ \t]+)?(?:[\w-]+:[ \t]*)?{quoted}[ \t]*$|[{{,][ \t]*[\w-]+:[ \t]*{quoted}[ \t]*[,}}]",
        re.M,
    )


def safe_figures(folder: Path) -> list[tuple[str, str]]:
    """The figures of a study that can change without breaking a check: (value, unit) of each decimal
    in a value column (no interval, range or spread bounds on its row) that appears elsewhere only in
    quotes (a CSV `source` cell, the text of study.yml), never as another cell nor as a YAML scalar of
    its own; the audit compares it only with its quote (figure-in-quote)."""
    tables = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as table:
            tables.append(list(csv.DictReader(table)))
    meta = (folder / "study.yml").read_text(encoding="utf-8")

    def only_quoted(value: str) -> bool:
        token = _token(value)
        for rows in tables:
            for row in rows:
                for column, cell in row.items():
                    if not isinstance(cell, str) or not token.search(cell) or column == "source":
                        continue
                    if not (column == "value" and cell == value and _variable(row)):
                        return False
        return bool(token.search(meta)) and not _yaml_scalar(value).search(meta)

    found = {row["value"]: row["unit"] for rows in tables for row in rows if _variable(row)}
    return sorted((value, unit) for value, unit in found.items() if only_quoted(value))


def vary_figures(folder: Path, index: int) -> dict[str, str]:
    """Bumps up to VARIED_FIGURES safe figures of a copy by a few units of their last decimal, the
    figures and the amounts depending on the copy's index, each in its CSV cell and every quote; skips
    a bump whose new value already appears in the study (or a percentage above 100)."""
    figures, changes = safe_figures(folder), {}
    for turn in range(min(VARIED_FIGURES, len(figures))):
        value, unit = figures[(index + turn) % len(figures)]
        new = _bumped(value, 1 + (7 * index + 3 * turn) % 9)
        if unit == "%" and float(new) > 100:
            continue
        if any(_token(new).search(text) for text in _texts(folder).values()):
            continue
        Edit(folder.name, folder, [value, new]).apply()
        changes[value] = new
    return changes


# --- measurements ------------------------------------------------------------------------------------


@dataclass
class SiteStats:
    files: int
    pages: int
    bytes: int
    disk: int
    median_page: float
    largest_page: int
    largest_name: str


def site_stats(site: Path) -> SiteStats:
    files = [p for p in site.rglob("*") if p.is_file() and not p.is_symlink()]
    stats = {p: p.stat() for p in files}
    pages = sorted((stats[p].st_size, p.relative_to(site).as_posix()) for p in files if p.suffix == ".html")
    return SiteStats(
        files=len(files),
        pages=len(pages),
        bytes=sum(s.st_size for s in stats.values()),
        disk=sum(s.st_blocks * 512 for s in stats.values()),
        median_page=statistics.median(size for size, _ in pages) if pages else 0,
        largest_page=pages[-1][0] if pages else 0,
        largest_name=pages[-1][1] if pages else "-",
    )


@dataclass
class Preview:
    ready: float | None = None  # s from start to the page serving
    latency: float | None = None  # s from the edit's write to the page serving the new value
    rebuilds: int | None = None  # mkdocs builds after the edit
    regenerations: list[str] | None = None  # the generator's "Regenerated ..." lines after the edit
    note: str = ""


def measure_preview(python: str, project: Path, env: dict[str, str], edit: Edit, page: str, args) -> Preview:
    result = Preview()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = urlparse(mkdocs_setting(project, "site_url", "/")).path or "/"
    url = f"http://127.0.0.1:{port}{base if base.endswith('/') else base + '/'}{page}"
    log = project.parent / "preview.log"
    command = [
        python,
        "-m",
        "generator",
        "preview",
        "--project",
        str(project),
        "--dev-addr",
        f"127.0.0.1:{port}",
    ]
    progress(f"preview: {' '.join(command)}")
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    echo = Echo(log)
    try:
        # wait until the page serves (the value of the last build)
        while True:
            echo.poll()
            if process.poll() is not None:
                result.note = f"preview exited ({process.returncode}) before serving; see {log}"
                return result
            html = fetch_page(url)
            if html is not None and _token(edit.value).search(html):
                break
            if time.perf_counter() - start > args.timeout:
                result.note = f"{url} did not serve the page within {args.timeout} s"
                return result
            time.sleep(0.25)
        result.ready = time.perf_counter() - start
        progress(f"preview: {url} serves after {result.ready:.1f} s")
        time.sleep(2)  # let the watcher settle after the first build
        echo.poll()
        echo_offset = echo.offset
        old, written = edit.value, edit.apply()
        edited = time.perf_counter()
        progress(f"preview: edited {old} -> {edit.value} in {', '.join(p.name for p in written)}")
        while True:
            html = fetch_page(url)
            if html is not None and _token(edit.value).search(html):
                result.latency = time.perf_counter() - edited
                break
            if process.poll() is not None:
                result.note = f"preview exited ({process.returncode}) after the edit; see {log}"
                return result
            if time.perf_counter() - edited > args.timeout:
                result.note = f"the new value did not show within {args.timeout} s"
                break
            time.sleep(0.05)
            echo.poll()
        if result.latency is not None:
            progress(f"preview: the new value shows {result.latency:.2f} s after the write")
        # count the rebuilds the edit caused: wait until no build is running and the log is quiet for 3 s
        quiet_since, settle_start, size = time.perf_counter(), time.perf_counter(), log.stat().st_size
        while time.perf_counter() - settle_start < args.settle:
            echo.poll()
            after = _tail_from(log, echo_offset)
            running = after.count("Building documentation") > after.count("Documentation built")
            if log.stat().st_size != size:
                size, quiet_since = log.stat().st_size, time.perf_counter()
            if not running and time.perf_counter() - quiet_since > 3:
                break
            time.sleep(0.25)
        after = _tail_from(log, echo_offset)
        result.rebuilds = after.count("Building documentation")
        result.regenerations = re.findall(r"Regenerat.*", after)
        return result
    finally:
        _stop_group(process)
        reap_orphans(process.pid, timeout=10)
        progress(f"preview: stopped (exit {process.returncode})")


def _tail_from(path: Path, offset: int) -> str:
    with open(path, "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace")


# --- report ------------------------------------------------------------------------------------------


def mib(size: float) -> str:
    return f"{size / 1024**2:,.0f} MiB"


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB" if size < 1e9 else f"{size / 1e9:,.2f} GB"


def kb(size: float) -> str:
    return f"{size / 1e3:,.1f} KB"


def secs(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f} s"


def machine(python: str) -> list[tuple[str, str]]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    version = subprocess.run(
        [python, "-c", "import sys, mkdocs; print(sys.version.split()[0], mkdocs.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.split()
    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})"),
        ("RAM", f"{memory / 1024**3:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average at the start", load_average()),
        ("Python (build)", version[0] if version else "?"),
        ("mkdocs", version[1] if len(version) > 1 else "?"),
    ]


def load_average() -> str:
    """Other work on the machine slows every figure down: the 1, 5 and 15 minute load averages."""
    one, five, fifteen = os.getloadavg()
    busy = " (busy: more than the cores)" if one > (os.cpu_count() or 1) else ""
    return f"{one:.2f} {five:.2f} {fifteen:.2f}{busy}"


def code_version(repo: Path) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "not a git checkout"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "generator", "templates")
    return f"{repo} @ {commit}{' + uncommitted changes' if dirty else ''}"


def table(rows: list[tuple[str, str]], title: str) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print("-" * len(title))
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def build_rows(run: Run, stats: SiteStats | None) -> list[tuple[str, str]]:
    rows = [
        ("wall", secs(run.wall)),
        ("CPU (user+sys, whole tree)", f"{secs(run.cpu)} ({run.cpu / run.wall:.2f} cores busy on average)"),
        ("  cross-check: CPU sampled from /proc", secs(run.sampled_cpu)),
        ("peak memory, RSS summed over the tree", mib(run.peak_rss)),
        ("peak memory, PSS summed over the tree", mib(run.peak_pss)),
        ("most processes at once", str(run.peak_processes)),
    ]
    for label, seconds in run.stages:
        rows.append((f"  stage: {label}", secs(seconds)))
    mkdocs = run.stage("mkdocs")
    if run.done_in is not None:
        rows.append(("start-up and imports (wall - the build's own time)", secs(run.wall - run.done_in)))
    if mkdocs is not None:
        rows.append(("mkdocs' share (its stage / wall)", f"{secs(mkdocs)}, {100 * mkdocs / run.wall:.0f}%"))
        rows.append(
            (
                "generator's share (wall - mkdocs)",
                f"{secs(run.wall - mkdocs)}, {100 * (1 - mkdocs / run.wall):.0f}%",
            )
        )
    else:
        rows.append(("mkdocs' share", "no stage line names mkdocs"))
    if stats is not None:
        rows += [
            ("HTML pages", f"{stats.pages:,}"),
            ("site size (bytes / on disk)", f"{mb(stats.bytes)} / {mb(stats.disk)} in {stats.files:,} files"),
            ("page HTML, median", kb(stats.median_page)),
            ("page HTML, largest", f"{kb(stats.largest_page)} ({stats.largest_name})"),
        ]
    return rows


def verdict(ok: bool | None, measured_n: int, target_n: int | None) -> str:
    if ok is None:
        return "n/a"
    word = "PASS" if ok else "MISS"
    if target_n is not None and measured_n != target_n:
        return f"not judged: {word.lower()} at {measured_n:,} studies, the target is for {target_n:,}"
    return word


def print_targets(
    n: int,
    mix: str,
    full: Run,
    stats: SiteStats | None,
    rebuild: Run | None,
    preview: Preview | None,
    ratio: float | None,
    warm_ratio: float | None,
) -> None:
    """One line per target: the figure, PASS or MISS, and a question mark when measured at another N."""
    site = stats if full.ok else None
    wall = full.wall if site else None
    memory = full.peak_rss if site else None
    size = site.bytes if site else None
    median = site.median_page if site else None
    edit = preview.latency if preview is not None else None
    second = rebuild.wall if rebuild is not None and rebuild.ok else None

    def show(unit, value):
        return "-" if value is None else unit(value)

    def ratio_text(value):
        return f"{value:.2f}x"

    targets = [  # (target, the figure, its limit, the number of studies the target is for)
        ("1,000 studies build in < 5 min (wall)", show(secs, wall), wall, TARGET_WALL, TARGET_N),
        ("1,000 studies: peak memory < 2 GB (RSS sum)", show(mib, memory), memory, TARGET_MEMORY, TARGET_N),
        ("1,000 studies: site < 500 MB", show(mb, size), size, TARGET_SITE, TARGET_N),
        ("page HTML median < 60 KB, any N", show(kb, median), median, TARGET_MEDIAN_PAGE, None),
        ("one-value edit at 100 studies < 3 s (preview)", show(secs, edit), edit, TARGET_EDIT, TARGET_EDIT_N),
        (
            "one-study build <= 1.5x mkdocs' own (cached)",
            show(ratio_text, warm_ratio),
            warm_ratio,
            TARGET_RATIO,
            None,
        ),
        ("one-study build <= 1.5x mkdocs' own (new)", show(ratio_text, ratio), ratio, TARGET_RATIO, None),
    ]
    width = max(len(target[0]) for target in targets)
    print(f"\nTargets of issue 9 ({n} studies measured, {mix} mix)")
    print("-" * 40)
    for name, figure, value, limit, target_n in targets:
        met = None if value is None else value <= limit if limit == TARGET_RATIO else value < limit
        print(f"  {name:<{width}}  {figure:>12}  {verdict(met, n, target_n)}")
    if second is not None:
        print(
            f"  (`build` after the edit takes {secs(second)}: the other studies come from the cache, and"
            " only the pages whose Markdown changed are rendered again)"
        )
    if ratio is not None:
        print(
            "  (a new project's first build imports statsmodels and scipy, about 2 s, to compute"
            " the intervals; a cached study needs neither)"
        )


PAGEFIND_FIRST = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind.js",
    "pagefind-entry.json",
    "wasm.en.pagefind",
)
"""What Pagefind's interface fetches before a query's first result, besides the language's metadata, the
index chunks of the query's words and the fragments of the results shown."""
RESULTS_SHOWN = 5  # Pagefind's interface loads the fragments of its first five results
TARGET_SEARCH = 500e3  # bytes: search's first result, any N
TARGET_LIST_PAGE = 200e3  # bytes: the study index and each comparison page, any N
TARGET_FIRST_RESULT = 300  # ms: a typed query's first result, any N


def search_download(site: Path) -> tuple[str, int]:
    """The engine the site searches with, and the bytes a reader downloads before a query's first
    result, at most: Material's whole index; or the search page, Pagefind's scripts, its metadata, the
    two largest index chunks and the five largest fragments (a query's words need one chunk or two)."""
    bundle = site / "pagefind"
    if not bundle.is_dir():
        index = site / "search" / "search_index.json"
        return "material", index.stat().st_size if index.is_file() else 0

    def largest(folder: str, count: int, pattern: str = "*") -> int:
        return sum(sorted((p.stat().st_size for p in (bundle / folder).glob(pattern)), reverse=True)[:count])

    page = site / "search" / "index.html"
    fixed = sum((bundle / name).stat().st_size for name in PAGEFIND_FIRST if (bundle / name).is_file())
    meta = largest(".", 1, "pagefind.en_*.pf_meta")
    total = fixed + meta + largest("index", 2) + largest("fragment", RESULTS_SHOWN)
    return "pagefind", total + (page.stat().st_size if page.is_file() else 0)


def largest_list_page(site: Path) -> tuple[int, str]:
    """The largest of the study index and the comparison pages (bytes, address)."""
    pages = [
        site / "studies" / "index.html",
        *(site / "studies").glob("page_*/index.html"),
        *(site / "comparisons").glob("**/index.html"),
    ]
    return max(
        ((p.stat().st_size, p.relative_to(site).as_posix()) for p in pages if p.is_file()), default=(0, "-")
    )


def print_reader_targets(n: int, site: Path | None) -> None:
    """Issue 21's targets for readers: search's first result and the list pages, light at any N."""
    if site is None or not site.is_dir():
        return
    engine, searched = search_download(site)
    listed, name = largest_list_page(site)
    print(f"\nTargets of issue 21 for readers ({n} studies measured; search with {engine})")
    print("-" * 40)
    label = "search's first result < 500 KB downloaded, any N"
    print(f"  {label}  {kb(searched):>12}  {verdict(searched < TARGET_SEARCH, n, None)}")
    label = "study index and comparison pages < 200 KB, any N"
    print(f"  {label}  {kb(listed):>12}  {verdict(listed < TARGET_LIST_PAGE, n, None)} (largest: {name})")
    rows = site / "studies" / "index.json"
    if rows.is_file():
        print(
            "  (every row of the study index, fetched when its box or a heading is first used:"
            f" {kb(rows.stat().st_size)})"
        )
    if engine == "pagefind":
        print(
            "  (an upper bound: the search page, Pagefind's scripts and metadata, its two largest index"
            " chunks and five largest result fragments; tests/test_chunked_search.py measures a query)"
        )
        print_search_latency(site)


def print_search_latency(site: Path) -> None:
    """The wait for a query's first result in Chromium (bench/search_latency.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from search_latency import measure

    found = measure(site)
    label = f"search's first result < {TARGET_FIRST_RESULT} ms after typing, any N"
    if found is None:
        print(f"  {label}  {'-':>12}  n/a (no chromium and Playwright here)")
        return
    typed = statistics.median(found.typed)
    print(f"  {label}  {typed:>9.0f} ms  {'PASS' if typed < TARGET_FIRST_RESULT else 'MISS'}")
    print(
        f"  (Chromium on this machine, {found.summary()};"
        " the page opened with the query includes its loading)"
    )


def print_cpu_target(n: int, real: MixBuild | None, rebuild: Run | None = None) -> None:
    """Issue 21's targets: mean CPU per real-shaped study at most half of main's, and a one-value edit
    published by `build` in under 5 s, judged at 100 studies."""
    if real is None or not real.full.ok:
        return
    limit, per_study = MAIN_CPU_PER_STUDY / 2, real.full.cpu / n
    print(f"\nTargets of issue 21 ({n} studies measured, real mix)")
    print("-" * 40)
    name = f"mean CPU per real-shaped study <= {secs(limit)} (half of main's)"
    print(f"  {name}  {secs(per_study):>12}  {verdict(per_study <= limit, n, TARGET_CPU_N)}")
    if rebuild is not None and rebuild.ok:
        name = f"one-value edit published by `build` < {secs(TARGET_BUILD_EDIT)} (main: 18 s)"
        met = rebuild.wall < TARGET_BUILD_EDIT
        print(f"  {name}  {secs(rebuild.wall):>12}  {verdict(met, n, TARGET_EDIT_N)}")
    print(
        f"  (on main: {secs(MAIN_CPU_PER_STUDY)} per study, a full build of 100 real copies in 77 s CPU;"
        " each real study built alone, 0.35 s on average)"
    )


# --- each mix's full build ---------------------------------------------------------------------------


@dataclass
class MixBuild:
    mix: str
    project: Path
    made: list[Copy]
    full: Run
    stats: SiteStats | None

    @property
    def varied(self) -> int:
        return sum(1 for copy in self.made if copy.changes)


def build_mix(mix: str, args: argparse.Namespace, work: Path, env: dict[str, str]) -> MixBuild:
    """Writes N copies of the mix's studies into a project of their own and builds it, measured."""
    project = work / f"project-{mix}"
    progress(f"writing {args.studies} studies of the {mix} mix into {project}")
    made = make_project(args.repo, project, args.studies, args.python, source_studies(args.repo, mix))
    progress(f"{sum(1 for c in made if c.changes)} of {len(made)} copies have figures varied")
    build = [args.python, "-m", "generator", "build", "--project", str(project)]
    name = f"full build, {args.studies} studies, {mix} mix"
    full = run_measured(name, build, project, env, work / f"build-{mix}.log")
    site = project / mkdocs_setting(project, "site_dir", "site")
    return MixBuild(mix, project, made, full, site_stats(site) if full.ok else None)


def mixes_in_report_order(mix: str) -> int:
    return list(MIXES).index(mix)


def mix_rows(built: MixBuild, n: int) -> list[tuple[str, str]]:
    """The build's rows, with the mean CPU per study after its CPU, and how many copies were varied."""
    rows = build_rows(built.full, built.stats)
    at = next(i for i, (name, _) in enumerate(rows) if name.startswith("CPU")) + 1
    rows.insert(at, ("  mean CPU per study (CPU / N)", secs(built.full.cpu / n)))
    figures = sum(len(copy.changes) for copy in built.made)
    rows.append(
        (
            "copies with figures varied",
            f"{built.varied} of {n} ({figures} figures; the others keep their source's numbers)",
        )
    )
    return rows


def mix_summary(built: MixBuild, n: int) -> str:
    run, stats = built.full, built.stats
    if stats is None:
        return f"build failed (exit {run.returncode})"
    return (
        f"{secs(run.cpu / n)} CPU per study, {secs(run.wall)} wall, {mib(run.peak_rss)},"
        f" {stats.pages:,} pages, {mb(stats.bytes)}, median page {kb(stats.median_page)}"
    )


# --- main --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", "-n", type=int, default=100, help="number of studies (default 100)")
    parser.add_argument("--mix", choices=["real", "fixtures", "both", "cycle"], default="both", help=MIX_HELP)
    parser.add_argument("--repo", type=Path, default=OWN_REPO, help="checkout of the code under test")
    parser.add_argument("--python", help="its Python (default: REPO/.venv/bin/python, else this one)")
    parser.add_argument(
        "--workdir", type=Path, help="where to make the throw-away projects (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throw-away projects and logs")
    parser.add_argument("--skip-edit", action="store_true", help="no one-value edit (nor preview)")
    parser.add_argument("--skip-preview", action="store_true", help="no preview measurement")
    parser.add_argument("--skip-compare", action="store_true", help="no one-study comparison with mkdocs")
    parser.add_argument("--compare-runs", type=int, default=3, help="timed runs of each (default 3, median)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the preview")
    parser.add_argument(
        "--settle", type=float, default=300, help="seconds to wait for rebuilds after an edit"
    )
    args = parser.parse_args()
    if args.studies < 1:
        parser.error("--studies must be at least 1")
    args.repo = args.repo.resolve()
    if args.python is None:
        venv = args.repo / ".venv" / "bin" / "python"
        args.python = str(venv) if venv.exists() else sys.executable
    return args


def main() -> int:
    args = parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("SOURCE_DATE_EPOCH", None)
    if not become_subreaper():
        progress("warning: cannot become a subreaper; CPU time misses processes the build leaves unreaped")
    work = Path(tempfile.mkdtemp(prefix="evidence-bench-", dir=args.workdir))
    progress(f"code under test: {code_version(args.repo)}; Python {args.python}; work folder {work}")
    python, failures = args.python, []
    try:
        machine_rows = machine(python)

        # 1. the full build of N studies of each mix; the mix the edit and comparison use (real) last
        mixes = ["fixtures", "real"] if args.mix == "both" else [args.mix]
        builds = {}
        for mix in mixes:
            builds[mix] = build_mix(mix, args, work, env)
            if not builds[mix].full.ok:
                full = builds[mix].full
                failures.append(
                    f"the full build of the {mix} mix failed (exit {full.returncode}):\n{full.tail()}"
                )
            if mix != mixes[-1] and not args.keep:
                shutil.rmtree(builds[mix].project, ignore_errors=True)  # its figures are taken
        edit_mix = mixes[-1]
        project, made, full = builds[edit_mix].project, builds[edit_mix].made, builds[edit_mix].full
        stats = builds[edit_mix].stats
        build = [python, "-m", "generator", "build", "--project", str(project)]
        site = project / mkdocs_setting(project, "site_dir", "site")

        # 2. the one-value edit: a second build, then the preview
        edit = choose_edit(project / "content" / "studies", made) if full.ok and not args.skip_edit else None
        rebuild = preview = page = None
        edit_note = ""
        if full.ok and not args.skip_edit and edit is None:
            edit_note = "no figure found to edit"
        if edit is not None:
            found = study_page(site, edit.slug, edit.value, edit.values[1:])
            page = page_url(site, found, "") if found else None
            old, written = edit.value, edit.apply()
            progress(f"edit: {edit.slug}: {old} -> {edit.value} in {', '.join(p.name for p in written)}")
            rebuild = run_measured(
                f"build after a one-value edit, {edit_mix} mix", build, project, env, work / "rebuild.log"
            )
            if not rebuild.ok:
                failures.append(
                    f"the build after the edit failed (exit {rebuild.returncode}):\n{rebuild.tail()}"
                )
            elif found is not None:
                shows = _token(edit.value).search(found.read_text(encoding="utf-8", errors="replace"))
                edit_note = f"page {page} {'shows' if shows else 'does NOT show'} {edit.value}"
            if rebuild.ok and page is not None and not args.skip_preview:
                preview = measure_preview(python, project, env, edit, page, args)
                if preview.note:
                    failures.append(f"preview: {preview.note}")

        # 3. one study: the generator's build against mkdocs' own build of the same pages
        compare_gen, compare_mk, compare_again = [], [], []
        mkdocs_build = [python, "-m", "mkdocs", "build", "--strict", "-q"]
        if not args.skip_compare:
            for attempt in range(args.compare_runs + 1):  # the first of each is a warm-up, not counted
                one = work / f"one-study-{attempt}"
                make_project(args.repo, one, 1, python, source_studies(args.repo, edit_mix))
                gen = run_measured(
                    f"one-study build {attempt or 'warm-up'}",
                    [python, "-m", "generator", "build", "--project", str(one)],
                    one,
                    env,
                    work / f"one-study-{attempt}.log",
                )
                if not gen.ok:
                    failures.append(f"the one-study build failed (exit {gen.returncode}):\n{gen.tail()}")
                    break
                mk = run_measured(
                    f"mkdocs' own build {attempt or 'warm-up'}",
                    [
                        *mkdocs_build,
                        "-f",
                        str(one / "mkdocs.yml"),
                        "-d",
                        str(work / f"mkdocs-site-{attempt}"),
                    ],
                    one,
                    env,
                    work / f"mkdocs-{attempt}.log",
                )
                if not mk.ok:
                    failures.append(f"mkdocs build failed (exit {mk.returncode}):\n{mk.tail()}")
                    break
                again = run_measured(  # the same project again: the study comes from the build cache
                    f"one-study build again {attempt or 'warm-up'}",
                    [python, "-m", "generator", "build", "--project", str(one)],
                    one,
                    env,
                    work / f"one-study-again-{attempt}.log",
                )
                if attempt:
                    compare_gen.append(gen)
                    compare_mk.append(mk)
                    compare_again.append(again)

        # 4. the report
        table([*machine_rows, ("load average at the end", load_average())], "Machine")
        print(f"  code under test: {code_version(args.repo)}")
        for mix in sorted(builds, key=mixes_in_report_order):
            table(mix_rows(builds[mix], args.studies), f"Full build of {args.studies} studies, {mix} mix")
        if len(builds) > 1:
            table(
                [
                    (mix, mix_summary(builds[mix], args.studies))
                    for mix in sorted(builds, key=mixes_in_report_order)
                ],
                f"The mixes side by side ({args.studies} studies each)",
            )
        if rebuild is not None:
            rows = [
                ("figure edited", f"{edit.slug}: {edit.values[0]} -> {edit.values[1]} (CSV cell and quote)")
            ]
            rows += build_rows(rebuild, None)
            rows.append(("check", edit_note))
            table(rows, f"Build after a one-value edit ({args.studies} studies, {edit_mix} mix)")
        if preview is not None:
            table(
                [
                    ("page polled", page or "-"),
                    ("preview serving after", secs(preview.ready)),
                    ("edit written -> new value served", secs(preview.latency)),
                    ("mkdocs builds after the edit", str(preview.rebuilds)),
                    ("generator runs after the edit", "; ".join(preview.regenerations or []) or "-"),
                    ("note", preview.note or "-"),
                ],
                f"Preview, one-value edit ({args.studies} studies, {edit_mix} mix)",
            )
        ratio = warm_ratio = None
        if compare_gen and compare_mk:
            gen_wall = statistics.median(r.wall for r in compare_gen)
            mk_wall = statistics.median(r.wall for r in compare_mk)
            again_wall = statistics.median(r.wall for r in compare_again)
            ratio, warm_ratio = gen_wall / mk_wall, again_wall / mk_wall
            table(
                [
                    (
                        "generator build, new project (wall, median)",
                        f"{secs(gen_wall)} ({', '.join(secs(r.wall) for r in compare_gen)})",
                    ),
                    ("  its CPU, median", secs(statistics.median(r.cpu for r in compare_gen))),
                    (
                        "generator build again, study cached (wall, median)",
                        f"{secs(again_wall)} ({', '.join(secs(r.wall) for r in compare_again)})",
                    ),
                    (
                        "mkdocs build --strict (wall, median)",
                        f"{secs(mk_wall)} ({', '.join(secs(r.wall) for r in compare_mk)})",
                    ),
                    ("  its CPU, median", secs(statistics.median(r.cpu for r in compare_mk))),
                    ("ratio, new project", f"{ratio:.2f}x"),
                    ("ratio, study cached", f"{warm_ratio:.2f}x"),
                ],
                f"One study ({edit_mix} mix): generator build against mkdocs' own build"
                f" (median of {len(compare_gen)})",
            )

        print_targets(args.studies, edit_mix, full, stats, rebuild, preview, ratio, warm_ratio)
        print_cpu_target(args.studies, builds.get("real"), rebuild)
        print_reader_targets(args.studies, site if full.ok else None)
        if failures:
            print("\nProblems")
            print("--------")
            for failure in failures:
                print("  " + failure.replace("\n", "\n    "))
        return 1 if failures else 0
    finally:
        if args.keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

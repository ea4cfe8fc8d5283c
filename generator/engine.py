"""What the generated pages need from mkdocs and Material for MkDocs, declared once.

A project's mkdocs.yml holds what is its own: the site's name and address, its folders, and any
choice of the theme's look. What the pages cannot work without (the theme, the Markdown extensions
their tables and tooltips are written for, the site's scripts and styles, the generator's hook, the
theme's overrides) is supplied here when mkdocs.yml leaves it out, added to what it lists when it
lists less, and a setting that contradicts it (another theme) is refused with its line. The hook
and the default templates are the installed package's: a project copies in only what it changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import mkdocs_hooks
from generator.errors import ConfigError, Problem
from generator.yamlfile import line_of

HOOK = Path(mkdocs_hooks.__file__).resolve()
THEME = "material"
THEME_DEFAULTS: dict[str, Any] = {
    "font": False,  # no Google Fonts: the site works offline and asks no other server
    "language": "en",
    "features": [
        "navigation.instant",
        "navigation.instant.progress",
        "navigation.sections",
        "navigation.top",
        "navigation.footer",
        "search.highlight",
        "search.suggest",
        "content.tooltips",
        "content.code.copy",
    ],
    "palette": [
        {
            "media": "(prefers-color-scheme: light)",
            "scheme": "default",
            "primary": "indigo",
            "accent": "indigo",
            "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"},
        },
        {
            "media": "(prefers-color-scheme: dark)",
            "scheme": "slate",
            "primary": "indigo",
            "accent": "light blue",
            "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"},
        },
    ],
}
"""The theme's look when mkdocs.yml says nothing of it: light and dark, offline, instant navigation."""
MARKDOWN_EXTENSIONS: list[str | dict[str, Any]] = [
    "admonition",
    "attr_list",
    "md_in_html",
    "tables",
    "pymdownx.highlight",
    "pymdownx.superfences",
    {"toc": {"permalink": True}},
]
"""The extensions the pages are written for (attributes on links and figures, HTML blocks, tables)."""
STYLESHEETS = [f"assets/stylesheets/{name}.css" for name in ("extra", "charts", "pages", "print")]
SCRIPTS = [f"assets/javascripts/{name}.js" for name in ("charts", "tables", "print")]
SEARCH_SEPARATOR = r'[\s\-,:;!=\[\]()"/]+|\.(?!\d)|&[lg]t;'
"""Words split at spaces, hyphens, slashes and punctuation, so "CR/CRi" finds CR and CRi; a period
splits only when no digit follows (0.71 stays one word). The forms of each glossary term find the
same pages: the hook adds them to the index."""
VALIDATION = {name: "warn" for name in ("omitted_files", "absolute_links", "unrecognized_links", "anchors")}
"""mkdocs' link checks, as warnings: a strict build fails on any."""


def engine_settings(raw: dict, path: Path, lines: dict, templates: tuple[Path, ...]) -> dict[str, Any]:
    """The settings given to mkdocs on top of mkdocs.yml (`raw`, read from `path`): what the pages
    need, merged with what the project lists. `templates` are the template folders, the project's
    first: the theme's overrides are its `overrides/` when mkdocs.yml names no custom_dir."""
    settings: dict[str, Any] = {
        "theme": _theme(raw.get("theme"), path, lines, templates),
        "markdown_extensions": _extensions(raw.get("markdown_extensions") or []),
        "extra_css": _with_ours(STYLESHEETS, raw.get("extra_css") or []),
        "extra_javascript": _with_ours(SCRIPTS, raw.get("extra_javascript") or []),
        "hooks": _hooks(raw.get("hooks") or [], path.parent),
    }
    settings["plugins"] = _plugins(raw.get("plugins", ["search"]))
    if "validation" not in raw:
        settings["validation"] = VALIDATION
    return settings


def _theme(theme: object, path: Path, lines: dict, templates: tuple[Path, ...]) -> dict[str, Any]:
    if theme is None:
        theme = {}
    elif isinstance(theme, str):
        theme = {"name": theme}
    if not isinstance(theme, dict):
        found = f"found {type(theme).__name__}"
        raise ConfigError(
            [_problem(path, lines, ("theme",), f"must be a mapping with name: {THEME}, {found}")]
        )
    name = theme.get("name", THEME)
    if name != THEME:
        message = (
            f"is {name!r}: the pages are written for Material for MkDocs; write name: {THEME} "
            "(or leave theme out), and choose its look with its palette and features"
        )
        raise ConfigError([_problem(path, lines, ("theme", "name"), message)])
    merged = {**THEME_DEFAULTS, **theme, "name": THEME}
    custom = theme.get("custom_dir")
    if isinstance(custom, str) and custom.strip():
        merged["custom_dir"] = str((path.parent / custom).resolve())
    else:
        overrides = [folder / "overrides" for folder in templates if (folder / "overrides").is_dir()]
        if overrides:
            merged["custom_dir"] = str(overrides[0].resolve())
    return merged


def _problem(path: Path, lines: dict, keys: tuple[str, ...], message: str) -> Problem:
    return Problem(path, message, line=line_of(lines, keys), field=".".join(keys))


def _extension_name(extension: object) -> object:
    return next(iter(extension), None) if isinstance(extension, dict) else extension


def _extensions(listed: list | dict) -> list:
    """The project's extensions, each with its own options, then each needed one it does not list
    (mkdocs.yml may list them, or map each name to its options)."""
    if isinstance(listed, dict):
        listed = [{name: options} if options else name for name, options in listed.items()]
    names = {_extension_name(extension) for extension in listed}
    return [*listed, *(ext for ext in MARKDOWN_EXTENSIONS if _extension_name(ext) not in names)]


def _plugins(listed: object) -> object:
    """The project's plugins, its search (mkdocs' default) splitting words as the glossary needs."""
    if not isinstance(listed, list):
        return listed  # mkdocs says what is wrong with it
    plugins = []
    for plugin in listed:
        if plugin == "search":
            plugin = {"search": {"separator": SEARCH_SEPARATOR}}
        elif isinstance(plugin, dict) and isinstance(plugin.get("search"), dict):
            plugin = {"search": {"separator": SEARCH_SEPARATOR, **plugin["search"]}}
        plugins.append(plugin)
    return plugins


def _with_ours(ours: list[str], listed: list) -> list:
    """The site's own scripts or styles first, then the project's (its rules win over the site's)."""
    return [*(name for name in ours if name not in listed), *listed]


def _hooks(listed: list, base: Path) -> list[str]:
    """The generator's hook (the installed package's), then the project's own hooks."""
    others = [str(hook) for hook in listed if (base / str(hook)).resolve() != HOOK]
    return [str(HOOK), *others]


def template_folders(own: Path) -> tuple[Path, ...]:
    """The project's templates folder (when it has one), then the package's: a page template, asset
    or theme override the project holds is used instead of the package's file of the same name."""
    default = mkdocs_hooks.default_templates()
    if own.is_dir() and own.resolve() != default:
        return (own, default)
    return (default,)

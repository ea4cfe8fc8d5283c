"""What the pages need from mkdocs is supplied by the generator: a short mkdocs.yml builds the whole
site, what a project lists is kept and added to, and another theme is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import check_mkdocs_config, open_project, run_mkdocs
from generator.engine import (
    HOOK,
    MARKDOWN_EXTENSIONS,
    SCRIPTS,
    SEARCH_SEPARATOR,
    STYLESHEETS,
    engine_settings,
    template_folders,
)
from generator.errors import BuildError, ConfigError, TemplateError
from generator.mkdocs_hooks import default_templates
from tests.conftest import ROOT


def settings_of(tmp_path: Path, text: str, templates: tuple[Path, ...] | None = None) -> dict:
    path = tmp_path / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    raw, lines = check_mkdocs_config(path)
    return engine_settings(raw, path, lines, templates or (default_templates(),))


def test_a_one_line_mkdocs_yml_gets_everything_the_pages_need(tmp_path):
    settings = settings_of(tmp_path, "site_name: Mine\n")
    assert settings["theme"]["name"] == "material" and settings["theme"]["font"] is False
    assert "content.tooltips" in settings["theme"]["features"] and len(settings["theme"]["palette"]) == 2
    assert settings["theme"]["custom_dir"] == str(default_templates() / "overrides")
    assert settings["markdown_extensions"] == MARKDOWN_EXTENSIONS
    assert settings["extra_css"] == STYLESHEETS and settings["extra_javascript"] == SCRIPTS
    assert settings["hooks"] == [str(HOOK)] and Path(HOOK).is_file()
    assert settings["plugins"][0]["search"]["separator"]


def test_what_a_project_lists_is_kept_and_what_it_lacks_added(tmp_path):
    text = """\
site_name: Mine
theme:
  name: material
  palette: {scheme: slate}
markdown_extensions:
  - toc: {permalink: "#"}
  - footnotes
extra_css: [assets/stylesheets/charts.css, mine.css]
hooks: [HOOK, my_hook.py]
plugins: [search]
"""
    (tmp_path / "my_hook.py").write_text("")
    settings = settings_of(tmp_path, text.replace("HOOK", str(HOOK)))
    assert settings["theme"]["palette"] == {"scheme": "slate"}  # the project's look wins
    extensions = settings["markdown_extensions"]
    assert extensions[:2] == [{"toc": {"permalink": "#"}}, "footnotes"]
    assert [e for e in extensions if isinstance(e, dict) and "toc" in e] == [{"toc": {"permalink": "#"}}]
    assert [e for e in MARKDOWN_EXTENSIONS if isinstance(e, str) and e not in extensions] == []
    assert settings["extra_css"][-2:] == ["assets/stylesheets/charts.css", "mine.css"]
    assert set(STYLESHEETS) <= set(settings["extra_css"]) and len(settings["extra_css"]) == 5
    assert settings["hooks"] == [str(HOOK), "my_hook.py"]  # the generator's once, then the project's
    assert settings["plugins"] == [{"search": {"separator": SEARCH_SEPARATOR}}]  # its search, split as ours


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("site_name: Mine\ntheme:\n  name: readthedocs\n", 3, "theme.name"),
        ("site_name: Mine\ntheme: mkdocs\n", 2, "theme.name"),
    ],
)
def test_another_theme_is_refused_with_its_line(tmp_path, text, line, field):
    with pytest.raises(ConfigError) as refused:
        settings_of(tmp_path, text)
    message = str(refused.value)
    assert f"mkdocs.yml, line {line}, field '{field}'" in message and "Material for MkDocs" in message


def test_a_project_template_folder_comes_first_and_its_overrides_are_the_custom_dir(tmp_path):
    own = tmp_path / "templates"
    assert template_folders(own) == (default_templates(),)  # none: the package's alone
    (own / "overrides" / "partials").mkdir(parents=True)
    folders = template_folders(own)
    assert folders == (own, default_templates())
    settings = settings_of(tmp_path, "site_name: Mine\n", folders)
    assert settings["theme"]["custom_dir"] == str((own / "overrides").resolve())
    assert template_folders(ROOT / "templates") == (
        default_templates(),
    )  # this repository's are the package's


def test_the_repository_mkdocs_yml_is_short_and_builds_the_same_pages():
    project = open_project(ROOT)
    assert "markdown_extensions" not in (ROOT / "mkdocs.yml").read_text()
    assert project.engine["markdown_extensions"] == MARKDOWN_EXTENSIONS


def test_a_theme_without_a_name_extensions_as_a_mapping_and_a_plugin_list_are_completed(tmp_path):
    text = """\
site_name: Mine
theme: {palette: {scheme: slate}}
markdown_extensions: {toc: {permalink: "§"}, footnotes: null}
plugins: [{search: {lang: en}}, tags]
"""
    settings = settings_of(tmp_path, text)  # mkdocs' own check of the file passes: the name is ours
    assert settings["theme"]["name"] == "material" and settings["theme"]["palette"] == {"scheme": "slate"}
    assert settings["markdown_extensions"][:2] == [{"toc": {"permalink": "§"}}, "footnotes"]
    assert "attr_list" in settings["markdown_extensions"]
    assert settings["plugins"] == [{"search": {"separator": SEARCH_SEPARATOR, "lang": "en"}}, "tags"]


def test_a_theme_value_mkdocs_cannot_read_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(ConfigError, match="mkdocs"):
        settings_of(tmp_path, "site_name: Mine\ntheme: {name: material, custom_dir: 5}\n")
    settings = settings_of(tmp_path, "site_name: Mine\ntheme: {name: material, palette: 5}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    with pytest.raises(BuildError, match="check the theme's settings"):
        run_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "docs", tmp_path / "site", **settings)


def test_a_broken_theme_override_is_located(tmp_path):
    overrides = tmp_path / "templates" / "overrides" / "partials"
    overrides.mkdir(parents=True)
    (overrides / "footer.html").write_text("<footer>\n{% if %}\n</footer>\n")
    settings = settings_of(tmp_path, "site_name: Mine\n", template_folders(tmp_path / "templates"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    with pytest.raises(TemplateError) as caught:
        run_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "docs", tmp_path / "site", **settings)
    assert f"{overrides / 'footer.html'}, line 2: template syntax error" in str(caught.value)

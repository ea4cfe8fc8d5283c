"""The site's address (site_url): taken apart and rebuilt, so that what reaches a page is harmless in an
attribute, refused where it came from when it is not a plain address, and never showing a password."""

from __future__ import annotations

import string
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.build import build_site, open_project
from generator.errors import ConfigError, redacted
from generator.publish import SITE_URL_ENV, SiteUrl, UnsafeUrl, check_url, rebuilt_url
from tests.conftest import ROOT, STUDY, edit
from tests.sitebrowser import SiteRouter, wait_until_markup_could_have_run

UNSAFE_IN_ATTRIBUTES = set("\"'<>`\\&() ")


@pytest.mark.parametrize(
    ("value", "rebuilt"),
    [
        ("https://me.github.io/evidence", "https://me.github.io/evidence/"),
        ("HTTPS://Me.GitHub.IO/Evidence/", "https://me.github.io/Evidence/"),
        ("http://10.0.0.7:8000", "http://10.0.0.7:8000/"),
        ("http://[2001:DB8::1]:8080/x/", "http://[2001:db8::1]:8080/x/"),
        ("https://bücher.example/é/", "https://xn--bcher-kva.example/%C3%A9/"),
        (
            'https://ok.github.io/r"><svg/onload=alert(1)>/',
            "https://ok.github.io/r%22%3E%3Csvg/onload=alert%281%29%3E/",
        ),
        ("https://ok.github.io/a'`&\\b/", "https://ok.github.io/a%27%60%26%5Cb/"),
        ("https://ok.github.io/a%20b/100%/", "https://ok.github.io/a%20b/100%25/"),
    ],
)
def test_an_address_is_rebuilt_with_what_an_attribute_cannot_hold_percent_encoded(value, rebuilt):
    assert rebuilt_url(value) == rebuilt
    assert rebuilt_url(rebuilt) == rebuilt, "rebuilding is stable"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://user:secret@me.github.io/x/", "user name or password"),
        ("https://:secret@me.github.io/x/", "user name or password"),
        ("https://user:se/cret@me.github.io/x/", "cannot be read"),
        ("https://me.github.io\\@evil.example/", "user name or password"),
        ("https://me.github.io/x/?secret=1", "has a query"),
        ("https://me.github.io/x/#top", "has a fragment"),
        ("https://me.github.io/x y/", "space or a control character"),
        ("https://me.github.io/x\ny/", "space or a control character"),
        ("https://me.github.io/x\x1b[31m/", "space or a control character"),
        ("javascript:alert(1)//", "scheme is 'javascript'"),
        ("ftp://me.github.io/x/", "scheme is 'ftp'"),
        ("me.github.io/x/", "has no scheme"),
        ("https:///x/", "has no host"),
        ("https://me_github.io/x/", "not a valid host name"),
        ('https://me.github.io"onload=alert(1)/', "not a valid host name"),
        ("https://-me.github.io/", "not a valid host name"),
        ("https://1.2.3.456/", "not a valid host name"),
        ("https://me.github.io:http/", "cannot be read"),
        ("https://me.github.io:70000/", "cannot be read"),
        ("https://me.github.io:0/", "port is not a number"),
        ("https://[::1%25eth0]/", "not a valid IPv6"),
        ("https://a.github.io//evil.example/", "holds '//'"),  # 404.html loaded scripts from evil.example
        ("https://a.github.io/x//evil.example/", "holds '//'"),
    ],
)
def test_an_address_that_is_not_plain_is_refused(value, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        rebuilt_url(value)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_whatever_a_path_holds_the_address_is_refused_or_harmless_in_an_attribute(path):
    try:
        url = rebuilt_url("https://ok.github.io/" + path)
    except UnsafeUrl:
        return
    assert not UNSAFE_IN_ATTRIBUTES & set(url) and url.isascii() and url.isprintable()
    assert set(url) <= set(string.ascii_letters + string.digits + "-._~/!$*+,;=:@%")
    if "%" not in path:
        assert unquote(urlsplit(url).path) == ("/" + path).removesuffix("/") + "/", "the same path, encoded"
    assert rebuilt_url(url) == url


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (
            SiteUrl("https://user:pa55@me.github.io/x/", SITE_URL_ENV),
            "EVIDENCE_SITE_URL: (environment variable)",
        ),
        (
            SiteUrl(
                "https://user:pa55@me.github.io/x/",
                "site_config.yml",
                ROOT / "site_config.yml",
                "publish.site_url",
            ),
            "site_config.yml, line 25, field 'publish.site_url'",
        ),
        (
            SiteUrl("https://user:pa55@me.github.io/x/", "mkdocs.yml", ROOT / "mkdocs.yml", "site_url"),
            "mkdocs.yml, line 9, field 'site_url'",
        ),
    ],
    ids=["environment", "site_config", "mkdocs"],
)
def test_a_refused_address_is_located_and_never_shows_its_password(url, where):
    with pytest.raises(ConfigError) as refused:
        check_url(url)
    message = str(refused.value)
    assert where in message and "https://***@me.github.io/x/" in message
    assert "pa55" not in message and "user:" not in message


def test_a_password_is_removed_from_what_git_says():
    said = "fatal: unable to access 'https://x-token:ghp_S3CRET@github.com/me/r.git/': 403; http://a:b@c:d@h/"
    assert redacted(said) == "fatal: unable to access 'https://***@github.com/me/r.git/': 403; http://***@h/"
    for password in ("Sup3r?Secret", "Sup3r#Secret", "Sup3r/Secret"):
        shown = redacted(f"cannot reach https://alice:{password}@github.com/o/r.git: refused")
        assert shown == "cannot reach https://***@github.com/o/r.git: refused"


def test_the_command_line_never_prints_the_password_of_an_address(one_study_copy, command_line):
    edit(
        one_study_copy / "site_config.yml", 'site_url: ""', 'site_url: "https://me:Pa55w0rd@me.github.io/x/"'
    )
    for env in ({}, {SITE_URL_ENV: "https://ci-bot:Pa55w0rd@me.github.io/x/?q"}):
        result = command_line("build", "--project", str(one_study_copy), env=env)
        assert result.returncode == 1, result.stderr
        assert "Pa55w0rd" not in result.stderr + result.stdout
        assert "is not a plain http(s) address" in result.stderr
        assert (
            SITE_URL_ENV if env else "site_config.yml, line 25, field 'publish.site_url'"
        ) in result.stderr


def test_the_rebuilt_address_is_the_one_the_project_gives_mkdocs(project_copy, monkeypatch):
    monkeypatch.setenv(SITE_URL_ENV, "  HTTPS://Team.GitHub.io/trials/a b  ")
    with pytest.raises(ConfigError, match="space"):
        open_project(project_copy)
    monkeypatch.setenv(SITE_URL_ENV, "  HTTPS://Team.GitHub.io/trials/<x>  ")
    assert open_project(project_copy).site_url.value == "https://team.github.io/trials/%3Cx%3E/"
    monkeypatch.delenv(SITE_URL_ENV)
    edit(
        project_copy / "mkdocs.yml",
        "site_url: https://evidence-site.example.org/",
        "site_url: https://a:b@x.org/",
    )
    with pytest.raises(ConfigError, match=r"mkdocs\.yml, line 9, field 'site_url'"):
        open_project(project_copy)


# The real site, built with a hostile (but accepted) address ------------------------------------------

HOSTILE = "https://ok.github.io/r\"'><svg/onload=alert(1)>/"
PAYLOAD = "\"'><svg/onload=alert(1)>"


class EncodedSiteRouter(SiteRouter):
    """SiteRouter for a site whose address has percent-encoded characters: the request's path is
    compared with the address as written, then decoded."""

    def file_for(self, url: str) -> Path | None:
        path, base = urlsplit(url).path, urlsplit(self.site_url).path
        if not path.startswith(base):
            return None
        target = (self.site_dir / unquote(path[len(base) :])).resolve()
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_relative_to(self.site_dir.resolve()) and target.is_file() else None


@pytest.fixture(scope="module")
def hostile_address_site(tmp_path_factory) -> tuple[Path, str]:
    """The real site, built once with EVIDENCE_SITE_URL set to an address that tries to leave its
    attribute; and the address it was built for."""
    out = tmp_path_factory.mktemp("hostile-address")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SITE_URL_ENV, HOSTILE)
        project = open_project(ROOT, site_dir=out / "site", docs_dir=out / "docs")
        build_site(project)
    return out / "site", project.site_url.value


def test_no_file_of_the_site_holds_the_address_as_given(hostile_address_site):
    site, address = hostile_address_site
    assert address == "https://ok.github.io/r%22%27%3E%3Csvg/onload=alert%281%29%3E/"
    for file in site.rglob("*"):
        if file.suffix in (".html", ".xml", ".json", ".js", ".txt"):
            text = file.read_text(encoding="utf-8", errors="replace")
            assert PAYLOAD not in text and "<svg/onload" not in text, file
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{address}">' in index
    assert f"<loc>{address}studies/</loc>" in (site / "sitemap.xml").read_text(encoding="utf-8")


@pytest.mark.browser
def test_no_page_of_the_site_runs_what_its_address_holds(browser, hostile_address_site):
    """Every kind of page: each site-wide page, each study's overview and every page of one study (the
    other studies' pages are of the same kinds, made by the same templates; a page takes most of a
    second)."""
    site, address = hostile_address_site
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) > 10 and "index.html" in pages
    visited = [name for name in pages if name.count("/") < 3 or name.startswith(f"studies/{STUDY}/")]
    studies = {p.name for p in (site / "studies").iterdir() if p.is_dir()}
    assert {f"studies/{slug}/index.html" for slug in studies} <= set(visited) and len(studies) > 1
    assert (
        len(visited) < len(pages) and "404.html" in visited and f"studies/{STUDY}/audit/index.html" in visited
    )
    router = EncodedSiteRouter(site, address)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", router.handle)
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for name in visited:
            page.goto(address + name.removesuffix("index.html"))
            wait_until_markup_could_have_run(page)
            injected = page.evaluate("document.querySelectorAll('svg[onload], [onload], [onerror]').length")
            assert injected == 0, name
            assert page.evaluate(
                "document.querySelector('link[rel=canonical]')?.getAttribute('href') ?? ''"
            ) in (
                "",
                address + name.removesuffix("index.html"),
            ), name
            assert page.evaluate("document.head.querySelectorAll('svg').length") == 0, name
    finally:
        context.close()
    assert dialogs == [] and errors == [], (dialogs, errors)
    assert router.outside == [] and router.missing == [], (router.outside, router.missing)

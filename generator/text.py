"""Text from the data, made safe for Markdown pages: shown as written, never read as markup."""

from __future__ import annotations

import re

from markupsafe import Markup

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|{}])")


def escape_markdown(value: object) -> object:
    """Jinja finalizer: data text is shown as written (Markup, our own HTML, passes through)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return MARKDOWN_SPECIAL.sub(r"\\\1", value).replace("\n", " ")


def attribute_text(text: str) -> str:
    """Text for an attr_list attribute value: no quote or brace can end it early."""
    return text.replace('"', "'").translate(str.maketrans("{}|\n", "()¦ "))


def code_block(text: str, language: str = "text") -> Markup:
    """A fenced code block that text from the data cannot close: one line, a longer fence."""
    line = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence} {language}\n{line}\n{fence}")

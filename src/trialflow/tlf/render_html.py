"""HTML through jinja2 with autoescaping on: every count shows the subjects behind it (from the ARD)."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from .display import Display


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("trialflow.tlf", "templates"),
        autoescape=True,  # every value is text, never markup: '<script>' renders as &lt;script&gt;
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def output_html(disp: Display, source: str, files: list[tuple[str, str]], figure: str | None = None,
                summary: list[str] | None = None) -> bytes:
    html = environment().get_template("output.html.j2").render(
        disp=disp, source=source, files=files, figure=figure, summary=summary or [])
    return html.encode("utf-8")


def index_html(study: str, outputs: list[dict]) -> bytes:
    return environment().get_template("index.html.j2").render(study=study, outputs=outputs).encode("utf-8")

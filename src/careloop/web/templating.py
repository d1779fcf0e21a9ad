"""The Jinja2 environment. Templates render what routes computed; filters only format."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from careloop import __version__
from careloop.web import formatting

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    # StrictUndefined: a misspelt name fails the test that renders it instead of showing an empty cell.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=formatting.when, day=formatting.day, label=formatting.label,
                       local_input=formatting.local_input, dash=formatting.text_or_dash, plural=formatting.plural)
    env.globals.update(version=__version__, zone_name=formatting.zone_name)
    return env


def render(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)

"""From a model file (or text) to a checked Net IR: parse, then type-check."""

from __future__ import annotations

import sys
from pathlib import Path

from .diagnostics import Source
from .dsl.parser import parse_model, read_source
from .dsl.typecheck import check_model
from .net.ir import Net

__all__ = ["load_model", "load_model_text"]

# Long expressions (a 2,000-term `++` chain) are checked and evaluated by
# recursion over their depth; give them room.
if sys.getrecursionlimit() < 20_000:
    sys.setrecursionlimit(20_000)


def load_model(path: str | Path, params: dict[str, object] | None = None) -> Net:
    """Read, parse and type-check the model at ``path``.

    ``params`` overrides the model's ``param`` values (as ``-D`` does).
    Raises :class:`~protoverify.errors.ModelError` (located diagnostics) or
    :class:`~protoverify.errors.InputError`.
    """
    source = read_source(path)
    return check_model(parse_model(source), source, params)


def load_model_text(text: str, name: str = "<model>", params: dict[str, object] | None = None) -> Net:
    """Like :func:`load_model`, for model text held in memory.

    >>> net = load_model_text("model M  colset C = 1..3  place P : C = all")
    >>> net.places[0].initial
    ((1, 1), (2, 1), (3, 1))
    """
    source = Source(name, text)
    return check_model(parse_model(source), source, params)

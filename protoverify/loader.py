"""From a model file (or text) to a checked Net IR: parse, then type-check."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from .diagnostics import Source
from .dsl.parser import parse_model, read_source
from .dsl.props_check import check_props
from .dsl.props_parser import parse_props, split_inline_properties
from .dsl.typecheck import check_model
from .net.ir import Net

__all__ = ["load_model", "load_model_text", "load_checked", "property_files"]

# Long expressions (a 2,000-term `++` chain) are checked and evaluated by
# recursion over their depth; give them room.
if sys.getrecursionlimit() < 20_000:
    sys.setrecursionlimit(20_000)


def load_model(path: str | Path, params: dict[str, object] | None = None) -> Net:
    """Read, parse and type-check the model at ``path``.

    ``params`` overrides the model's ``param`` values (as ``-D`` does).
    Raises :class:`~protoverify.errors.ModelError` (located diagnostics) or
    :class:`~protoverify.errors.InputError`.  Properties written after a
    ``properties`` line are ignored here; see :func:`load_checked`.
    """
    return load_checked(path, params)[0]


def load_checked(path: str | Path, params: dict[str, object] | None = None,
                 prop_paths: list[str | Path] = (), *, discover: bool = False) -> tuple[Net, list]:
    """The model at ``path`` and its checked properties.

    Properties come from the model's inline section, the files it names
    (``properties from "PATH"``), ``prop_paths``, and — with ``discover`` and
    when none of the others gave a file — ``properties/NAME.props`` beside the
    model's folder or in the current directory.  :func:`property_files` says
    which files that is.
    """
    if Path(path).suffix.lower() == ".pnml":  # converted to model text, then checked as usual
        from .pnml import load_pnml
        net, inline = load_pnml(path, params), None
    else:
        source = read_source(path)
        model_text, inline, _ = split_inline_properties(source.text)
        model_source = Source(source.name, model_text)
        net = check_model(parse_model(model_source), model_source, params)
    files = []
    if inline is not None:
        files.append(parse_props(Source(source.name, inline)))
    named_by_model = {str(Path(path).parent / r) for r in net.props_refs}
    for p in property_files(path, net, prop_paths, discover=discover):
        pf = parse_props(read_source(p))
        if p in named_by_model:
            # the model chose this file (a mutant reusing its original's
            # properties): its header names the original, which is fine
            pf = dataclasses.replace(pf, model_path=None)
        files.append(pf)
    return net, check_props(files, net)


def property_files(path: str | Path, net: Net, prop_paths=(), *, discover: bool = False) -> list[str]:
    """The property files a check of the model at ``path`` reads, in order."""
    model_dir = Path(path).parent
    out = [str(model_dir / r) for r in net.props_refs]
    out += [str(p) for p in prop_paths]
    if discover and not out:
        stem = Path(path).stem
        for candidate in (model_dir.parent / "properties" / f"{stem}.props",
                          Path("properties") / f"{stem}.props"):
            if candidate.is_file():
                out.append(str(candidate))
                break
    return out


def load_model_text(text: str, name: str = "<model>", params: dict[str, object] | None = None) -> Net:
    """Like :func:`load_model`, for model text held in memory.

    >>> net = load_model_text("model M  colset C = 1..3  place P : C = all")
    >>> net.places[0].initial
    ((1, 1), (2, 1), (3, 1))
    """
    model_text, _, _ = split_inline_properties(text)
    source = Source(name, model_text)
    return check_model(parse_model(source), source, params)

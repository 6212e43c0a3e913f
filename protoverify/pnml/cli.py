"""``protoverify import`` and ``protoverify export``: PNML from the shell.

``register(group)`` adds both commands to a click group (``protoverify.cli.main``).
Exit codes: 0 done; 2 the input is wrong (a malformed or unsupported PNML
file, a model that cannot be written in the asked form, an unwritable file);
4 an internal error.
"""

from __future__ import annotations

import sys
import traceback

import click

from ..errors import InputError, ProtoverifyError

__all__ = ["register", "import_cmd", "export_cmd"]

EXIT_INPUT = 2
EXIT_INTERNAL = 4
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(err: ProtoverifyError) -> None:
    click.echo(err.render() if hasattr(err, "render") else f"error: {err}", err=True)
    sys.exit(EXIT_INPUT)


def _internal(err: BaseException, debug: bool) -> None:
    click.echo(f"internal error: {type(err).__name__}: {err}\n"
               "  this is a bug in protoverify, not in your file; please report it with the file attached"
               + ("" if debug else "\n  (run again with --debug to see the Python traceback)"), err=True)
    if debug:
        traceback.print_exc()
    sys.exit(EXIT_INTERNAL)


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except OSError as err:
        raise InputError(f"cannot write `{output}`: {err.strerror or err}") from None


@click.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(path_type=str), default=None, metavar="MODEL.cpn",
              help="Write the model here instead of on stdout.")
@click.option("--debug", is_flag=True, hidden=True)
def import_cmd(file: str, output: str | None, debug: bool) -> None:
    """Translate the PNML net FILE into a model in protoverify's language.

    P/T nets and the symmetric nets of the Model Checking Contest (finite
    enumerations, cyclic enumerations with successor/predecessor, ranges,
    products, variables, `all`, equality guards, multisets with
    coefficients) are supported.  The model is type-checked before it is
    written; errors name the PNML file and line.  `protoverify check
    FILE.pnml` checks a PNML net directly.

    \b
    Examples:
      protoverify import bench/mcc/Philosophers-PT-000005.pnml
      protoverify import net.pnml -o net.cpn
    """
    from ..dsl.parser import parse_model
    from ..dsl.typecheck import check_model
    from ..errors import ModelError
    from ..diagnostics import Source
    from .reader import read_pnml_bytes, pnml_to_model_text, remap_error
    try:
        data = read_pnml_bytes(file)
        mt = pnml_to_model_text(data, file)
        source = Source(file, mt.text)
        try:
            check_model(parse_model(source), source, {})
        except ModelError as err:
            raise remap_error(err, mt, file, data.decode("utf-8", errors="replace").split("\n")) from None
        header = f"// imported from {file} ({'P/T net' if mt.kind == 'pt' else 'symmetric net'})\n"
        _write(header + mt.text + "\n", output)
    except ProtoverifyError as err:
        _fail(err)
    except Exception as err:  # a bug of ours: never a bare traceback
        _internal(err, debug)


@click.command("export", context_settings=CONTEXT)
@click.argument("model", type=click.Path(path_type=str))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a `param` of the model (repeatable), e.g. -D N=6.")
@click.option("--to", "target", type=click.Choice(["pnml"]), default="pnml", show_default=True,
              help="The output format.")
@click.option("--unfold", is_flag=True,
              help="Write the equivalent P/T net (one place per place and colour, one transition per "
                   "transition and binding) instead of a symmetric net.")
@click.option("-o", "--output", type=click.Path(path_type=str), default=None, metavar="FILE.pnml",
              help="Write the PNML here instead of on stdout.")
@click.option("--debug", is_flag=True, hidden=True)
def export_cmd(model: str, defines: tuple[str, ...], target: str, unfold: bool, output: str | None,
               debug: bool) -> None:
    """Write MODEL as PNML.

    A model whose places are all of colour set Unit is written as a P/T net,
    exactly.  A coloured model is written as a symmetric net where every
    construct it uses has a symmetric-net counterpart; otherwise the error
    names the first one that has none (a function call, arithmetic, `if`, an
    inhibitor arc) and --unfold writes the equivalent P/T net instead.

    \b
    Examples:
      protoverify export models/examples/mutex.cpn --to pnml -o mutex.pnml
      protoverify export models/examples/philosophers.cpn -D N=6 --to pnml --unfold -o phil6.pnml
    """
    from ..cli import _parse_defines
    from ..loader import load_model
    from .writer import export_pnml
    try:
        net = load_model(model, _parse_defines(defines))
        warnings: list[str] = []
        text = export_pnml(net, unfold=unfold, warnings=warnings)
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
        _write(text, output)
    except ProtoverifyError as err:
        _fail(err)
    except Exception as err:  # a bug of ours: never a bare traceback
        _internal(err, debug)


def register(group: click.Group) -> None:
    """Add ``import`` and ``export`` to ``group``."""
    group.add_command(import_cmd)
    group.add_command(export_cmd)

"""Property text to a property syntax tree (the only lark user besides ``parser``).

Property files (``properties/*.props``) start with an optional header
``properties for "PATH"``; a model may also carry properties after a line
holding only ``properties``.  Expressions reuse the model's AST nodes, plus
the few below that only properties have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, v_args
from lark.exceptions import UnexpectedInput, VisitError

from ..diagnostics import Source
from ..errors import ModelError
from . import ast as A
from .parser import _ExprBuilder, _pos_meta, _pos_tok, _syntax_diagnostic

__all__ = ["PropDecl", "PropsFile", "Quant", "Special", "Temporal", "EventAtom", "parse_props",
           "split_inline_properties"]


@dataclass(frozen=True)
class Quant(A.Expr):
    kind: str  # forall | exists
    var: A.Ident
    colset: A.Ident
    body: A.Expr


@dataclass(frozen=True)
class Special(A.Expr):
    """``all``, ``empty`` (compared with a place) or ``deadlock`` (the marking is dead)."""

    kind: str


@dataclass(frozen=True)
class Temporal(A.Expr):
    op: str  # X F G U R EX AX EF AF EG AG EU AU ->
    args: tuple[A.Expr, ...]


@dataclass(frozen=True)
class EventAtom(A.Expr):
    """``label(field = value, ...)``: the step fires a transition emitting ``label``."""

    label: str
    fields: tuple[tuple[A.Ident, A.Expr], ...]


@dataclass(frozen=True)
class PropDecl:
    kind: str  # invariant reachable final deadlock live home bound ctl ltl
    name: A.Ident | None
    expr: A.Expr | None = None
    live_for: tuple[A.Ident, A.Ident] | None = None  # (variable, colour set)
    fairness: tuple[tuple[str, tuple[A.Ident, ...] | None], ...] = ()  # (weak|strong, names or None=all)
    pos: A.Pos = A.Pos(1, 1)


@dataclass(frozen=True)
class PropsFile:
    source: Source
    model_path: str | None
    props: tuple[PropDecl, ...]


@lru_cache(maxsize=None)
def _lark() -> Lark:
    grammar = resources.files("protoverify.dsl").joinpath("props.lark").read_text(encoding="utf-8")
    # the contextual lexer reads `U`/`R` as names where an operand is expected,
    # so parameters and places called R or U stay usable in properties
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True)


_INLINE = re.compile(r"^[ \t]*properties[ \t]*(//[^\n]*)?$", re.M)


def split_inline_properties(text: str) -> tuple[str, str | None, int]:
    """Split a model's text at a line holding only ``properties``.

    Returns ``(model_text, properties_text or None, line offset of the properties)``;
    the properties text keeps its line numbers by starting with blank lines.
    """
    m = _INLINE.search(text)
    if m is None:
        return text, None, 0
    line = text.count("\n", 0, m.start())
    model_text = text[: m.start()]
    props_text = "\n" * line + text[m.end():]  # the rest starts with the newline ending that line
    return model_text, props_text, line


def parse_props(source: Source) -> PropsFile:
    """Parse a property file (or a model's inline property section)."""
    try:
        tree = _lark().parse(source.text)
    except UnexpectedInput as err:
        diag = _syntax_diagnostic(source, err, grammar=_lark())
        raise ModelError(diag) from None
    try:
        return _Builder(source).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, ModelError):
            raise err.orig_exc from None
        raise


@v_args(meta=True)
class _Builder(_ExprBuilder):
    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    def start(self, meta, children):
        header = None
        props = []
        for c in children:
            if isinstance(c, str) and not isinstance(c, PropDecl):
                header = c
            elif isinstance(c, PropDecl):
                props.append(c)
        return PropsFile(self.source, header, tuple(props))

    def header(self, meta, children):
        return str(children[0])[1:-1]

    def _ident(self, tok: Token) -> A.Ident:
        return A.Ident(str(tok), _pos_tok(tok))

    def _int(self, tok: Token) -> int:
        return int(tok)

    def _simple(kind):
        def build(self, meta, children):
            return PropDecl(kind, self._ident(children[0]), children[1], pos=_pos_meta(meta))
        return build

    invariant = _simple("invariant")
    reachable = _simple("reachable")
    final = _simple("final")
    home = _simple("home")
    ctl = _simple("ctl")
    bound = _simple("bound")

    def deadlock_only_final(self, meta, children):
        return PropDecl("deadlock", None, None, pos=_pos_meta(meta))

    def live(self, meta, children):
        return PropDecl("live", self._ident(children[0]), None, live_for=children[1], pos=_pos_meta(meta))

    def live_for(self, meta, children):
        return (self._ident(children[0]), self._ident(children[1]))

    def ltl(self, meta, children):
        return PropDecl("ltl", self._ident(children[0]), children[1], fairness=children[2] or (),
                        pos=_pos_meta(meta))

    def fairness(self, meta, children):
        return tuple(children)

    def weak(self, meta, children):
        return ("weak", children[0])

    def strong(self, meta, children):
        return ("strong", children[0])

    def fair_all(self, meta, children):
        return None

    def fair_names(self, meta, children):
        return tuple(self._ident(t) for t in children)

    # ---------------------------------------------------------- expressions
    def all_lit(self, meta, children):
        return Special(_pos_meta(meta), "all")

    def empty_lit(self, meta, children):
        return Special(_pos_meta(meta), "empty")

    def deadlock_lit(self, meta, children):
        return Special(_pos_meta(meta), "deadlock")

    def event_atom(self, meta, children):
        name, *fields = children
        return EventAtom(_pos_tok(name), str(name), tuple(fields))

    def event_field(self, meta, children):
        return (self._ident(children[0]), children[1])

    def forall(self, meta, children):
        return Quant(_pos_meta(meta), "forall", self._ident(children[0]), self._ident(children[1]), children[2])

    def exists(self, meta, children):
        return Quant(_pos_meta(meta), "exists", self._ident(children[0]), self._ident(children[1]), children[2])


    def _temporal(op):
        def build(self, meta, children):
            return Temporal(_pos_meta(meta), op, tuple(children))
        return build

    implies = _temporal("->")
    until = _temporal("U")
    release = _temporal("R")
    ltl_x, ltl_f, ltl_g = _temporal("X"), _temporal("F"), _temporal("G")
    ctl_ex, ctl_ax, ctl_ef, ctl_af = _temporal("EX"), _temporal("AX"), _temporal("EF"), _temporal("AF")
    ctl_eg, ctl_ag, ctl_eu, ctl_au = _temporal("EG"), _temporal("AG"), _temporal("EU"), _temporal("AU")

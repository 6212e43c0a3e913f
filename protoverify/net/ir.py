"""The Net IR: a checked, typed Coloured Petri Net.

This is the single meeting point of the project: the model language (and later
PNML import) produce it; the explorer, the property checkers and the
renderers read it.  Everything here is immutable and fully resolved: names
are bound to their declarations, parameters are substituted, every expression
carries its type, and variables are numbered slots of their transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .colours import ColourSet, Type

__all__ = [
    "Loc",
    "Expr",
    "Const",
    "Var",
    "TupleE",
    "BinE",
    "NotE",
    "NegE",
    "IfE",
    "CallE",
    "CheckE",
    "Ms",
    "MsTerm",
    "MsAll",
    "MsIf",
    "Function",
    "Place",
    "Arc",
    "Emit",
    "Transition",
    "Net",
]


@dataclass(frozen=True)
class Loc:
    """Where a construct was written: for run-time error messages."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# ------------------------------------------------------------- expressions
@dataclass(frozen=True, eq=False)
class Expr:
    type: Type


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: object


@dataclass(frozen=True, eq=False)
class Var(Expr):
    slot: int
    name: str


@dataclass(frozen=True, eq=False)
class TupleE(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class BinE(Expr):
    """``op`` is one of ``+ - * / % == != < <= > >= and or``."""

    op: str
    left: Expr
    right: Expr
    loc: Loc


@dataclass(frozen=True, eq=False)
class NotE(Expr):
    operand: Expr


@dataclass(frozen=True, eq=False)
class NegE(Expr):
    operand: Expr


@dataclass(frozen=True, eq=False)
class IfE(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


@dataclass(frozen=True, eq=False)
class CallE(Expr):
    function: "Function"
    args: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True, eq=False)
class CheckE(Expr):
    """Evaluate ``operand`` and check the value belongs to colour set ``type``.

    Inserted by the type checker wherever an ``int`` is stored into a range.
    """

    operand: Expr
    context: str
    loc: Loc


# ----------------------------------------------------- multiset expressions
@dataclass(frozen=True, eq=False)
class Ms:
    """Base of multiset expressions; a multiset is a sum of ``terms``."""


@dataclass(frozen=True, eq=False)
class MsTerm(Ms):
    """``coef'value``; ``coef`` None means one token."""

    coef: Expr | None
    value: Expr


@dataclass(frozen=True, eq=False)
class MsAll(Ms):
    colset: ColourSet


@dataclass(frozen=True, eq=False)
class MsIf(Ms):
    cond: Expr
    then: tuple[Ms, ...]
    orelse: tuple[Ms, ...]


# ---------------------------------------------------------------- the net
@dataclass(frozen=True, eq=False)
class Function:
    name: str
    params: tuple[tuple[str, Type], ...]
    result: Type
    body: Expr | None  # None only while the checker is still filling it in
    loc: Loc


@dataclass(frozen=True, eq=False)
class Place:
    index: int
    name: str
    colset: ColourSet
    initial: tuple[tuple[object, int], ...]  # canonical: sorted (value, count), counts > 0
    loc: Loc


@dataclass(frozen=True, eq=False)
class Arc:
    kind: str  # "in" | "out" | "read" | "inhibit"
    place: Place
    inscription: tuple[Ms, ...]  # the summands
    loc: Loc


@dataclass(frozen=True, eq=False)
class Emit:
    label: str
    fields: tuple[tuple[str, Expr], ...]
    loc: Loc
    partial: bool = False  # conformance ignores event fields the label does not mention


@dataclass(frozen=True, eq=False)
class Transition:
    index: int
    name: str
    variables: tuple[tuple[str, ColourSet], ...]  # slot i is variables[i]
    arcs: tuple[Arc, ...]
    guard: tuple[Expr, ...]  # conjuncts, all of type bool
    emit: Emit | None
    loc: Loc

    def arcs_of(self, kind: str) -> tuple[Arc, ...]:
        return tuple(a for a in self.arcs if a.kind == kind)


@dataclass(frozen=True, eq=False)
class Net:
    name: str
    file: str
    params: dict[str, int]
    colsets: dict[str, ColourSet]
    functions: dict[str, Function]
    places: tuple[Place, ...]
    transitions: tuple[Transition, ...]
    symmetric: tuple[str, ...] = field(default_factory=tuple)
    props_refs: tuple[str, ...] = field(default_factory=tuple)  # property files the model names

    def place(self, name: str) -> Place:
        for p in self.places:
            if p.name == name:
                return p
        raise KeyError(name)

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def initial_marking(self) -> tuple:
        return tuple(p.initial for p in self.places)


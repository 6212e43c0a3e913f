"""Temporal formulas (CTL and LTL) over numbered atomic propositions.

The property parser produces these; the checkers consume them.  An atom is
just an index: what it means (a marking predicate, ``enabled(t)``, the firing
of an emit label) is kept by the caller in a table beside the formula.

>>> f = G(Implies(Atom(0), F(Atom(1))))
>>> show(f)
'G (p0 -> F p1)'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Formula", "TrueF", "FalseF", "Atom", "Not", "And", "Or", "Implies",
    "X", "F", "G", "U", "R",
    "EX", "AX", "EF", "AF", "EG", "AG", "EU", "AU",
    "show", "atoms",
]


class Formula:
    """Base of temporal formulas; immutable, hashable, comparable."""


@dataclass(frozen=True)
class TrueF(Formula):
    pass


@dataclass(frozen=True)
class FalseF(Formula):
    pass


@dataclass(frozen=True)
class Atom(Formula):
    index: int


@dataclass(frozen=True)
class Not(Formula):
    f: Formula


@dataclass(frozen=True)
class And(Formula):
    a: Formula
    b: Formula


@dataclass(frozen=True)
class Or(Formula):
    a: Formula
    b: Formula


@dataclass(frozen=True)
class Implies(Formula):
    a: Formula
    b: Formula


# ---- LTL (path formulas)
@dataclass(frozen=True)
class X(Formula):
    f: Formula


@dataclass(frozen=True)
class F(Formula):
    f: Formula


@dataclass(frozen=True)
class G(Formula):
    f: Formula


@dataclass(frozen=True)
class U(Formula):
    a: Formula
    b: Formula


@dataclass(frozen=True)
class R(Formula):
    """``a R b``: b holds until and including the point where a holds (or forever)."""

    a: Formula
    b: Formula


# ---- CTL (state formulas)
@dataclass(frozen=True)
class EX(Formula):
    f: Formula


@dataclass(frozen=True)
class AX(Formula):
    f: Formula


@dataclass(frozen=True)
class EF(Formula):
    f: Formula


@dataclass(frozen=True)
class AF(Formula):
    f: Formula


@dataclass(frozen=True)
class EG(Formula):
    f: Formula


@dataclass(frozen=True)
class AG(Formula):
    f: Formula


@dataclass(frozen=True)
class EU(Formula):
    a: Formula
    b: Formula


@dataclass(frozen=True)
class AU(Formula):
    a: Formula
    b: Formula


_UNARY = {Not: "not", X: "X", F: "F", G: "G", EX: "EX", AX: "AX", EF: "EF", AF: "AF", EG: "EG", AG: "AG"}
_BINARY = {And: "and", Or: "or", Implies: "->", U: "U", R: "R"}


def show(f: Formula, names=None) -> str:
    """The formula in the property language's syntax (atoms as ``p<i>`` or ``names[i]``)."""
    if isinstance(f, TrueF):
        return "true"
    if isinstance(f, FalseF):
        return "false"
    if isinstance(f, Atom):
        return names[f.index] if names else f"p{f.index}"
    if type(f) in _UNARY:
        inner = show(f.f, names)
        if not isinstance(f.f, (Atom, TrueF, FalseF)) and type(f.f) not in _UNARY:
            inner = f"({inner})"
        return f"{_UNARY[type(f)]} {inner}"
    if isinstance(f, (EU, AU)):
        q = "E" if isinstance(f, EU) else "A"
        return f"{q}[{show(f.a, names)} U {show(f.b, names)}]"
    op = _BINARY[type(f)]
    parts = []
    for side in (f.a, f.b):
        s = show(side, names)
        if type(side) in _BINARY:
            s = f"({s})"
        parts.append(s)
    return f"{parts[0]} {op} {parts[1]}"


def atoms(f: Formula) -> set[int]:
    out: set[int] = set()
    stack = [f]
    while stack:
        x = stack.pop()
        if isinstance(x, Atom):
            out.add(x.index)
        elif hasattr(x, "f"):
            stack.append(x.f)
        elif hasattr(x, "a"):
            stack += [x.a, x.b]
    return out

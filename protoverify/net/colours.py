"""Colour sets and the types of expressions.

Run-time values are plain Python data chosen for speed and canonical order:
integers for integer ranges, the constant's index for enumerations (so they
sort in declaration order), tuples for products, ``bool`` for booleans.
A colour set knows how to show its values to humans (``show``) and to JSON
(``to_json``).

>>> node = RangeSet("Node", 1, 3)
>>> status = EnumSet("Status", ("done", "failed"))
>>> pair = ProductSet("Node * Status", (node, status))
>>> pair.size, pair.show((2, 1)), pair.to_json((2, 1))
(6, '(2, failed)', [2, 'failed'])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

__all__ = [
    "Type",
    "IntType",
    "BoolType",
    "INT",
    "BOOL",
    "ColourSet",
    "RangeSet",
    "EnumSet",
    "ProductSet",
    "TupleType",
    "UNIT",
    "assignable",
    "needs_check",
    "type_name",
]


class Type:
    """Base of every expression type; subclasses provide ``name``."""

    def show(self, value) -> str:
        return str(value)

    def to_json(self, value):
        return value


class IntType(Type):
    name = "int"

    def __repr__(self):
        return "INT"


class BoolType(Type):
    name = "bool"

    def show(self, value) -> str:
        return "true" if value else "false"

    def __repr__(self):
        return "BOOL"


INT = IntType()
BOOL = BoolType()


class ColourSet(Type):
    """A finite set of values a place's tokens (or a variable) may take.

    Only integer ranges can be ``symmetric`` (see :class:`RangeSet`).
    """

    @property
    def values(self) -> tuple:
        raise NotImplementedError

    @property
    def size(self) -> int:
        return len(self.values)

    def contains(self, value) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class RangeSet(ColourSet):
    name: str
    lo: int
    hi: int
    symmetric: bool = False

    @property
    def values(self) -> tuple:
        return tuple(range(self.lo, self.hi + 1))

    @property
    def size(self) -> int:
        return self.hi - self.lo + 1

    def contains(self, value) -> bool:
        return type(value) is int and self.lo <= value <= self.hi

    def describe(self) -> str:
        return f"{self.name} ({self.lo}..{self.hi})"


@dataclass(frozen=True, eq=False)
class EnumSet(ColourSet):
    name: str
    constants: tuple[str, ...]

    @property
    def values(self) -> tuple:
        return tuple(range(len(self.constants)))

    def contains(self, value) -> bool:
        return type(value) is int and 0 <= value < len(self.constants)

    def show(self, value) -> str:
        return self.constants[value]

    def to_json(self, value):
        return self.constants[value]

    def describe(self) -> str:
        return f"{self.name} {{{', '.join(self.constants)}}}"


@dataclass(frozen=True, eq=False)
class ProductSet(ColourSet):
    name: str
    components: tuple[ColourSet, ...]

    @property
    def values(self) -> tuple:
        return tuple(itertools.product(*(c.values for c in self.components)))

    @property
    def size(self) -> int:
        n = 1
        for c in self.components:
            n *= c.size
        return n

    def contains(self, value) -> bool:
        return (type(value) is tuple and len(value) == len(self.components)
                and all(c.contains(v) for c, v in zip(self.components, value)))

    def show(self, value) -> str:
        return "(" + ", ".join(c.show(v) for c, v in zip(self.components, value)) + ")"

    def to_json(self, value):
        return [c.to_json(v) for c, v in zip(self.components, value)]


@dataclass(frozen=True, eq=False)
class TupleType(Type):
    """The type of a tuple expression that is not (yet) a named product."""

    items: tuple[Type, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return "(" + ", ".join(type_name(t) for t in self.items) + ")"

    def show(self, value) -> str:
        return "(" + ", ".join(t.show(v) for t, v in zip(self.items, value)) + ")"

    def to_json(self, value):
        return [t.to_json(v) for t, v in zip(self.items, value)]


UNIT = EnumSet("Unit", ("unit",))


def _components(t: Type):
    if isinstance(t, ProductSet):
        return t.components
    if isinstance(t, TupleType):
        return t.items
    return None


def type_name(t: Type) -> str:
    return t.name


def assignable(src: Type, dst: Type) -> bool:
    """Can a value of static type ``src`` be stored where ``dst`` is expected?

    Integers fit integer ranges subject to a run-time check (see
    :func:`needs_check`); enumerations only fit themselves.
    """
    if src is dst:
        return True
    if isinstance(dst, (RangeSet, IntType)):
        return isinstance(src, (RangeSet, IntType))
    if isinstance(dst, EnumSet):
        return src is dst
    if isinstance(dst, BoolType):
        return isinstance(src, BoolType)
    dc, sc = _components(dst), _components(src)
    if dc is not None and sc is not None and len(dc) == len(sc):
        return all(assignable(s, d) for s, d in zip(sc, dc))
    return False


def needs_check(src: Type, dst: Type) -> bool:
    """Whether storing a ``src`` value into ``dst`` must be checked when it runs."""
    if src is dst:
        return False
    if isinstance(dst, RangeSet):
        return not (isinstance(src, RangeSet) and dst.lo <= src.lo and src.hi <= dst.hi)
    dc, sc = _components(dst), _components(src)
    if dc is not None and sc is not None:
        return any(needs_check(s, d) for s, d in zip(sc, dc))
    return False

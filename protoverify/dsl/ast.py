"""The typed syntax tree of a model: one frozen dataclass per grammar rule.

Every node carries the position of its first character (1-based ``line`` and
``column``) and ``width``, the number of characters a caret should underline.
The tree is what the parser produces and what the type checker consumes; it
knows nothing of lark.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pos:
    line: int
    column: int
    width: int = 1


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Expr:
    pos: Pos


@dataclass(frozen=True)
class IntLit(Expr):
    value: int


@dataclass(frozen=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True)
class Name(Expr):
    name: str


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class BinOp(Expr):
    """Arithmetic (``+ - * / %``), comparison, ``and``, ``or``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class If(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


# ----------------------------------------------------- multiset expressions
@dataclass(frozen=True)
class MsExpr:
    pos: Pos


@dataclass(frozen=True)
class MsEmpty(MsExpr):
    pass


@dataclass(frozen=True)
class MsAll(MsExpr):
    pass


@dataclass(frozen=True)
class MsTerm(MsExpr):
    """``coef'value``; a bare value has ``coef`` None (one token)."""

    coef: Expr | None
    value: Expr


@dataclass(frozen=True)
class MsIf(MsExpr):
    cond: Expr
    then: MsExpr
    orelse: MsExpr


@dataclass(frozen=True)
class MsSum(MsExpr):
    terms: tuple[MsExpr, ...]


# -------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Ident:
    name: str
    pos: Pos


@dataclass(frozen=True)
class TypeRef:
    """A colour set name, or a product ``A * B`` of names."""

    names: tuple[Ident, ...]
    pos: Pos


@dataclass(frozen=True)
class Decl:
    name: Ident


@dataclass(frozen=True)
class ParamDecl(Decl):
    value: int


@dataclass(frozen=True)
class RangeColset(Decl):
    lo: Expr
    hi: Expr
    symmetric: bool


@dataclass(frozen=True)
class EnumColset(Decl):
    constants: tuple[Ident, ...]


@dataclass(frozen=True)
class ProductColset(Decl):
    components: tuple[Ident, ...]


@dataclass(frozen=True)
class FunParam:
    name: Ident
    type: TypeRef


@dataclass(frozen=True)
class FunDecl(Decl):
    params: tuple[FunParam, ...]
    result: TypeRef
    body: Expr


@dataclass(frozen=True)
class PlaceDecl(Decl):
    type: TypeRef
    init: MsExpr | None


@dataclass(frozen=True)
class Arc:
    kind: str  # in | out | read | inhibit
    place: Ident
    inscription: MsExpr
    pos: Pos


@dataclass(frozen=True)
class EmitField:
    name: Ident
    value: Expr


@dataclass(frozen=True)
class Emit:
    label: Ident
    fields: tuple[EmitField, ...]
    pos: Pos
    partial: bool = False  # trace events may carry fields the label does not mention


@dataclass(frozen=True)
class Guard:
    expr: Expr
    pos: Pos


@dataclass(frozen=True)
class TransitionDecl(Decl):
    arcs: tuple[Arc, ...]
    guards: tuple[Guard, ...]
    emits: tuple[Emit, ...]


@dataclass(frozen=True)
class PropsRef:
    """``properties from "PATH"``: a property file this model is checked against."""

    path: str
    pos: Pos


@dataclass(frozen=True)
class Model:
    name: Ident
    decls: tuple[Decl, ...] = field(default_factory=tuple)
    props_refs: tuple[PropsRef, ...] = field(default_factory=tuple)

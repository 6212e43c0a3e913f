"""Turn IR expressions into Python closures.

Nothing from a model is ever handed to ``eval``: each IR node becomes a small
closure over its already-compiled children, so the only code that runs is
written here.  A closure takes ``env``, the list of the transition's (or
function's) variable values indexed by slot.

>>> from .colours import INT
>>> from .ir import BinE, Const, Loc, Var
>>> here = Loc("m.cpn", 1, 1)
>>> f = compile_expr(BinE(INT, "+", Var(INT, 0, "x"), Const(INT, 1), here))
>>> f([41])
42
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from .ir import BinE, CallE, CheckE, Const, Expr, IfE, Loc, Ms, MsAll, MsIf, MsTerm, NegE, NotE, TupleE, Var

__all__ = ["EvalFailure", "compile_expr", "compile_ms", "eval_const"]


class EvalFailure(Exception):
    """A model did something illegal while being evaluated."""

    def __init__(self, message: str, loc: Loc | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint


def _div(loc: Loc):
    def div(a, b):
        if b == 0:
            raise EvalFailure("division by zero", loc, "guard the division, e.g. `if d != 0 then n / d else 0`")
        return a // b
    return div


def _mod(loc: Loc):
    def mod(a, b):
        if b == 0:
            raise EvalFailure("modulo by zero", loc, "guard the operation, e.g. `if d != 0 then n % d else 0`")
        return a % b
    return mod


_OPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compile_expr(e: Expr, ext=None) -> Callable[[list], object]:
    """A closure computing ``e`` from a variable environment.

    ``ext(e, recurse)`` compiles node types this module does not know (the
    property language adds a few); ``recurse`` compiles their children.
    """
    if ext is not None:
        own = compile_expr
        compile_expr_ = lambda x: own(x, ext)  # noqa: E731
    else:
        compile_expr_ = compile_expr
    return _compile(e, compile_expr_, ext)


def _compile(e: Expr, compile_expr, ext):
    if isinstance(e, Const):
        v = e.value
        return lambda env: v
    if isinstance(e, Var):
        slot = e.slot
        return lambda env: env[slot]
    if isinstance(e, TupleE):
        items = tuple(compile_expr(i) for i in e.items)
        if len(items) == 2:
            a, b = items
            return lambda env: (a(env), b(env))
        return lambda env: tuple(f(env) for f in items)
    if isinstance(e, BinE):
        left, right = compile_expr(e.left), compile_expr(e.right)
        if e.op == "and":
            return lambda env: left(env) and right(env)
        if e.op == "or":
            return lambda env: left(env) or right(env)
        if e.op == "/":
            op = _div(e.loc)
        elif e.op == "%":
            op = _mod(e.loc)
        else:
            op = _OPS[e.op]
        return lambda env: op(left(env), right(env))
    if isinstance(e, NotE):
        inner = compile_expr(e.operand)
        return lambda env: not inner(env)
    if isinstance(e, NegE):
        inner = compile_expr(e.operand)
        return lambda env: -inner(env)
    if isinstance(e, IfE):
        c, t, o = compile_expr(e.cond), compile_expr(e.then), compile_expr(e.orelse)
        return lambda env: t(env) if c(env) else o(env)
    if isinstance(e, CheckE):
        return _checked(compile_expr(e.operand), e.type, e.context, e.loc)
    if isinstance(e, CallE):
        return _call(e, compile_expr)
    if ext is not None:
        return ext(e, compile_expr)
    raise TypeError(f"not an expression: {e!r}")


def _checked(inner, colset, context: str, loc: Loc):
    contains = colset.contains

    def check(env):
        v = inner(env)
        if not contains(v):
            raise EvalFailure(
                f"{context}: value {v!r} is not in colour set {colset.describe()}", loc,
                "values never wrap around; bound the value with a guard or an `if`")
        return v
    return check


_function_bodies: dict = {}  # Function (hashed by identity) -> closure


def _function_body(fun) -> Callable:
    body = _function_bodies.get(fun)
    if body is None:
        body = _function_bodies[fun] = compile_expr(fun.body)
    return body


def _call(e: CallE, compile_expr):
    args = tuple(compile_expr(a) for a in e.args)
    fun = e.function
    body = _function_body(fun)
    return lambda env: body([a(env) for a in args])


def compile_ms(terms: tuple[Ms, ...]) -> Callable[[list], list]:
    """A closure computing a multiset as a list of ``(value, count)`` pairs.

    The list may repeat values; counts are positive.
    """
    parts = [_compile_ms_term(t) for t in terms]
    if len(parts) == 1:
        return parts[0]

    def total(env):
        out = []
        for p in parts:
            out.extend(p(env))
        return out
    return total


def _compile_ms_term(t: Ms):
    if isinstance(t, MsAll):
        values = [(v, 1) for v in t.colset.values]
        return lambda env: values
    if isinstance(t, MsIf):
        c, a, b = compile_expr(t.cond), compile_ms(t.then) if t.then else None, compile_ms(t.orelse) if t.orelse else None
        empty: list = []

        def choose(env):
            branch = a if c(env) else b
            return branch(env) if branch else empty
        return choose
    if isinstance(t, MsTerm):
        value = compile_expr(t.value)
        if t.coef is None:
            return lambda env: [(value(env), 1)]
        coef = compile_expr(t.coef)

        def counted(env):
            n = coef(env)
            if n < 0:
                raise EvalFailure(f"negative multiplicity {n}", None, "a coefficient `n'v` must be 0 or more")
            return [(value(env), n)] if n else []
        return counted
    raise TypeError(f"not a multiset expression: {t!r}")


def eval_const(e: Expr):
    """Evaluate an expression that uses no variables."""
    return compile_expr(e)([])


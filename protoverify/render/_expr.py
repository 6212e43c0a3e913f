"""IR expressions and multisets back to the model's notation, for pictures.

Parameters were substituted by the type checker, so they print as their
values; everything else prints as it was written (modulo parentheses, which
are added only where precedence needs them).

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model M
...   colset C = 1..3
...   colset S = { ok, ko }
...   place P : C * S = (1, ok)
...   place Q : C
...   transition t
...     in  P : (x, s)
...     out Q : if s == ok then 2'x else x ++ (x % 3) + 1
...     guard x < 3 and not (s == ko or x == 2)
... ''')
>>> t = net.transitions[0]
>>> [show_inscription(a.inscription) for a in t.arcs]
['(x, s)', "if s == ok then 2'x else x ++ x % 3 + 1"]
>>> [show_expr(g) for g in t.guard]
['x < 3', 'not (s == ko or x == 2)']
"""

from __future__ import annotations

from ..net import ir

__all__ = ["show_expr", "show_inscription", "show_guard"]

# binding strength: larger binds tighter
_PREC = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_NOT, _NEG, _ATOM, _IF = 3, 7, 8, 0


def _prec(e: ir.Expr) -> int:
    if isinstance(e, ir.CheckE):
        return _prec(e.operand)
    if isinstance(e, ir.BinE):
        return _PREC[e.op]
    if isinstance(e, ir.NotE):
        return _NOT
    if isinstance(e, ir.NegE):
        return _NEG
    if isinstance(e, ir.IfE):
        return _IF
    return _ATOM


def _wrap(e: ir.Expr, need: int) -> str:
    text = show_expr(e)
    return f"({text})" if _prec(e) < need else text


def show_expr(e: ir.Expr) -> str:
    """One expression in the model language's syntax."""
    if isinstance(e, ir.CheckE):
        return show_expr(e.operand)
    if isinstance(e, ir.Const):
        return e.type.show(e.value)
    if isinstance(e, ir.Var):
        return e.name
    if isinstance(e, ir.TupleE):
        return "(" + ", ".join(show_expr(i) for i in e.items) + ")"
    if isinstance(e, ir.BinE):
        p = _PREC[e.op]
        # left-associative: the right operand needs a strictly tighter binding;
        # comparisons do not chain, so both sides need a tighter one
        left_need = p + 1 if p == 4 else p
        return f"{_wrap(e.left, left_need)} {e.op} {_wrap(e.right, p + 1)}"
    if isinstance(e, ir.NotE):
        return f"not {_wrap(e.operand, _NOT)}"
    if isinstance(e, ir.NegE):
        return f"-{_wrap(e.operand, _NEG)}"
    if isinstance(e, ir.IfE):
        return f"if {show_expr(e.cond)} then {show_expr(e.then)} else {show_expr(e.orelse)}"
    if isinstance(e, ir.CallE):
        return f"{e.function.name}(" + ", ".join(show_expr(a) for a in e.args) + ")"
    return f"<{type(e).__name__}>"  # an extension node (properties): never in a net


def _show_ms(m: ir.Ms, sole: bool) -> str:
    if isinstance(m, ir.MsAll):
        return "all"
    if isinstance(m, ir.MsIf):
        text = (f"if {show_expr(m.cond)} then {show_inscription(m.then)} "
                f"else {show_inscription(m.orelse)}")
        return text if sole else f"({text})"
    if isinstance(m, ir.MsTerm):
        if m.coef is None:
            value = show_expr(m.value)
            return value if sole or _prec(m.value) > _IF else f"({value})"
        coef = show_expr(m.coef)
        if not (isinstance(m.coef, ir.Const) or isinstance(m.coef, ir.Var)):
            coef = f"({coef})"
        return f"{coef}'{_wrap(m.value, 1)}"
    return f"<{type(m).__name__}>"


def show_inscription(terms: tuple[ir.Ms, ...]) -> str:
    """An arc inscription or initial marking expression: its summands joined by ``++``."""
    if not terms:
        return "empty"
    sole = len(terms) == 1
    return " ++ ".join(_show_ms(m, sole) for m in terms)


def show_guard(t: ir.Transition) -> str:
    """The guard's conjuncts joined by ``and`` (empty when the transition has none)."""
    if len(t.guard) == 1:
        return show_expr(t.guard[0])
    return " and ".join(_wrap(g, _PREC["and"] + 1) for g in t.guard)

"""Model text to :mod:`protoverify.dsl.ast`, with errors users can act on.

This is the only module (with ``propparser`` later) that touches lark.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, v_args
from lark.visitors import Transformer_NonRecursive
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..diagnostics import Source
from ..errors import ModelError
from . import ast as A

__all__ = ["parse_model", "read_source", "RESERVED", "MAX_FILE_BYTES"]

RESERVED = frozenset(
    "model param colset fun place transition in out read inhibit guard emit if then else and or not "
    "empty all symmetric true false properties from partial".split()
)
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_INT = 2**62

_TERMINAL_NAMES = {
    "NAME": "a name",
    "INT": "an integer",
    "$END": "the end of the file",
}


@lru_cache(maxsize=None)
def _lark() -> Lark:
    grammar = resources.files("protoverify.dsl").joinpath("model.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True)


def read_source(path: str | Path) -> Source:
    """Read a model file as a :class:`Source`, refusing what is not text."""
    name = str(path)
    p = Path(path)

    def fail(code: str, **fields):
        raise ModelError(Source(name, "").diagnostic(code, 1, 1, **fields))

    try:
        size = p.stat().st_size
        if p.is_dir():
            fail("PV001", path=name, reason="it is a directory", hint="give the path of a .cpn file")
        if size > MAX_FILE_BYTES:
            fail("PV003", size=size, limit=MAX_FILE_BYTES)
        data = p.read_bytes()
    except FileNotFoundError:
        fail("PV001", path=name, reason="no such file", hint=_file_hint(p))
    except PermissionError:
        fail("PV001", path=name, reason="permission denied")
    except OSError as err:
        fail("PV001", path=name, reason=err.strerror or str(err))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ModelError(Source(name, "").diagnostic("PV004", line, 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        col = err.start - (before.rfind(b"\n") + 1) + 1
        raise ModelError(Source(name, "").diagnostic(
            "PV002", line, col, byte=data[err.start], hint="save the file as UTF-8")) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(name, text)


def _file_hint(p: Path) -> str:
    parent = p.parent if str(p.parent) else Path(".")
    try:
        names = [c.name for c in parent.iterdir()]
    except OSError:
        return ""
    close = difflib.get_close_matches(p.name, names, n=1)
    return f"did you mean `{parent / close[0]}`?" if close else ""


def parse_model(source: Source) -> A.Model:
    """Parse ``source`` into a :class:`~protoverify.dsl.ast.Model`.

    >>> m = parse_model(Source("m.cpn", "model M place P : Unit = unit"))
    >>> m.name.name, m.decls[0].name.name
    ('M', 'P')
    """
    try:
        tree = _lark().parse(source.text)
    except UnexpectedInput as err:
        raise ModelError(_syntax_diagnostic(source, err)) from None
    try:
        return _Builder(source).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, ModelError):
            raise err.orig_exc from None
        raise


# --------------------------------------------------------------- syntax errors
def _describe_terminal(name: str, grammar: Lark | None = None) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        pattern = (grammar or _lark()).get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _expected(names, grammar: Lark | None = None) -> str:
    described = sorted({_describe_terminal(n, grammar) for n in names})
    if not described:
        return "nothing more"
    if len(described) > 8:
        keep = [d for d in described if d.startswith("`") and d[1:-1].isalpha()]
        others = [d for d in described if d not in keep]
        described = (others[:5] + keep[:5]) if others or keep else described[:8]
        return "one of " + ", ".join(described) + ", ..."
    if len(described) == 1:
        return described[0]
    return "one of " + ", ".join(described)


def _syntax_diagnostic(source: Source, err: UnexpectedInput, grammar: Lark | None = None):
    line, col = getattr(err, "line", 1) or 1, getattr(err, "column", 1) or 1
    pos = getattr(err, "pos_in_stream", None)
    if pos is None and isinstance(err, UnexpectedToken) and err.token.start_pos is not None:
        pos = err.token.start_pos
    if pos is not None and source.text.startswith("/*", pos):
        return source.diagnostic("PV106", line, col, width=2, hint="end it with `*/`")
    if isinstance(err, UnexpectedCharacters):
        char = source.text[err.pos_in_stream] if err.pos_in_stream < len(source.text) else "?"
        hint = _char_hint(char)
        return source.diagnostic("PV102", line, col, char=char, expected=_expected(err.allowed or [], grammar), hint=hint)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        expected = _expected(err.expected, grammar)
        lines = source.text.rstrip().split("\n")
        if source.text.strip():
            line = len(lines)
            col = len(lines[-1]) + 1
        else:
            line, col = 1, 1
        hint = "a model file starts with `model NAME`" if "MODEL" in set(err.expected) and grammar is None else ""
        return source.diagnostic("PV103", line, col, expected=expected, hint=hint)
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    value = str(tok)
    if value in RESERVED and "NAME" in set(err.expected):
        first_on_line = not source.line_text(line)[: col - 1].strip()
        if not (first_on_line and value in _STATEMENT_KEYWORDS):
            return source.diagnostic("PV104", line, col, width=len(value), name=value,
                                     hint="choose another name, e.g. `" + value + "_`"
                                     if value not in ("true", "false") else "choose another name")
    found = f"`{tok}`"
    if tok.type == "NAME":
        found = f"name `{tok}`"
    elif tok.type == "INT":
        found = f"integer `{tok}`"
    hint = _token_hint(source, err, grammar)
    return source.diagnostic("PV101", line, col, width=len(str(tok)) or 1, found=found,
                             expected=_expected(err.expected, grammar), hint=hint)


def _char_hint(char: str) -> str:
    return {
        ";": "declarations need no `;`: start each one with its keyword",
        "#": "comments start with `//` or are written `/* ... */`",
        "\"": "the model language has no strings; use an enumeration `colset C = { a, b }`",
        "[": "multisets are written `1'a ++ 2'b`, not with brackets",
        "{": "braces only enclose enumeration constants: `colset C = { a, b }`",
        "=": "compare with `==`",
    }.get(char, "")


_STATEMENT_KEYWORDS = frozenset("model param colset fun place transition in out read inhibit guard emit".split())


def _token_hint(source: Source, err: UnexpectedToken, grammar: Lark | None = None) -> str:
    tok, expected = err.token, set(err.expected)
    value = str(tok)
    if value in _STATEMENT_KEYWORDS and "NAME" in expected:
        return f"something is missing before `{value}` (an arc inscription after `:`?)"
    if tok.type == "STRING":
        return "strings only name property files (`properties from \"FILE\"`); " \
               "for values use an enumeration `colset C = { a, b }`"
    if value in ("*", "/", "%") and ".." in source.line_text(tok.line)[: tok.column - 1]:
        return f"in a range bound, put `{value}` inside parentheses, e.g. `1..(2 * N)`"
    if value == "=" and "EQUAL" not in expected:
        return "compare with `==`; `=` only appears in declarations"
    if "MODEL" in expected and grammar is None:
        return "a model file starts with `model NAME`"
    if value in {"int", "bool"}:
        return ""
    described = [_describe_terminal(e, grammar) for e in expected]
    keywords = sorted(d[1:-1] for d in described if d.startswith("`"))
    if tok.type == "NAME":
        close = difflib.get_close_matches(value, [k for k in keywords if k.isalpha()], n=1)
        if close:
            return f"did you mean `{close[0]}`?"
    if value == "(" and "NAME" in expected:
        return ""
    return ""


# ----------------------------------------------------------- tree to the AST
def _pos_tok(tok: Token) -> A.Pos:
    return A.Pos(tok.line, tok.column, max(1, len(str(tok))))


def _pos_meta(meta) -> A.Pos:
    if getattr(meta, "empty", False) or not hasattr(meta, "line"):
        return A.Pos(1, 1, 1)
    width = meta.end_column - meta.column if meta.end_line == meta.line else 1
    return A.Pos(meta.line, meta.column, max(1, width))


@v_args(meta=True)
class _ExprBuilder(Transformer_NonRecursive):
    """Tree-to-AST methods for the expression rules both grammars share."""

    def int_lit(self, meta, children):
        return A.IntLit(_pos_tok(children[0]), self._int(children[0]))

    def true_lit(self, meta, children):
        return A.BoolLit(_pos_meta(meta), True)

    def false_lit(self, meta, children):
        return A.BoolLit(_pos_meta(meta), False)

    def name_ref(self, meta, children):
        return A.Name(_pos_tok(children[0]), str(children[0]))

    def call(self, meta, children):
        name, *args = children
        return A.Call(_pos_tok(name), str(name), tuple(a for a in args if a is not None))

    def tuple_expr(self, meta, children):
        return A.TupleExpr(_pos_meta(meta), tuple(children))

    def if_expr(self, meta, children):
        return A.If(_pos_meta(meta), *children)

    def or_op(self, meta, children):
        return A.BinOp(_pos_meta(meta), "or", children[0], children[1])

    def and_op(self, meta, children):
        return A.BinOp(_pos_meta(meta), "and", children[0], children[1])

    def not_op(self, meta, children):
        return A.Not(_pos_meta(meta), children[0])

    def _binop(self, op, meta, children):
        return A.BinOp(_pos_meta(meta), op, children[0], children[1])

    def eq(self, meta, c): return self._binop("==", meta, c)  # noqa: E704
    def ne(self, meta, c): return self._binop("!=", meta, c)  # noqa: E704
    def lt(self, meta, c): return self._binop("<", meta, c)  # noqa: E704
    def le(self, meta, c): return self._binop("<=", meta, c)  # noqa: E704
    def gt(self, meta, c): return self._binop(">", meta, c)  # noqa: E704
    def ge(self, meta, c): return self._binop(">=", meta, c)  # noqa: E704
    def add(self, meta, c): return self._binop("+", meta, c)  # noqa: E704
    def sub(self, meta, c): return self._binop("-", meta, c)  # noqa: E704
    def mul(self, meta, c): return self._binop("*", meta, c)  # noqa: E704
    def div(self, meta, c): return self._binop("/", meta, c)  # noqa: E704
    def mod(self, meta, c): return self._binop("%", meta, c)  # noqa: E704

    def neg(self, meta, children):
        return A.Neg(_pos_meta(meta), children[0])


@v_args(meta=True)
class _Builder(_ExprBuilder):
    """One method per grammar rule (or alias)."""

    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    # -- helpers
    def _ident(self, tok: Token, what: str) -> A.Ident:
        return A.Ident(str(tok), _pos_tok(tok))

    def _int(self, tok: Token) -> int:
        value = int(tok)
        if value >= MAX_INT:
            raise ModelError(self.source.diagnostic("PV105", tok.line, tok.column, width=len(tok), text=str(tok),
                                                    limit=f"2**62"))
        return value

    # -- top level
    def start(self, meta, children):
        model, *decls = children
        refs = tuple(d for d in decls if isinstance(d, A.PropsRef))
        return A.Model(model, tuple(d for d in decls if not isinstance(d, A.PropsRef)), refs)

    def props_ref(self, meta, children):
        return A.PropsRef(str(children[0])[1:-1], _pos_tok(children[0]))

    def model_decl(self, meta, children):
        return self._ident(children[0], "model")

    def param_decl(self, meta, children):
        return A.ParamDecl(self._ident(children[0], "parameter"), children[1])

    def pos_int(self, meta, children):
        return self._int(children[0])

    def neg_int(self, meta, children):
        return -self._int(children[0])

    def colset_decl(self, meta, children):
        name = self._ident(children[0], "colour set")
        kind, payload = children[1]
        if kind == "range":
            lo, hi, sym = payload
            return A.RangeColset(name, lo, hi, sym)
        if kind == "enum":
            return A.EnumColset(name, payload)
        return A.ProductColset(name, payload)

    def range_cs(self, meta, children):
        return ("range", (children[0], children[1], children[2]))

    def symmetric_flag(self, meta, children):
        return not getattr(meta, "empty", True)

    def enum_cs(self, meta, children):
        return ("enum", tuple(self._ident(t, "constant") for t in children))

    def product_cs(self, meta, children):
        return ("product", tuple(c.names[0] for c in children))

    def type_name(self, meta, children):
        ident = A.Ident(str(children[0]), _pos_tok(children[0]))
        return A.TypeRef((ident,), ident.pos)

    def product_type(self, meta, children):
        return A.TypeRef(tuple(c.names[0] for c in children), _pos_meta(meta))

    def fun_decl(self, meta, children):
        name, *rest = children
        body = rest[-1]
        result = rest[-2]
        params = tuple(p for p in rest[:-2] if p is not None)
        return A.FunDecl(self._ident(name, "function"), params, result, body)

    def fun_param(self, meta, children):
        return A.FunParam(self._ident(children[0], "parameter"), children[1])

    def place_decl(self, meta, children):
        return A.PlaceDecl(self._ident(children[0], "place"), children[1], children[2])

    def transition_decl(self, meta, children):
        name, *items = children
        arcs = tuple(i for i in items if isinstance(i, A.Arc))
        guards = tuple(i for i in items if isinstance(i, A.Guard))
        emits = tuple(i for i in items if isinstance(i, A.Emit))
        return A.TransitionDecl(self._ident(name, "transition"), arcs, guards, emits)

    def arc(self, meta, children):
        kind, place, inscription = children
        return A.Arc(kind, A.Ident(str(place), _pos_tok(place)), inscription, _pos_meta(meta))

    def arc_kind(self, meta, children):
        return str(children[0])

    def guard(self, meta, children):
        return A.Guard(children[0], _pos_meta(meta))

    def emit(self, meta, children):
        label, *fields = children
        partial = bool(fields) and isinstance(fields[-1], Token) and fields[-1].type == "PARTIAL"
        if partial:
            fields = fields[:-1]
        return A.Emit(self._ident(label, "event"), tuple(f for f in fields if f is not None), _pos_meta(meta),
                      partial)

    def emit_field(self, meta, children):
        return A.EmitField(self._ident(children[0], "field"), children[1])

    # -- multisets
    def ms_sum(self, meta, children):
        terms = []
        for c in children:
            terms.extend(c.terms if isinstance(c, A.MsSum) else [self._as_ms(c)])
        return A.MsSum(_pos_meta(meta), tuple(terms))

    def _as_ms(self, node):
        if isinstance(node, A.MsExpr):
            return node
        return A.MsTerm(node.pos, None, node)

    def ms_empty(self, meta, children):
        return A.MsEmpty(_pos_meta(meta))

    def ms_all(self, meta, children):
        return A.MsAll(_pos_meta(meta))

    def ms_if(self, meta, children):
        return A.MsIf(_pos_meta(meta), children[0], self._as_ms(children[1]), self._as_ms(children[2]))

    def ms_coef(self, meta, children):
        return A.MsTerm(_pos_meta(meta), children[0], children[1])

    def ms_single(self, meta, children):
        return A.MsTerm(children[0].pos, None, children[0])


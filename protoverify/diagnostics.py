"""Every diagnostic protoverify can report, with a stable code and one template.

Codes never change meaning once released; tests refer to them.  Messages are
``str.format`` templates filled by the reporter.

>>> MESSAGES["PV201"].slug
'undefined-name'
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Diagnostic

__all__ = ["Message", "MESSAGES", "Source", "make"]


@dataclass(frozen=True)
class Message:
    code: str
    slug: str
    template: str


_ALL = [
    # files
    Message("PV001", "file-not-found", "cannot read `{path}`: {reason}"),
    Message("PV002", "not-utf8", "the file is not UTF-8 text (byte 0x{byte:02x} cannot be decoded)"),
    Message("PV003", "file-too-large", "the file is {size} bytes; models larger than {limit} bytes are refused"),
    Message("PV004", "binary-file", "the file contains a NUL byte; it does not look like a text model"),
    # syntax
    Message("PV101", "unexpected-token", "unexpected {found}; expected {expected}"),
    Message("PV102", "unexpected-character", "unexpected character `{char}`; expected {expected}"),
    Message("PV103", "unexpected-end", "the file ends too early; expected {expected}"),
    Message("PV104", "reserved-word", "`{name}` is a reserved word and cannot be used as a name"),
    Message("PV105", "integer-too-large", "integer literal `{text}` is too large (limit {limit})"),
    # names
    Message("PV201", "undefined-name", "undefined {what} `{name}`"),
    Message("PV202", "duplicate-name", "{what} `{name}` is already declared (line {first})"),
    Message("PV203", "wrong-kind", "`{name}` is a {actual}, not a {expected}"),
    Message("PV204", "duplicate-field", "{what} `{name}` appears twice"),
    Message("PV205", "duplicate-emit", "transition `{name}` has more than one `emit`"),
    Message("PV206", "builtin-name", "`{name}` is built in and cannot be declared again"),
    # types
    Message("PV301", "type-mismatch", "{context}: expected {expected}, found {found}"),
    Message("PV302", "unbound-variable", "variable `{name}` is not bound by any input or read arc pattern"),
    Message("PV303", "recursion", "function `{name}` is recursive ({cycle}); functions must not call themselves"),
    Message("PV304", "wrong-arity", "`{name}` takes {expected} argument(s), {found} given"),
    Message("PV305", "not-constant", "{context} must be a constant expression; `{name}` {why}"),
    Message("PV306", "empty-range", "the range {lo}..{hi} is empty"),
    Message("PV307", "no-ordering", "`{op}` needs integers; {found} values compare only with `==` and `!=`"),
    Message("PV308", "variable-in-init", "an initial marking cannot use variable `{name}`"),
    Message("PV106", "unclosed-comment", "this comment is never closed"),
    Message("PV309", "all-without-colset", "`all` needs a colour set, but {context} has none"),
    Message("PV310", "colset-too-large", "colour set `{name}` has {size} values; the limit is {limit}"),
    Message("PV311", "constant-eval", "{context}: {problem}"),
    Message("PV312", "symmetry-broken", "{what} breaks the symmetry of `{colset}`: {why}"),
    Message("PV320", "temporal-misplaced", "`{op}` {why}"),
    Message("PV321", "place-as-value", "place `{name}` is not a value; {what}"),
    Message("PV322", "duplicate-property", "property `{name}` is already declared (line {first})"),
    Message("PV323", "wrong-model", "these properties are for `{expected}`, not for `{actual}`"),
    # parameters
    Message("PV401", "unknown-param", "unknown parameter `{name}` in -D"),
    Message("PV402", "bad-param-value", "parameter `{name}` must be an integer, got `{value}`"),
    Message("PV403", "bad-define", "-D expects NAME=VALUE, got `{text}`"),
    # simulation (reference implementations)
    Message("PV501", "bad-fault", "bad fault `{text}`: {problem}"),
    # traces (conformance)
    Message("PV601", "trace-not-json", "this line is not a JSON object: {problem}"),
    Message("PV602", "trace-header", "{problem}"),
    Message("PV603", "trace-event", "{problem}"),
    Message("PV604", "trace-order", "`seq` {found} after {previous}: events must be in increasing `seq` order"),
    # PNML import and export
    Message("PV801", "pnml-bad-xml", "{problem}"),
    Message("PV802", "pnml-unexpected-element", "expected {expected}, found {found}"),
    Message("PV803", "pnml-missing", "{what} lacks {missing}"),
    Message("PV804", "pnml-unknown-reference", "{what} refers to `{ref}`, which the file does not declare"),
    Message("PV805", "pnml-unsupported", "{construct} is not supported: {why}"),
    Message("PV806", "pnml-bad-value", "{what}: expected {expected}, found `{found}`"),
    Message("PV807", "pnml-duplicate-id", "the id `{id}` is already used (line {first})"),
    Message("PV808", "pnml-not-expressible", "{what} cannot be written as {target}: {why}"),
]

MESSAGES: dict[str, Message] = {m.code: m for m in _ALL}


class Source:
    """A model or property file's text, with helpers to locate diagnostics."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.lines = text.split("\n")

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].rstrip("\r")
        return ""

    def diagnostic(self, code: str, line: int, column: int, *, width: int = 1, hint: str = "",
                   notes: tuple[str, ...] = (), **fields) -> Diagnostic:
        return make(code, self.name, line, column, source_line=self.line_text(line),
                    width=width, hint=hint, notes=notes, **fields)


def make(code: str, file: str, line: int, column: int, *, source_line: str = "", width: int = 1,
         hint: str = "", notes: tuple[str, ...] = (), **fields) -> Diagnostic:
    """Build a :class:`Diagnostic` from the registry's template for ``code``."""
    msg = MESSAGES[code]
    return Diagnostic(code=code, message=msg.template.format(**fields), file=file, line=max(1, line),
                      column=max(1, column), source_line=source_line, hint=hint, width=width, notes=notes)

"""The exception family of protoverify, split by who has to act.

* :class:`InputError` and its children: the user's input is wrong (a model, a
  parameter, a file).  Reported as ``FILE:LINE:COL: error: ...`` with exit 2.
* :class:`ModelRuntimeError`: the model is well typed but does something
  illegal while it runs (a value leaves its colour set, a division by zero).
  Also the user's to fix, also exit 2, reported with transition, binding and
  marking.
* :class:`InternalError`: a bug in protoverify itself.

Verdicts ("a property fails") are results, not exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ProtoverifyError",
    "InputError",
    "Diagnostic",
    "ModelError",
    "ModelRuntimeError",
    "InternalError",
]


class ProtoverifyError(Exception):
    """Root of every exception protoverify raises on purpose."""


class InputError(ProtoverifyError):
    """The user's input is wrong: a file, an option, a parameter."""

    def render(self) -> str:
        return f"error: {self}"


@dataclass(frozen=True)
class Diagnostic:
    """One located message about a source file.

    ``code`` is a stable identifier from :mod:`protoverify.diagnostics`;
    ``line`` and ``column`` are 1-based.
    """

    code: str
    message: str
    file: str
    line: int
    column: int
    source_line: str = ""
    hint: str = ""
    width: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)

    def render(self) -> str:
        """The message as a compiler would print it, caret included."""
        out = [f"{self.file}:{self.line}:{self.column}: error: {self.message} [{self.code}]"]
        if self.source_line:
            text = self.source_line.replace("\t", " ")
            out.append(f"    {text}")
            out.append("    " + " " * (self.column - 1) + "^" * max(1, min(self.width, len(text) - self.column + 1)))
        for note in self.notes:
            out.append(f"  note: {note}")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }


class ModelError(InputError):
    """One or more located diagnostics about a model or property file."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]

    def render(self) -> str:
        body = "\n".join(d.render() for d in self.diagnostics)
        n = len(self.diagnostics)
        if n > 1:
            body += f"\n{n} errors"
        return body


class ModelRuntimeError(InputError):
    """A well-typed model did something illegal while a transition fired."""

    def __init__(self, message: str, *, transition: str = "", binding: dict | None = None,
                 marking: str = "", hint: str = "", location: str = ""):
        self.message = message
        self.transition = transition
        self.binding = binding or {}
        self.marking = marking
        self.hint = hint
        self.location = location
        super().__init__(message)

    def render(self) -> str:
        head = f"{self.location}: " if self.location else ""
        out = [f"{head}error: {self.message}"]
        if self.transition:
            out.append(f"  while firing: {self.transition}")
        if self.binding:
            out.append("  binding: " + ", ".join(f"{k} = {v}" for k, v in self.binding.items()))
        if self.marking:
            out.append("  in marking:")
            out.extend("    " + line for line in self.marking.splitlines())
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


class InternalError(ProtoverifyError):
    """A bug in protoverify: this should never happen, please report it."""

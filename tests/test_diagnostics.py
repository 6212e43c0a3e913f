"""Data-driven diagnostics tests: every case of ``tests/data/malformed.test``.

Each case is a malformed model and the exact list of diagnostics protoverify
must report for it (see the header of the data file for the format).  A case
is written to a temporary file and loaded with :func:`protoverify.load_model`;
it must raise :class:`~protoverify.errors.ModelError` whose diagnostics have
exactly the expected (line, column, code), in order, each with its key phrase
in the message or the hint, and each rendering as ``FILE:LINE:COL: error:``
with a caret under the reported column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import protoverify
from protoverify.errors import ModelError

DATA = Path(__file__).parent / "data" / "malformed.test"

_CASE = re.compile(r"^\[case ([A-Za-z0-9_\-]+)\]\s*$")
_XFAIL = re.compile(r"^\[xfail(?: (.*))?\]\s*$")
_EXPECT = re.compile(r"^\[expect\]\s*$")
_DIAG = re.compile(r"^(\d+):(\d+): (PV\d{3}): (.+?)\s*$")


@dataclass(frozen=True)
class Expected:
    line: int
    column: int
    code: str
    phrase: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.code}: {self.phrase}"


@dataclass
class Case:
    name: str
    lineno: int
    text_lines: list[str] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    xfail: str | None = None

    @property
    def text(self) -> str:
        lines = list(self.text_lines)
        while lines and lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n" if lines else ""


def parse_cases(path: Path = DATA) -> list[Case]:
    """Read the data file into cases; malformed data is a test-suite error."""
    cases: list[Case] = []
    current: Case | None = None
    section = "outside"  # outside | header | model | expect
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        m = _CASE.match(raw)
        if m:
            current = Case(m.group(1), lineno)
            cases.append(current)
            section = "header"
            continue
        if section == "outside":
            if raw.strip() and not raw.startswith("--"):
                raise ValueError(f"{path}:{lineno}: text outside a case: {raw!r}")
            continue
        assert current is not None
        if section == "header":
            m = _XFAIL.match(raw)
            if m:
                current.xfail = m.group(1) or "known tool bug"
                continue
            section = "model"
        if section == "model":
            if _EXPECT.match(raw):
                section = "expect"
            else:
                current.text_lines.append(raw)
            continue
        # section == "expect"
        if not raw.strip() or raw.startswith("--"):
            continue
        m = _DIAG.match(raw)
        if not m:
            raise ValueError(f"{path}:{lineno}: bad expectation line {raw!r} (want LINE:COL: CODE: phrase)")
        current.expected.append(Expected(int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)))
    names = [c.name for c in cases]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"{path}: duplicate case names {sorted(dupes)}")
    for c in cases:
        if not c.expected:
            raise ValueError(f"{path}:{c.lineno}: case {c.name} has no [expect] diagnostics")
    return cases


CASES = parse_cases()
PROPERTY_CASES = parse_cases(DATA.parent / "malformed_props.test")


def _params(cases=None):
    for case in CASES if cases is None else cases:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.name, marks=marks)


def test_data_file_is_substantial():
    assert len(CASES) >= 40
    assert len(PROPERTY_CASES) >= 15


@pytest.mark.parametrize("case", list(_params(PROPERTY_CASES)))
def test_malformed_properties(case: Case, tmp_path: Path) -> None:
    """Models with a `properties` section: the errors are in the properties."""
    from protoverify.loader import load_checked
    path = tmp_path / f"{case.name}.cpn"
    path.write_bytes(case.text.encode("utf-8"))
    with pytest.raises(ModelError) as info:
        load_checked(path)
    got = [(d.line, d.column, d.code) for d in info.value.diagnostics]
    want = [(e.line, e.column, e.code) for e in case.expected]
    shown = "\n".join(f"  {d.line}:{d.column}: {d.code}: {d.message} | hint: {d.hint}" for d in info.value.diagnostics)
    assert got == want, f"diagnostics differ for case {case.name}; the tool reported:\n{shown}"
    for d, e in zip(info.value.diagnostics, case.expected):
        assert e.phrase in d.message or e.phrase in d.hint, f"{e.phrase!r} not in {d.message!r} / {d.hint!r}"


@pytest.mark.parametrize("case", list(_params()))
def test_malformed_model(case: Case, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.cpn"
    path.write_bytes(case.text.encode("utf-8"))

    with pytest.raises(ModelError) as info:
        protoverify.load_model(path)
    diags = info.value.diagnostics

    got = [(d.line, d.column, d.code) for d in diags]
    want = [(e.line, e.column, e.code) for e in case.expected]
    shown = "\n".join(f"  {d.line}:{d.column}: {d.code}: {d.message} | hint: {d.hint}" for d in diags)
    assert got == want, f"diagnostics differ for case {case.name}; the tool reported:\n{shown}"

    source_lines = case.text.split("\n")
    for d, e in zip(diags, case.expected):
        assert e.phrase in d.message or e.phrase in d.hint, (
            f"key phrase {e.phrase!r} not in message {d.message!r} nor hint {d.hint!r}")
        rendered = d.render()
        assert f"{path}:{d.line}:{d.column}: error:" in rendered, rendered
        line_text = source_lines[d.line - 1] if d.line <= len(source_lines) else ""
        if line_text:
            carets = [ln for ln in rendered.split("\n") if re.fullmatch(r"\s*\^+", ln)]
            assert carets, f"no caret line in:\n{rendered}"
            assert carets[0].index("^") == 4 + d.column - 1, f"caret not under column {d.column}:\n{rendered}"

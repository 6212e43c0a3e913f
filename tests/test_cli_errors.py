"""The real ``protoverify check`` command on bad input, and a fuzz test of the loader.

Every bad input must end with exit status 2, a ``FILE:LINE:COL: error:``
line on stderr where a location applies, and never a Python traceback.
The hypothesis tests feed random text and random mutations of a valid model
to :func:`protoverify.load_model_text`: it must return a Net or raise
:class:`~protoverify.errors.InputError`, nothing else.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protoverify
from protoverify.errors import InputError
from protoverify.net.ir import Net

EXIT_INPUT = 2

VALID = """\
model Valid

param N = 3

colset Proc   = 1..N   // not `symmetric`: next(p), constants and N single values out (PV312)
colset Kind   = { get, put }
colset Status = { ok, failed, busy }
colset Req    = Proc * Kind

fun answer(k: Kind): Status = if k == get then ok else failed
fun next(p: Proc): Proc = if p == N then 1 else p + 1

place Idle    : Proc = all
place Queue   : Req
place Free    : Unit = unit
place Done    : Proc * Status
place Count   : Proc = 2'1 ++ 1'2

transition send
  in   Idle  : p
  out  Queue : (p, get) ++ (next(p), put)
  read Count : 1
  emit sent(proc = p)

transition serve
  in      Queue : (p, k)
  in      Free  : unit
  inhibit Done  : (p, busy)
  guard   p != N and not (k == put)
  out     Done  : (p, answer(k))
  out     Free  : unit
  emit    served(proc = p, kind = k)
"""


def run_check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "protoverify.cli", "check", "-q", *args],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120,
    )


def assert_input_error(proc: subprocess.CompletedProcess, *, location: str | None = None,
                       contains: tuple[str, ...] = ()) -> None:
    """Exit 2, no traceback, ``location + ': error:'`` and every phrase on stderr."""
    err = proc.stderr
    report = f"exit {proc.returncode}\n--- stderr:\n{err}\n--- stdout:\n{proc.stdout}"
    assert "Traceback" not in err and "Traceback" not in proc.stdout, report
    assert proc.returncode == EXIT_INPUT, report
    assert "error:" in err, report
    if location is not None:
        assert f"{location}: error:" in err, report
    for phrase in contains:
        assert phrase in err, f"{phrase!r} not on stderr\n{report}"


def test_valid_model_loads(tmp_path: Path) -> None:
    """Sanity check of the fuzzing seed and of ``python -m protoverify.cli``."""
    assert isinstance(protoverify.load_model_text(VALID), Net)
    path = tmp_path / "valid.cpn"
    path.write_text(VALID, encoding="utf-8")
    proc = run_check(str(path), cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------ files
def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.cpn"
    path.write_bytes(b"")
    assert_input_error(run_check(str(path), cwd=tmp_path), location=f"{path}:1:1",
                       contains=("PV103", "model NAME"))


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.cpn"
    path.write_bytes(b"model M\nplace \x00\x01\x02\xff P : Unit\n")
    proc = run_check(str(path), cwd=tmp_path)
    assert_input_error(proc, contains=("PV004", "NUL"))
    assert re.search(rf"{re.escape(str(path))}:2:\d+: error:", proc.stderr), proc.stderr


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.cpn"
    path.write_bytes("model M\n// café crème\n".encode("latin-1"))
    # `é` is byte 0xe9 at column 7 of line 2
    assert_input_error(run_check(str(path), cwd=tmp_path), location=f"{path}:2:7",
                       contains=("PV002", "0xe9", "UTF-8"))


def test_huge_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.cpn"
    with path.open("w", encoding="utf-8") as f:
        f.write("model M\nplace P : Unit = unit\n/* ")
        chunk = "padding " * 8192
        for _ in range(16 * 1024 * 1024 // len(chunk) + 2):
            f.write(chunk)
        f.write("*/\n")
    assert path.stat().st_size > 16 * 1024 * 1024
    assert_input_error(run_check(str(path), cwd=tmp_path), location=f"{path}:1:1",
                       contains=("PV003", str(16 * 1024 * 1024)))


def test_missing_file_suggests_near_miss(tmp_path: Path) -> None:
    (tmp_path / "mutex.cpn").write_text(VALID, encoding="utf-8")
    missing = tmp_path / "mutx.cpn"
    assert_input_error(run_check(str(missing), cwd=tmp_path), location=f"{missing}:1:1",
                       contains=("PV001", "no such file", f"did you mean `{tmp_path / 'mutex.cpn'}`"))


def test_missing_file_relative_name(tmp_path: Path) -> None:
    (tmp_path / "philosophers.cpn").write_text(VALID, encoding="utf-8")
    assert_input_error(run_check("philosophrs.cpn", cwd=tmp_path), location="philosophrs.cpn:1:1",
                       contains=("PV001", "did you mean", "philosophers.cpn"))


def test_directory(tmp_path: Path) -> None:
    d = tmp_path / "models"
    d.mkdir()
    assert_input_error(run_check(str(d), cwd=tmp_path), location=f"{d}:1:1",
                       contains=("PV001", "directory"))


# --------------------------------------------------------------- -D options
@pytest.fixture
def valid_path(tmp_path: Path) -> Path:
    path = tmp_path / "valid.cpn"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_define_unknown_name(valid_path: Path) -> None:
    assert_input_error(run_check(str(valid_path), "-D", "M=3", cwd=valid_path.parent),
                       contains=("PV401", "`M`", "the model declares: N"))


def test_define_unknown_name_near_miss(valid_path: Path) -> None:
    valid = VALID.replace("param N = 3", "param SIZE = 3").replace("N", "SIZE")
    valid_path.write_text(valid, encoding="utf-8")
    assert_input_error(run_check(str(valid_path), "-D", "SIZ=3", cwd=valid_path.parent),
                       contains=("PV401", "did you mean `SIZE`?"))


def test_define_unknown_name_wrong_case(valid_path: Path) -> None:
    assert_input_error(run_check(str(valid_path), "-D", "n=3", cwd=valid_path.parent),
                       contains=("PV401", "did you mean `N`?"))


@pytest.mark.parametrize("value", ["abc", "3.5", "0x10", "", " "])
def test_define_non_integer(valid_path: Path, value: str) -> None:
    proc = run_check(str(valid_path), "-D", f"N={value}", cwd=valid_path.parent)
    code = "PV403" if not value.strip() else "PV402"
    assert_input_error(proc, contains=(code,))


@pytest.mark.parametrize("define", ["N", "=3", "N:3"])
def test_define_without_equals(valid_path: Path, define: str) -> None:
    assert_input_error(run_check(str(valid_path), "-D", define, cwd=valid_path.parent),
                       contains=("PV403", "NAME=VALUE"))


def test_define_makes_range_empty(valid_path: Path) -> None:
    # `colset Proc = 1..N` is line 5; N is at column 20, the range starts at 17
    assert_input_error(run_check(str(valid_path), "-D", "N=0", cwd=valid_path.parent),
                       location=f"{valid_path}:5:17", contains=("PV306", "1..0"))


# --------------------------------------------------------- malformed models
MALFORMED = [
    pytest.param("model M\nplace P : Unit = unit;\n", "2:22", "PV102", id="semicolon"),
    pytest.param("model M\nplace P : Colour\n", "2:11", "PV201", id="undefined-colset"),
    pytest.param("model M\nplcae P : Unit\n", "2:1", "PV101", id="misspelled-keyword"),
    pytest.param("model M\ncolset C = 1..3\nplace P : C = all\ntransition t\n  in P : x\n  guard y > 1\n",
                 "6:9", "PV302", id="unbound-variable"),
    pytest.param("model M\ncolset C = 5..1\n", "2:12", "PV306", id="empty-range"),
    pytest.param("model M\nparam N = 99999999999999999999999\n", "2:11", "PV105", id="integer-too-large"),
    pytest.param("model M\nplace P : Unit\nplace P : Unit = unit\n", "3:7", "PV202", id="duplicate-place"),
    pytest.param("model M\nplace Ready : Unit = unit\ntransition t\n  in Raedy : unit\n", "4:6", "PV201",
                 id="undefined-place"),
]


@pytest.mark.parametrize(("text", "where", "code"), MALFORMED)
def test_malformed_model_cli(tmp_path: Path, text: str, where: str, code: str) -> None:
    path = tmp_path / "bad.cpn"
    path.write_text(text, encoding="utf-8")
    proc = run_check(str(path), cwd=tmp_path)
    assert_input_error(proc, location=f"{path}:{where}", contains=(code,))
    # the offending line is echoed with a caret under it
    assert re.search(r"^ +\^+$", proc.stderr, re.M), proc.stderr


def test_malformed_model_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.cpn"
    path.write_text("model M\nplace P : Colour\n", encoding="utf-8")
    proc = run_check(str(path), "--json", cwd=tmp_path)
    assert_input_error(proc, location=f"{path}:2:11", contains=("PV201",))
    assert '"code": "PV201"' in proc.stdout


def test_long_multiset_sum_loads() -> None:
    text = "model M\ncolset C = 1..3\nplace P : C = " + " ++ ".join(["1"] * 600) + "\n"
    net = protoverify.load_model_text(text)
    assert net.places[0].initial == ((1, 600),)


def test_long_multiset_sum_cli(tmp_path: Path) -> None:
    path = tmp_path / "long.cpn"
    path.write_text("model M\ncolset C = 1..3\nplace P : C = " + " ++ ".join(["1"] * 600) + "\n",
                    encoding="utf-8")
    proc = run_check(str(path), cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr


# ---------------------------------------------------------------- fuzzing
def _loads_or_input_error(text: str) -> None:
    try:
        net = protoverify.load_model_text(text)
    except InputError:
        return
    assert isinstance(net, Net)


_TOKENS = [
    "model", "M", "param", "N", "=", "3", "colset", "C", "1..N", "{", "}", ",", "a", "b", "*",
    "fun", "f", "(", ")", ":", "int", "bool", "place", "P", "Q", "Unit", "unit", "all", "empty",
    "transition", "t", "in", "out", "read", "inhibit", "guard", "emit", "x", "y", "'", "++", "+",
    "-", "/", "%", "==", "!=", "<", "and", "or", "not", "if", "then", "else", "true", "false",
    "0", "1", "2", "\n", "//", "/*", "*/",
]

FUZZ = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_random_text(text: str) -> None:
    _loads_or_input_error(text)


@FUZZ
@given(st.lists(st.sampled_from(_TOKENS), max_size=60).map(" ".join))
def test_fuzz_random_tokens(text: str) -> None:
    _loads_or_input_error("model M " + text)


_mutation = st.tuples(
    st.sampled_from(["delete", "insert", "replace"]),
    st.integers(min_value=0, max_value=len(VALID)),
    st.characters(codec="utf-8") | st.sampled_from(list("()=:,'+*-/%{}.\n_ 0123456789xyzNPQ")),
)


def _mutate(text: str, mutations) -> str:
    for op, pos, ch in mutations:
        pos = min(pos, len(text))
        if op == "delete" and text:
            pos = min(pos, len(text) - 1)
            text = text[:pos] + text[pos + 1:]
        elif op == "insert":
            text = text[:pos] + ch + text[pos:]
        elif text:
            pos = min(pos, len(text) - 1)
            text = text[:pos] + ch + text[pos + 1:]
    return text


@FUZZ
@given(st.lists(_mutation, min_size=1, max_size=4))
def test_fuzz_mutated_valid_model(mutations) -> None:
    _loads_or_input_error(_mutate(VALID, mutations))

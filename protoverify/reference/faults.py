"""The fault spec: which faults a simulation injects, as one short string.

Grammar (whitespace around tokens is ignored)::

    SPEC      := ITEM ( ";" ITEM )*          -- "," also separates items, when the next
                                             -- item starts with a fault name
    ITEM      := "crash:" P [ ":for:" SECONDS ] [ ":on:" ROLE ]
               | "loss:" P
               | "delay:" SECONDS [ "-" SECONDS ]
               | "partition:" SECONDS "-" SECONDS ":" GROUP ( "|" GROUP )+
    GROUP     := NODE ( "," NODE )*
    P         := a number in [0, 1], or a percentage such as 20%

* ``crash:P`` — each node crashes with probability P at a time drawn
  uniformly over the run; ``:for:X`` reboots it X seconds later as a fresh
  node; ``:on:ROLE`` crashes it only if, at that time, it plays ROLE (roles
  are the protocol's, e.g. ``coordinator`` for BonjourGrid).
* ``loss:P`` — every message copy is lost with probability P (P < 1).
* ``delay:MIN-MAX`` — one-way delays uniform in [MIN, MAX] seconds.
* ``partition:T1-T2:GROUPS`` — from T1 to T2 only nodes of the same group
  talk; nodes named in no group form one more group.

>>> spec = parse_faults("crash:0.2:for:60; loss:5%, delay:0.01-0.05; partition:10-20:n1,n2|n3")
>>> spec.crashes[0].probability, spec.crashes[0].down_for, spec.loss, spec.delay
(0.2, 60.0, 0.05, (0.01, 0.05))
>>> spec.partitions[0].groups
(('n1', 'n2'), ('n3',))
>>> str(spec)
'crash:0.2:for:60; loss:0.05; delay:0.01-0.05; partition:10-20:n1,n2|n3'
>>> parse_faults("crash:1.5")
Traceback (most recent call last):
...
protoverify.errors.InputError: bad fault `crash:1.5`: the probability must be between 0 and 1, got 1.5 [PV501]
  hint: write it as crash:P[:for:SECONDS][:on:ROLE], e.g. crash:0.2:for:60
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from ..diagnostics import MESSAGES
from ..errors import InputError

__all__ = ["FaultSpec", "CrashFault", "PartitionFault", "parse_faults", "KINDS"]

KINDS = ("crash", "loss", "delay", "partition")
_FORMS = {
    "crash": "crash:P[:for:SECONDS][:on:ROLE], e.g. crash:0.2:for:60",
    "loss": "loss:P with 0 <= P < 1, e.g. loss:0.05 or loss:5%",
    "delay": "delay:MIN-MAX in seconds, e.g. delay:0.001-0.05",
    "partition": "partition:T1-T2:GROUP|GROUP..., e.g. partition:10-20:n1,n2|n3,n4",
}
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_SPLIT = re.compile(r";|,(?=\s*(?:%s)\s*:)" % "|".join(KINDS))


@dataclass(frozen=True)
class CrashFault:
    probability: float
    down_for: float | None = None
    role: str | None = None

    @property
    def text(self) -> str:
        out = f"crash:{_num(self.probability)}"
        if self.down_for is not None:
            out += f":for:{_num(self.down_for)}"
        if self.role is not None:
            out += f":on:{self.role}"
        return out


@dataclass(frozen=True)
class PartitionFault:
    start: float
    end: float
    groups: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        return f"partition:{_num(self.start)}-{_num(self.end)}:" + "|".join(",".join(g) for g in self.groups)


@dataclass(frozen=True)
class FaultSpec:
    """A parsed fault spec; ``str(spec)`` is its canonical text."""

    crashes: tuple[CrashFault, ...] = ()
    loss: float | None = None
    delay: tuple[float, float] | None = None
    partitions: tuple[PartitionFault, ...] = ()

    def __str__(self) -> str:
        parts = [c.text for c in self.crashes]
        if self.loss is not None:
            parts.append(f"loss:{_num(self.loss)}")
        if self.delay is not None:
            parts.append(f"delay:{_num(self.delay[0])}-{_num(self.delay[1])}")
        parts.extend(p.text for p in self.partitions)
        return "; ".join(parts)

    @property
    def empty(self) -> bool:
        return not (self.crashes or self.partitions) and self.loss is None and self.delay is None


def parse_faults(text: str | None) -> FaultSpec:
    """Parse a fault spec (see the module docstring); raises :class:`InputError` saying what was expected.

    >>> parse_faults("").empty
    True
    """
    if text is None:
        return FaultSpec()
    crashes: list[CrashFault] = []
    partitions: list[PartitionFault] = []
    loss: float | None = None
    delay: tuple[float, float] | None = None
    for raw in _SPLIT.split(text):
        item = raw.strip()
        if not item:
            continue
        kind, _, rest = item.partition(":")
        kind = kind.strip().lower()
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, KINDS, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            _fail(item, f"unknown fault `{kind}`; expected one of {', '.join(KINDS)}",
                  hint + "faults are separated by `;`, e.g. crash:0.1; loss:0.05")
        fields = [f.strip() for f in rest.split(":")] if rest else []
        if kind == "crash":
            crashes.append(_crash(item, fields))
        elif kind == "loss":
            if loss is not None:
                _fail(item, "`loss` is given twice", "give it once")
            if len(fields) != 1:
                _fail(item, "expected one probability", "write it as " + _FORMS["loss"])
            loss = _probability(item, fields[0], "loss")
            if loss >= 1:
                _fail(item, f"a loss probability must be below 1, got {_num(loss)}", "write it as " + _FORMS["loss"])
        elif kind == "delay":
            if delay is not None:
                _fail(item, "`delay` is given twice", "give it once")
            if len(fields) != 1:
                _fail(item, "expected MIN-MAX", "write it as " + _FORMS["delay"])
            lo, hi = _range(item, fields[0], "delay", allow_single=True)
            delay = (lo, hi)
        else:
            partitions.append(_partition(item, rest))
    return FaultSpec(tuple(crashes), loss, delay, tuple(partitions))


def _crash(item: str, fields: list[str]) -> CrashFault:
    if not fields:
        _fail(item, "expected a probability after `crash:`", "write it as " + _FORMS["crash"])
    p = _probability(item, fields[0], "crash")
    down_for: float | None = None
    role: str | None = None
    i = 1
    while i < len(fields):
        key = fields[i].lower()
        if i + 1 >= len(fields):
            _fail(item, f"`{fields[i]}` needs a value after it", "write it as " + _FORMS["crash"])
        value = fields[i + 1]
        if key == "for" and down_for is None:
            down_for = _number(item, value, "crash", "the down time")
            if down_for <= 0:
                _fail(item, f"the down time must be positive, got {value}", "write it as " + _FORMS["crash"])
        elif key == "on" and role is None:
            if not _NAME.match(value):
                _fail(item, f"`{value}` is not a role name", "write it as " + _FORMS["crash"])
            role = value
        else:
            _fail(item, f"unexpected `{fields[i]}`; expected `for` or `on`", "write it as " + _FORMS["crash"])
        i += 2
    return CrashFault(p, down_for, role)


def _partition(item: str, rest: str) -> PartitionFault:
    window, sep, groups_text = rest.partition(":")
    if not sep or not groups_text.strip():
        _fail(item, "expected a time window and groups", "write it as " + _FORMS["partition"])
    start, end = _range(item, window.strip(), "partition", allow_single=False)
    if end <= start:
        _fail(item, f"the partition must end after it starts ({_num(start)}-{_num(end)})",
              "write it as " + _FORMS["partition"])
    groups = []
    seen: set[str] = set()
    for g in groups_text.split("|"):
        names = tuple(n.strip() for n in g.split(","))
        for n in names:
            if not n or not _NAME.match(n):
                _fail(item, f"`{n}` is not a node name" if n else "an empty node name",
                      "write it as " + _FORMS["partition"])
            if n in seen:
                _fail(item, f"node `{n}` is in two groups", "put each node in one group")
            seen.add(n)
        groups.append(names)
    if len(groups) < 2:
        _fail(item, "a partition needs at least two groups separated by `|`",
              "write it as " + _FORMS["partition"] + " (nodes in no group form one more group)")
    return PartitionFault(start, end, tuple(groups))


def _number(item: str, text: str, kind: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        _fail(item, f"{what} must be a number, got `{text}`", "write it as " + _FORMS[kind])
    if not math.isfinite(value):
        _fail(item, f"{what} must be a finite number, got `{text}`", "write it as " + _FORMS[kind])
    return value


def _probability(item: str, text: str, kind: str) -> float:
    percent = text.endswith("%")
    value = _number(item, text[:-1] if percent else text, kind, "the probability")
    if percent:
        value /= 100
    if not 0 <= value <= 1:
        _fail(item, f"the probability must be between 0 and 1, got {text}", "write it as " + _FORMS[kind])
    return value


def _range(item: str, text: str, kind: str, allow_single: bool) -> tuple[float, float]:
    lo_text, sep, hi_text = text.partition("-")
    if not sep:
        if not allow_single:
            _fail(item, f"expected a time window T1-T2, got `{text}`", "write it as " + _FORMS[kind])
        hi_text = lo_text
    lo = _number(item, lo_text.strip(), kind, "MIN" if kind == "delay" else "T1")
    hi = _number(item, hi_text.strip(), kind, "MAX" if kind == "delay" else "T2")
    if lo < 0 or hi < lo:
        _fail(item, f"expected 0 <= {'MIN <= MAX' if kind == 'delay' else 'T1 <= T2'}, got `{text}`",
              "write it as " + _FORMS[kind])
    return lo, hi


def _fail(item: str, problem: str, hint: str) -> None:
    message = MESSAGES["PV501"].template.format(text=item, problem=problem)
    raise InputError(f"{message} [PV501]\n  hint: {hint}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))

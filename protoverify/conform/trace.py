"""Reading recorded traces (JSON Lines, format in ``docs/traces.md``) for conformance.

A trace is a header line then one event per line.  Anything wrong with the
file is an :class:`~protoverify.errors.ModelError` located at ``FILE:LINE:COL``
with what was expected, so that a CI log points at the offending line.

>>> import tempfile, os
>>> d = tempfile.mkdtemp(); p = os.path.join(d, "t.jsonl")
>>> _ = open(p, "w").write('{"trace": "protoverify/1", "protocol": "demo", "params": {"N": 2}}\\n'
...                        '{"seq": 1, "time": 0.5, "node": "n2", "event": "moved", "app": 1}\\n')
>>> t = read_trace(p)
>>> t.params, t.events[0].event, t.events[0].fields
({'N': 2}, 'moved', {'node': 'n2', 'app': 1})
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Source
from ..errors import ModelError

__all__ = ["Trace", "TraceEvent", "read_trace", "parse_trace", "TRACE_FORMAT", "RESERVED_KEYS"]

TRACE_FORMAT = "protoverify/1"
RESERVED_KEYS = ("seq", "time", "event")  # every other key of an event line is a field (``node`` included)
MAX_TRACE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class TraceEvent:
    """One recorded protocol step.  ``fields`` holds every key but ``seq``, ``time`` and ``event``."""

    line: int
    seq: int
    time: float
    node: Any
    event: str
    fields: dict = field(hash=False)

    def to_json(self) -> dict:
        return {"seq": self.seq, "time": self.time, "event": self.event, **self.fields}

    def show(self) -> str:
        inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in self.fields.items())
        return f"{self.event}({inner})"


@dataclass(frozen=True)
class Trace:
    path: str
    header: dict
    events: tuple[TraceEvent, ...]

    @property
    def params(self) -> dict:
        p = self.header.get("params")
        return dict(p) if isinstance(p, dict) else {}


def read_trace(path: str) -> Trace:
    """Read and validate a trace file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_TRACE_BYTES + 1)
    except OSError as err:
        _fail(path, 1, 1, "PV001", code_fields={"path": path, "reason": err.strerror or str(err)},
              hint="check the path")
    if len(data) > MAX_TRACE_BYTES:
        _fail(path, 1, 1, "PV003", code_fields={"size": len(data), "limit": MAX_TRACE_BYTES},
              hint="split the trace, or check only a prefix of it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        _fail(path, line, 1, "PV002", code_fields={"byte": data[err.start]}, hint="traces are UTF-8 JSON Lines")
    return parse_trace(text, path)


def parse_trace(text: str, path: str = "<trace>") -> Trace:
    """Parse the text of a trace (see :func:`read_trace`)."""
    src = Source(path, text)
    header = None
    events: list[TraceEvent] = []
    previous = None
    for lineno, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError) as err:
            col = getattr(err, "colno", 1)
            msg = getattr(err, "msg", str(err))
            raise ModelError(src.diagnostic("PV601", lineno, col, problem=msg,
                                            hint="each line of a trace is one JSON object, e.g. "
                                                 '{"seq": 1, "time": 0.0, "node": "n1", "event": "...", ...}'))
        if not isinstance(row, dict):
            raise ModelError(src.diagnostic("PV601", lineno, 1, problem=f"found a JSON {_kind(row)}",
                                            hint="each line of a trace is one JSON object"))
        if header is None:
            if row.get("trace") != TRACE_FORMAT:
                raise ModelError(src.diagnostic(
                    "PV602", lineno, 1,
                    problem=f"expected a trace header with \"trace\": \"{TRACE_FORMAT}\", found "
                            + (f"\"trace\": {json.dumps(row['trace'])}" if "trace" in row else "no `trace` key"),
                    hint='the first line of a trace is its header, e.g. {"trace": "protoverify/1", '
                         '"protocol": "bonjourgrid", "params": {"N": 3}}'))
            params = row.get("params", {})
            if not isinstance(params, dict):
                raise ModelError(src.diagnostic("PV602", lineno, _col(raw, "params"),
                                                problem=f"`params` must be an object, found a JSON {_kind(params)}",
                                                hint='e.g. "params": {"N": 3, "APPS": 1}'))
            header = row
            continue
        events.append(_event(src, lineno, raw, row, previous))
        previous = events[-1].seq
    if header is None:
        raise ModelError(src.diagnostic("PV602", 1, 1, problem="the trace is empty: expected a header line",
                                        hint='the first line of a trace is its header, e.g. '
                                             '{"trace": "protoverify/1", "protocol": "bonjourgrid"}'))
    return Trace(path, header, tuple(events))


def _event(src: Source, lineno: int, raw: str, row: dict, previous: int | None) -> TraceEvent:
    def bad(key: str, problem: str, hint: str) -> ModelError:
        return ModelError(src.diagnostic("PV603", lineno, _col(raw, key), problem=problem, hint=hint))

    example = '{"seq": 3, "time": 0.25, "node": "n1", "event": "worker_reserved", "app": 1}'
    for key in ("seq", "time", "event"):
        if key not in row:
            raise bad(key, f"the event has no `{key}`",
                      f"every event line has seq, time and event, and usually node: {example}")
    seq, time, event = row["seq"], row["time"], row["event"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise bad("seq", f"`seq` must be a non-negative integer, found {json.dumps(seq)}", example)
    if not isinstance(time, (int, float)) or isinstance(time, bool) or not math.isfinite(time):
        raise bad("time", f"`time` must be a number, found {json.dumps(time)}", example)
    if not isinstance(event, str) or not event:
        raise bad("event", f"`event` must be a non-empty string, found {json.dumps(event)}", example)
    if previous is not None and seq <= previous:
        raise ModelError(src.diagnostic("PV604", lineno, _col(raw, "seq"), found=seq, previous=previous,
                                        hint="`seq` is the order the recorder saw the events in; "
                                             "sort the lines by it"))
    fields = {k: v for k, v in row.items() if k not in RESERVED_KEYS}
    return TraceEvent(lineno, seq, float(time), row.get("node"), event, fields)


def _no_constant(name: str):
    raise ValueError(f"`{name}` is not a JSON value")


def _kind(v) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(v), "number")


def _col(raw: str, key: str) -> int:
    i = raw.find(f'"{key}"')
    return i + 1 if i >= 0 else 1


def _fail(path: str, line: int, col: int, code: str, *, code_fields: dict, hint: str):
    from ..diagnostics import make
    raise ModelError(make(code, path, line, col, hint=hint, **code_fields))

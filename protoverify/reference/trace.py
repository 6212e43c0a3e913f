"""Trace recording: protocol steps as JSON Lines (format in ``docs/traces.md``).

A :class:`TraceRecorder` is the :class:`~.transport.Recorder` nodes report
to.  :meth:`TraceRecorder.start` writes the header and gives the recorder the
clock to stamp events with (the simulator's virtual clock, or a real one);
every :meth:`~TraceRecorder.event` then becomes one line::

    {"seq": 1, "time": 0.0, "node": "n3", "event": "coordinator_started", "app": 1}

>>> import io
>>> out = io.StringIO()
>>> rec = TraceRecorder(out)
>>> rec.start(protocol="bonjourgrid", seed=7, params={"N": 4}, faults="", clock=lambda: 0.25)
>>> rec.event("n3", "coordinator_started", app=1)
>>> print(out.getvalue(), end="")
{"trace": "protoverify/1", "protocol": "bonjourgrid", "seed": 7, "params": {"N": 4}, "faults": "", "implementation": "protoverify 0.1.0"}
{"seq": 1, "time": 0.25, "node": "n3", "event": "coordinator_started", "app": 1}
>>> rec.events[0]["event"]
'coordinator_started'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from ..errors import InputError, InternalError
from .transport import Recorder

__all__ = ["TraceRecorder", "read_trace", "TRACE_FORMAT"]

TRACE_FORMAT = "protoverify/1"


def _implementation() -> str:
    from .. import __version__
    return f"protoverify {__version__}"


class TraceRecorder(Recorder):
    """Writes events to ``sink`` (a text stream; None: write nothing) and, if ``keep``, keeps them in
    :attr:`events` as dicts.  ``listeners`` are called with each event dict as it is recorded."""

    def __init__(self, sink: TextIO | None = None, *, keep: bool = True):
        self.sink = sink
        self.keep = keep
        self.events: list[dict] = []
        self.header: dict | None = None
        self.listeners: list[Callable[[dict], None]] = []
        self._clock: Callable[[], float] | None = None
        self._seq = 0

    def start(self, *, protocol: str, seed: int | None, params: dict, faults: str,
              clock: Callable[[], float]) -> None:
        """Write the header line and bind the clock that stamps every later event."""
        if self._clock is not None:
            raise InternalError("TraceRecorder.start called twice")
        self._clock = clock
        self.header = {"trace": TRACE_FORMAT, "protocol": protocol, "seed": seed, "params": dict(params),
                       "faults": faults, "implementation": _implementation()}
        if self.sink is not None:
            self.sink.write(json.dumps(self.header) + "\n")

    def event(self, node: str, event: str, **fields: Any) -> None:
        if self._clock is None:
            raise InternalError(f"event `{event}` recorded before TraceRecorder.start")
        self._seq += 1
        record = {"seq": self._seq, "time": round(self._clock(), 6), "node": node, "event": event, **fields}
        if self.sink is not None:
            self.sink.write(json.dumps(record) + "\n")
        if self.keep:
            self.events.append(record)
        for listener in self.listeners:
            listener(record)


def read_trace(path: str) -> tuple[dict, list[dict]]:
    """Read a trace file: ``(header, events)``; raises :class:`InputError` if it is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = [line for line in fh.read().split("\n") if line.strip()]
    except OSError as err:
        raise InputError(f"cannot read `{path}`: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InputError(f"`{path}` is not UTF-8 text") from None
    if not lines:
        raise InputError(f"`{path}` is empty; a trace starts with a header line")
    try:
        rows = [json.loads(line) for line in lines]
    except json.JSONDecodeError as err:
        raise InputError(f"`{path}` is not JSON Lines: {err}") from None
    header = rows[0]
    if not isinstance(header, dict) or header.get("trace") != TRACE_FORMAT:
        raise InputError(f"`{path}`: the first line is not a `{TRACE_FORMAT}` trace header")
    return header, rows[1:]

"""Test doubles and the conformance battery every :class:`~.transport.Transport` must pass.

``check_transport(make_pair)`` runs the battery.  ``make_pair(seed)`` must
build a fresh, lossless world with two nodes and return a
:class:`TransportPair`: their transports and ``advance(seconds)``, which lets
the world run for that many seconds of the transports' clock (the simulator
runs its queue; an asyncio transport would run its loop).  Every message must
arrive within ``max_delay`` seconds.

>>> from protoverify.reference.sim import Simulator
>>> def make_pair(seed):
...     sim = Simulator(seed)
...     sim.add_node("a", lambda t: None); sim.add_node("b", lambda t: None)
...     return TransportPair(sim.transport("a"), sim.transport("b"), lambda s: sim.run(until=sim.now() + s))
>>> check_transport(make_pair)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .transport import Recorder, TimerHandle, Transport

__all__ = ["TransportPair", "check_transport"]


class TransportPair(NamedTuple):
    a: Transport
    b: Transport
    advance: Callable[[float], None]


def check_transport(make_pair: Callable[[int], TransportPair], *, max_delay: float = 1.0) -> None:
    """Run every check; raises ``AssertionError`` naming the first one that fails."""
    for check in (_send_receive, _handler_replaced, _timers_order, _timer_cancel, _clock_monotonic,
                  _multicast_membership, _randomness, _recorder):
        try:
            check(make_pair, max_delay)
        except AssertionError as err:
            raise AssertionError(f"transport conformance: {check.__name__.strip('_')}: {err}") from None


def _inbox(t: Transport) -> list[tuple[float, str, dict]]:
    got: list[tuple[float, str, dict]] = []
    t.on_message(lambda src, msg: got.append((t.now(), src, msg)))
    return got


def _send_receive(make_pair, max_delay: float) -> None:
    a, b, advance = make_pair(1)
    assert a.address != b.address, "the two transports have the same address"
    got_a, got_b = _inbox(a), _inbox(b)
    message = {"kind": "hello", "n": 1, "nested": {"list": [1, 2.5, "x"], "none": None, "flag": True}}
    t0 = a.now()
    a.send(b.address, message)
    a.send(a.address, {"kind": "self"})
    advance(max_delay)
    assert [(src, msg) for _, src, msg in got_b] == [(a.address, message)], f"b received {got_b!r}"
    assert got_b[0][0] >= t0, "a message arrived before it was sent"
    assert [msg for _, _, msg in got_a] == [{"kind": "self"}], f"a send to self gave {got_a!r}"
    b.send(a.address, {"kind": "reply"})
    advance(max_delay)
    assert [msg["kind"] for _, _, msg in got_a] == ["self", "reply"], f"a received {got_a!r}"


def _handler_replaced(make_pair, max_delay: float) -> None:
    a, b, advance = make_pair(2)
    first: list = []
    second: list = []
    b.on_message(lambda src, msg: first.append(msg))
    b.on_message(lambda src, msg: second.append(msg))
    a.send(b.address, {"n": 1})
    advance(max_delay)
    assert first == [] and second == [{"n": 1}], "on_message must replace the previous handler"


def _timers_order(make_pair, max_delay: float) -> None:
    a, _, advance = make_pair(3)
    fired: list[tuple[str, float]] = []
    t0 = a.now()
    for name, delay in (("c", 0.3), ("a", 0.1), ("b", 0.2), ("z", 0.0)):
        a.call_later(delay, lambda name=name, delay=delay: fired.append((name, delay)))
    advance(0.5)
    assert [n for n, _ in fired] == ["z", "a", "b", "c"], f"timers fired in order {fired!r}"
    nested: list[float] = []
    a.call_later(0.1, lambda: a.call_later(0.1, lambda: nested.append(a.now())))
    advance(0.5)
    assert len(nested) == 1 and nested[0] >= t0 + 0.5 + 0.2 - 1e-9, f"a timer set from a timer: {nested!r}"


def _timer_cancel(make_pair, max_delay: float) -> None:
    a, _, advance = make_pair(4)
    fired: list[str] = []
    keep = a.call_later(0.2, lambda: fired.append("keep"))
    drop = a.call_later(0.1, lambda: fired.append("drop"))
    assert isinstance(keep, TimerHandle) and isinstance(drop, TimerHandle), "call_later must return a TimerHandle"
    drop.cancel()
    drop.cancel()  # twice: harmless
    advance(0.5)
    keep.cancel()  # after firing: harmless
    assert fired == ["keep"], f"fired {fired!r}"
    late = a.call_later(0.1, lambda: fired.append("late"))
    a.call_later(0.05, late.cancel)  # cancelled by another timer before its time
    advance(0.5)
    assert fired == ["keep"], f"a timer cancelled by another timer still fired: {fired!r}"


def _clock_monotonic(make_pair, max_delay: float) -> None:
    a, b, advance = make_pair(5)
    seen: list[float] = []
    t0 = a.now()
    for i in range(20):
        a.call_later(i * 0.01, lambda: seen.append(a.now()))
    b.on_message(lambda src, msg: seen.append(b.now()))
    a.send(b.address, {"n": 0})
    advance(max_delay)
    assert seen == sorted(seen), "the clock went backwards"
    assert a.now() >= t0 + max_delay - 1e-9, "advance(s) must move the clock by at least s"
    assert abs(a.now() - b.now()) < 1e-6, "the two transports disagree on the time"
    when: list[tuple[float, float]] = []
    start = a.now()
    a.call_later(0.25, lambda: when.append((start + 0.25, a.now())))
    advance(0.5)
    assert when and when[0][1] >= when[0][0] - 1e-9, f"a timer fired early: {when!r}"


def _multicast_membership(make_pair, max_delay: float) -> None:
    a, b, advance = make_pair(6)
    got_a, got_b = _inbox(a), _inbox(b)
    a.multicast("g", {"n": 0})  # nobody in the group yet
    b.join_group("g")
    b.join_group("g")  # idempotent
    a.multicast("g", {"n": 1})  # a is not a member: only b
    advance(max_delay)
    assert [m["n"] for _, _, m in got_b] == [1], f"member b got {got_b!r}"
    assert got_a == [], f"non-member a got {got_a!r}"
    a.join_group("g")
    a.multicast("g", {"n": 2})  # the sender included when a member
    advance(max_delay)
    assert [m["n"] for _, _, m in got_a] == [2], f"a member sender got {got_a!r}"
    assert [m["n"] for _, _, m in got_b] == [1, 2], f"b got {got_b!r}"
    b.leave_group("g")
    a.multicast("g", {"n": 3})
    a.multicast("other", {"n": 4})
    advance(max_delay)
    assert [m["n"] for _, _, m in got_b] == [1, 2], f"b got multicasts after leaving: {got_b!r}"
    assert [(src, m["n"]) for _, src, m in got_a] == [(a.address, 2), (a.address, 3)], f"a got {got_a!r}"


def _randomness(make_pair, max_delay: float) -> None:
    first = make_pair(7)
    again = make_pair(7)
    other = make_pair(8)
    seq = [first.a.random.random() for _ in range(5)]
    assert seq == [again.a.random.random() for _ in range(5)], "the same seed must give the same numbers"
    assert seq != [first.b.random.random() for _ in range(5)], "two nodes must not share a random stream"
    assert seq != [other.a.random.random() for _ in range(5)], "another seed must give other numbers"


def _recorder(make_pair, max_delay: float) -> None:
    a, _, _ = make_pair(9)
    assert isinstance(a.recorder, Recorder), "transport.recorder must be a Recorder"

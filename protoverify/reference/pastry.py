"""Pastry (Rowstron & Druschel, Middleware 2001): prefix routing on a 128-bit ring.

Two layers:

* pure helpers -- id arithmetic, the leaf set, the routing table and the
  next-hop choice -- with no transport, no clock and no randomness, so they
  can be tested against a brute-force oracle;
* :class:`PastryNode`, the protocol node over a
  :class:`~protoverify.reference.transport.Transport`: join through a
  bootstrap node, routing with per-hop acknowledgements (a send time-out
  marks the next hop dead and the message is routed again), keep-alives to
  the leaf set, and repair of the leaf set and of the routing table.

Ids are ints in ``[0, 2**128)``, read as 32 digits of base 16 (b = 4); on
the wire they are 32-character hex strings.  A key belongs to the live node
numerically closest to it on the ring; of two nodes at the same distance
(one on each side) the one with the smaller id wins.

>>> a, b = from_hex("10" + "0" * 30), from_hex("1f" + "0" * 30)
>>> shared_prefix(a, b), digit(b, 1)
(1, 15)
>>> c = from_hex("20" + "0" * 30)
>>> closest(from_hex("18" + "0" * 30), [c, a]) == a  # equidistant: the smaller id
True

The neighbourhood set of the paper (nodes close by network proximity) is
left out: the Transport has no notion of proximity, so the join takes its
first routing-table row from the bootstrap node like every other row.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .transport import TimerHandle, Transport

__all__ = [
    "B",
    "DIGITS",
    "RING",
    "LEAF_SIZE",
    "hash_id",
    "to_hex",
    "from_hex",
    "digit",
    "shared_prefix",
    "cw_distance",
    "ring_distance",
    "closeness",
    "closest",
    "LeafSet",
    "RoutingTable",
    "next_hop",
    "build_state",
    "PastryConfig",
    "PastryApp",
    "PastryNode",
]

B = 4  # bits per digit
BASE = 1 << B
ID_BITS = 128
DIGITS = ID_BITS // B
RING = 1 << ID_BITS
HALF = RING >> 1
LEAF_SIZE = 16


# ---------------------------------------------------------------------------
# Id arithmetic


def hash_id(*parts: str) -> int:
    """A 128-bit id: SHA-256 of the parts (joined by ``|``), truncated.

    >>> to_hex(hash_id("app", "2026-01-01", "alice"))[:8]
    '0bedc1c0'
    >>> hash_id("ab", "c") != hash_id("a", "bc")
    True
    """
    data = "|".join(parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest()[:16], "big")


def to_hex(i: int) -> str:
    """The wire form of an id: 32 lower-case hex digits."""
    return f"{i:032x}"


def from_hex(s: str) -> int:
    """Inverse of :func:`to_hex`."""
    i = int(s, 16)
    if not 0 <= i < RING:
        raise ValueError(f"not a 128-bit id: {s!r}")
    return i


def digit(i: int, r: int) -> int:
    """Digit ``r`` (0 = most significant) of id ``i`` in base 16."""
    return (i >> (B * (DIGITS - 1 - r))) & (BASE - 1)


def shared_prefix(a: int, b: int) -> int:
    """How many leading base-16 digits ``a`` and ``b`` share (32 if equal)."""
    x = a ^ b
    if x == 0:
        return DIGITS
    return (ID_BITS - x.bit_length()) // B


def cw_distance(a: int, b: int) -> int:
    """Clockwise (increasing) distance from ``a`` to ``b`` on the ring."""
    return (b - a) % RING


def ring_distance(a: int, b: int) -> int:
    """Shortest distance between ``a`` and ``b`` on the ring."""
    d = (b - a) % RING
    return d if d <= HALF else RING - d


def closeness(key: int, n: int) -> tuple[int, int]:
    """Sort key: smaller is closer to ``key``; ties go to the smaller id."""
    return (ring_distance(key, n), n)


def closest(key: int, ids: Iterable[int]) -> int:
    """The id in ``ids`` that owns ``key`` (numerically closest, tie-break smaller id)."""
    return min(ids, key=lambda n: closeness(key, n))


# ---------------------------------------------------------------------------
# Leaf set and routing table


class LeafSet:
    """The ``size // 2`` closest ids on each side of ``own`` (ring arithmetic).

    The two sides are kept apart: ``larger`` sorted by clockwise distance,
    ``smaller`` by counter-clockwise distance.  In a ring of at most
    ``size`` other nodes the sides share members (they *overlap*) and the
    leaf set covers the whole ring.

    While a side is being repaired (``hold``), it accepts only candidates
    less than half a ring away on its side: a side that lost a member would
    otherwise take nodes from the far end of the other side and claim to
    cover most of the ring until the repair answer arrives.

    >>> ls = LeafSet(100, size=4)
    >>> for n in (90, 95, 105, 110, 120, 80): _ = ls.add(n)
    >>> ls.larger, ls.smaller
    ([105, 110], [95, 90])
    >>> ls.in_range(108), ls.in_range(115), ls.covers_ring()
    (True, False, False)
    """

    __slots__ = ("own", "half", "larger", "smaller", "hold")

    def __init__(self, own: int, size: int = LEAF_SIZE):
        if size < 2 or size % 2:
            raise ValueError("leaf set size must be even and at least 2")
        self.own = own
        self.half = size // 2
        self.larger: list[int] = []
        self.smaller: list[int] = []
        self.hold: dict[str, bool] = {"larger": False, "smaller": False}

    def members(self) -> list[int]:
        """Each member once, larger side first (a deterministic order)."""
        out = list(self.larger)
        out.extend(n for n in self.smaller if n not in self.larger)
        return out

    def __contains__(self, n: object) -> bool:
        return n in self.larger or n in self.smaller

    def __len__(self) -> int:
        return len(self.members())

    def covers_ring(self) -> bool:
        """True when the leaf set holds every node of a small ring."""
        if not self.larger and not self.smaller:
            return True
        return any(n in self.smaller for n in self.larger)

    def _offer(self, side: list[int], n: int, dist, held: bool) -> tuple[bool, int | None]:
        """Insert ``n`` if it is among the closest; (inserted, evicted id)."""
        if n in side:
            return False, None
        d = dist(n)
        if held and d >= HALF:
            return False, None
        full = len(side) >= self.half
        if full and d >= dist(side[-1]):
            return False, None
        i = 0
        while i < len(side) and dist(side[i]) < d:
            i += 1
        side.insert(i, n)
        return True, (side.pop() if full else None)

    def add(self, n: int) -> bool:
        """Offer ``n`` to both sides; True if the membership changed."""
        if n == self.own:
            return False
        own = self.own
        was = n in self.larger or n in self.smaller
        a, ea = self._offer(self.larger, n, lambda x: cw_distance(own, x), self.hold["larger"])
        b, eb = self._offer(self.smaller, n, lambda x: cw_distance(x, own), self.hold["smaller"])
        if not (a or b):
            return False
        if not was:
            return True
        return any(e is not None and e not in self.larger and e not in self.smaller for e in (ea, eb))

    def remove(self, n: int) -> list[str]:
        """Remove ``n``; the sides it was on (``"larger"``, ``"smaller"``)."""
        sides = []
        if n in self.larger:
            self.larger.remove(n)
            sides.append("larger")
        if n in self.smaller:
            self.smaller.remove(n)
            sides.append("smaller")
        return sides

    def in_range(self, key: int) -> bool:
        """Is ``key`` between the farthest smaller and the farthest larger member?"""
        if key == self.own or self.covers_ring():
            return True
        if self.larger and cw_distance(self.own, key) <= cw_distance(self.own, self.larger[-1]):
            return True
        if self.smaller and cw_distance(key, self.own) <= cw_distance(self.smaller[-1], self.own):
            return True
        return False

    def replica_set(self, key: int, k: int) -> list[int]:
        """The ``k`` ids of leaf set ∪ {own} closest to ``key``, closest first."""
        return sorted([self.own, *self.members()], key=lambda n: closeness(key, n))[:k]


class RoutingTable:
    """Row ``r``, column ``d``: a node sharing ``r`` digits with ``own`` whose digit ``r`` is ``d``.

    >>> rt = RoutingTable(from_hex("a" * 32))
    >>> rt.add(from_hex("b" + "0" * 31)), rt.add(from_hex("b" + "1" * 31))
    (True, False)
    >>> rt.get(0, 0xB) == from_hex("b" + "0" * 31)
    True
    """

    __slots__ = ("own", "cells")

    def __init__(self, own: int):
        self.own = own
        self.cells: dict[tuple[int, int], int] = {}

    def slot(self, n: int) -> tuple[int, int] | None:
        r = shared_prefix(self.own, n)
        if r >= DIGITS:
            return None
        return (r, digit(n, r))

    def add(self, n: int) -> bool:
        """Put ``n`` in its cell if the cell is empty (first come stays)."""
        s = self.slot(n)
        if s is None or s in self.cells:
            return False
        self.cells[s] = n
        return True

    def remove(self, n: int) -> tuple[int, int] | None:
        """Empty ``n``'s cell if ``n`` is in it; the cell, or None."""
        s = self.slot(n)
        if s is not None and self.cells.get(s) == n:
            del self.cells[s]
            return s
        return None

    def get(self, r: int, d: int) -> int | None:
        return self.cells.get((r, d))

    def row(self, r: int) -> list[int]:
        """Row ``r``'s entries in column order."""
        return [self.cells[(r, d)] for d in range(BASE) if (r, d) in self.cells]

    def entries(self) -> list[int]:
        return [self.cells[c] for c in sorted(self.cells)]

    def __contains__(self, n: object) -> bool:
        if not isinstance(n, int):
            return False
        s = self.slot(n)
        return s is not None and self.cells.get(s) == n


def next_hop(own: int, key: int, leaf: LeafSet, table: RoutingTable) -> int:
    """Where ``own`` sends a message for ``key``; ``own`` itself means deliver here.

    1. ``key`` within the leaf set's range: the closest of leaf set ∪ {own};
    2. else the table entry ``R[l][key digit l]``, ``l`` the shared prefix;
    3. else (rare) the known node closest to ``key`` among those sharing at
       least ``l`` digits with it and strictly closer than ``own``.

    >>> ids = [from_hex(h * 32) for h in "1357"]
    >>> states = build_state(ids, leaf_size=2)
    >>> leaf, table = states[ids[0]]
    >>> next_hop(ids[0], from_hex("7" * 31 + "0"), leaf, table) == ids[3]  # R[0][7]
    True
    >>> next_hop(ids[0], from_hex("6" * 32), leaf, table) == ids[2]  # 5555.. and 7777.. tie
    True
    """
    if key == own:
        return own
    if leaf.in_range(key):
        return closest(key, [own, *leaf.members()])
    r = shared_prefix(own, key)
    e = table.get(r, digit(key, r))
    if e is not None:
        return e
    best, best_c = own, closeness(key, own)
    for n in (*leaf.members(), *table.entries()):
        c = closeness(key, n)
        if c < best_c and shared_prefix(n, key) >= r:
            best, best_c = n, c
    return best


def build_state(ids: Iterable[int], leaf_size: int = LEAF_SIZE) -> dict[int, tuple[LeafSet, RoutingTable]]:
    """Perfect leaf sets and routing tables from global knowledge (for tests and oracles).

    Each table cell holds the numerically smallest candidate, so the result
    depends only on the set of ids.
    """
    ring = sorted(set(ids))
    n = len(ring)
    half = leaf_size // 2
    out: dict[int, tuple[LeafSet, RoutingTable]] = {}
    for i, own in enumerate(ring):
        leaf = LeafSet(own, leaf_size)
        for j in range(1, min(half, n - 1) + 1):
            leaf.add(ring[(i + j) % n])
            leaf.add(ring[(i - j) % n])
        out[own] = (leaf, RoutingTable(own))
    # Table: cell (r, d) holds the smallest id whose first r + 1 digits are own's first r then d; the
    # ids with a given prefix form one interval of the sorted ring, found by bisection.
    for own in ring:
        table = out[own][1]
        for r in range(DIGITS):
            shift = B * (DIGITS - 1 - r)
            base = (own >> (shift + B)) << (shift + B)
            lo_all = bisect_left(ring, base)
            hi_all = bisect_left(ring, base + (1 << (shift + B)))
            if hi_all - lo_all <= 1:
                break  # nobody else shares r digits with own
            for d in range(BASE):
                if d == digit(own, r):
                    continue
                i = bisect_left(ring, base + (d << shift), lo_all, hi_all)
                if i < hi_all and (ring[i] >> shift) == (base >> shift) + d:
                    table.cells[(r, d)] = ring[i]
    return out


# ---------------------------------------------------------------------------
# The node


@dataclass(frozen=True)
class PastryConfig:
    """Timing and sizes of a Pastry node (seconds of the transport's clock)."""

    leaf_size: int = LEAF_SIZE
    keepalive: float = 5.0  # period of the leaf-set keep-alives (a leaf heard from within it is not pinged)
    keepalive_misses: int = 2  # unanswered rounds before a leaf is dead
    hop_timeout: float = 0.5  # per-hop acknowledgement time-out
    hop_retries: int = 1  # re-sends before the next hop is declared dead
    join_timeout: float = 5.0
    repair_timeout: float = 2.0
    dead_memory: float = 600.0  # second-hand news of a dead id is ignored this long
    max_hops: int = 48


class PastryApp(Protocol):
    """What a Pastry node calls up into (all optional but ``deliver``)."""

    def deliver(self, key: int, body: dict, hops: int) -> None: ...

    def receive(self, sender: str, body: dict) -> None: ...

    def leafset_changed(self) -> None: ...

    def joined(self) -> None: ...


class _NoApp:
    def __init__(self) -> None:
        self.delivered: list[tuple[int, dict, int]] = []

    def deliver(self, key: int, body: dict, hops: int) -> None:
        self.delivered.append((key, body, hops))

    def receive(self, sender: str, body: dict) -> None:
        pass

    def leafset_changed(self) -> None:
        pass

    def joined(self) -> None:
        pass


class PastryNode:
    """One Pastry node over a :class:`Transport`.

    ``start(bootstraps)`` joins through the first bootstrap address that
    answers (none: the node starts a ring of its own).  ``route(key, body)``
    hands ``body`` to the ``deliver`` upcall of the key's root;
    ``send(address, body)`` is a direct message to another node's ``receive``.

    Wire messages are dicts with ``type`` (``route``, ``ack``, ``join_reply``,
    ``announce``, ``ping``, ``pong``, ``ls_req``, ``ls_rep``, ``row_req``,
    ``row_rep``, ``app``), ``sid`` (the sender's id in hex) and ``j``
    (whether the sender has joined: unjoined senders are not added to
    anybody's state).  Node handles travel as ``[id_hex, address]``.
    """

    def __init__(
        self,
        transport: Transport,
        node_id: int | None = None,
        config: PastryConfig | None = None,
        app: PastryApp | None = None,
    ):
        self.t = transport
        self.address = transport.address
        self.config = config or PastryConfig()
        self.id = node_id if node_id is not None else transport.random.getrandbits(ID_BITS)
        self.hex = to_hex(self.id)
        self.app: Any = app or _NoApp()
        self.leaf = LeafSet(self.id, self.config.leaf_size)
        self.table = RoutingTable(self.id)
        self.addr: dict[int, str] = {}  # known live ids -> addresses
        self.id_at: dict[str, int] = {}  # address -> id we believe is there
        self.dead: dict[int, float] = {}
        self.joined = False
        self.stopped = False
        self._counter = 0
        self._pending: dict[str, list] = {}  # mid -> [dest_id, message, tries, timer]
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._queue: list[tuple[int, dict]] = []  # routes asked for before the join finished
        self._missed: dict[int, int] = {}
        self._last_heard: dict[int, float] = {}
        self._awaiting: set[int] = set()
        self._bootstraps: list[str] = []
        self._join_timer: TimerHandle | None = None
        self._repair_timers: dict[str, TimerHandle] = {}
        self._timers: list[TimerHandle] = []
        self._leaf_version = 0
        self._sent_version: dict[int, int] = {}
        self.stats = {"routed": 0, "delivered": 0, "dropped": 0, "hops": 0}
        transport.on_message(self._on_message)

    # -- public API ----------------------------------------------------------

    def start(self, bootstraps: Iterable[str] = ()) -> None:
        """Join the ring through ``bootstraps`` (tried in turn), or found it."""
        self._bootstraps = [b for b in bootstraps if b != self.address]
        if not self._bootstraps:
            self._become_joined()
        else:
            self._try_join(0)
        jitter = self.t.random.random() * self.config.keepalive
        self._timers.append(self.t.call_later(self.config.keepalive + jitter, self._keepalive))

    def stop(self) -> None:
        """Cancel every timer (the node falls silent, as after a crash)."""
        self.stopped = True
        for h in self._timers:
            h.cancel()
        for p in self._pending.values():
            p[3].cancel()
        if self._join_timer:
            self._join_timer.cancel()
        for h in self._repair_timers.values():
            h.cancel()

    def route(self, key: int, body: dict) -> None:
        """Deliver ``body`` to the root of ``key`` (possibly this node)."""
        if not self.joined:
            self._queue.append((key, body))
            return
        self.stats["routed"] += 1
        self._forward({"type": "route", "key": to_hex(key), "hops": 0, "body": body})

    def send(self, address: str, body: dict) -> None:
        """A direct application message (no acknowledgement at this layer)."""
        self._send(address, {"type": "app", "body": body})

    def is_root(self, key: int) -> bool:
        """Does this node, by its own state, own ``key``?"""
        return self.joined and next_hop(self.id, key, self.leaf, self.table) == self.id

    def replica_set(self, key: int, k: int) -> list[tuple[int, str]]:
        """The ``k`` nodes of leaf set ∪ {self} closest to ``key``, as (id, address)."""
        return [(n, self.address if n == self.id else self.addr[n]) for n in self.leaf.replica_set(key, k)]

    def known(self) -> list[int]:
        return sorted(set(self.leaf.members()) | set(self.table.entries()))

    # -- sending ---------------------------------------------------------------

    def _send(self, address: str, msg: dict) -> None:
        if self.stopped:
            return
        msg["sid"] = self.hex
        msg["j"] = self.joined
        self.t.send(address, msg)

    def _handle(self, n: int) -> list[str]:
        return [f"{n:032x}", self.addr[n]]

    def _handles(self, ids: Iterable[int]) -> list[list[str]]:
        return [self._handle(n) for n in ids if n in self.addr]

    # -- routing ---------------------------------------------------------------

    def _forward(self, msg: dict) -> None:
        key = from_hex(msg["key"])
        body = msg["body"]
        if body.get("_join"):
            body = self._join_hop(body)
        if msg["hops"] > self.config.max_hops:
            self.stats["dropped"] += 1
            return
        nxt = next_hop(self.id, key, self.leaf, self.table)
        if nxt == self.id:
            self.stats["delivered"] += 1
            self.stats["hops"] += msg["hops"]
            if body.get("_join"):
                self._join_root(body)
            else:
                self.app.deliver(key, body, msg["hops"])
            return
        self._counter += 1
        mid = f"{self.hex[:12]}.{self._counter}"
        out = {"type": "route", "key": msg["key"], "hops": msg["hops"] + 1, "body": body, "mid": mid}
        timer = self.t.call_later(self.config.hop_timeout, lambda: self._hop_timeout(mid))
        self._pending[mid] = [nxt, out, 0, timer]
        self._send(self.addr[nxt], dict(out))

    def _hop_timeout(self, mid: str) -> None:
        p = self._pending.get(mid)
        if p is None or self.stopped:
            return
        dest, out, tries, _ = p
        if tries < self.config.hop_retries and dest in self.addr:
            p[2] = tries + 1
            p[3] = self.t.call_later(self.config.hop_timeout, lambda: self._hop_timeout(mid))
            self._send(self.addr[dest], dict(out))
            return
        del self._pending[mid]
        self._declare_dead(dest)
        # Route again from here, with the state repaired as far as we know.
        self._forward({"type": "route", "key": out["key"], "hops": out["hops"] - 1, "body": out["body"]})

    # -- incoming ----------------------------------------------------------------

    def _on_message(self, sender: str, msg: dict) -> None:
        if self.stopped:
            return
        typ = msg.get("type")
        sid = from_hex(msg["sid"]) if "sid" in msg else None
        if sid is not None:
            self._heard(sid, sender, bool(msg.get("j")))
        if typ == "route":
            if not self.joined:
                return  # no ack: the sender will find another way
            self._send(sender, {"type": "ack", "mid": msg["mid"]})
            if msg["mid"] in self._seen:
                return
            self._seen[msg["mid"]] = None
            if len(self._seen) > 4096:
                self._seen.popitem(last=False)
            self._forward(msg)
        elif typ == "ack":
            p = self._pending.pop(msg["mid"], None)
            if p is not None:
                p[3].cancel()
        elif typ == "app":
            if self.joined:
                self.app.receive(sender, msg["body"])
        elif typ == "join_reply":
            self._join_done(msg)
        elif typ == "announce":
            self._send(sender, {"type": "ls_rep", "leaf": self._handles(self.leaf.members()), "side": None})
        elif typ == "ping":
            # The leaf set rides on the pong only when it changed since the last pong to that peer.
            reply: dict = {"type": "pong"}
            if sid is not None and self._sent_version.get(sid) != self._leaf_version:
                self._sent_version[sid] = self._leaf_version
                reply["leaf"] = self._handles(self.leaf.members())
            self._send(sender, reply)
        elif typ == "pong":
            self._merge(msg.get("leaf", ()))
        elif typ == "ls_req":
            self._send(sender, {"type": "ls_rep", "leaf": self._handles(self.leaf.members()), "side": msg.get("side")})
        elif typ == "ls_rep":
            side = msg.get("side")
            if side:
                self.leaf.hold[side] = False
                t = self._repair_timers.pop(side, None)
                if t:
                    t.cancel()
            self._merge(msg["leaf"])
        elif typ == "row_req":
            r = msg["row"]
            self._send(sender, {"type": "row_rep", "row": r, "entries": self._handles(self.table.row(r))})
        elif typ == "row_rep":
            for h, a in msg["entries"]:
                self._learn(from_hex(h), a, second_hand=True)

    def _heard(self, n: int, address: str, joined: bool) -> None:
        """A message came from ``n`` at ``address``: it is alive."""
        old = self.id_at.get(address)
        if old is not None and old != n:
            self._declare_dead(old)  # the machine restarted under a new id
        self._awaiting.discard(n)
        self._missed.pop(n, None)
        self._last_heard[n] = self.t.now()
        if joined and n != self.id:
            self.dead.pop(n, None)
            self._learn(n, address, second_hand=False)

    def _learn(self, n: int, address: str, second_hand: bool) -> None:
        if n == self.id:
            return
        if self.addr.get(n) == address and (n in self.leaf.larger or n in self.leaf.smaller):
            return  # nothing new
        if second_hand and n in self.dead:
            if self.t.now() - self.dead[n] < self.config.dead_memory:
                return
            del self.dead[n]
        if second_hand and self.id_at.get(address) not in (None, n):
            return  # we heard first hand of another id at that address
        self.addr[n] = address
        self.id_at[address] = n
        changed = self.leaf.add(n)
        self.table.add(n)
        if changed:
            self._leaf_changed()

    def _leaf_changed(self) -> None:
        self._leaf_version += 1
        self.app.leafset_changed()

    def _merge(self, handles: Iterable[list[str]]) -> None:
        for h, a in handles:
            self._learn(int(h, 16), a, second_hand=True)

    # -- failures ----------------------------------------------------------------

    def _declare_dead(self, n: int) -> None:
        if n == self.id:
            return
        self.dead[n] = self.t.now()
        address = self.addr.pop(n, None)
        if address is not None and self.id_at.get(address) == n:
            del self.id_at[address]
        self._awaiting.discard(n)
        self._missed.pop(n, None)
        self._last_heard.pop(n, None)
        sides = self.leaf.remove(n)
        cell = self.table.remove(n)
        for side in sides:
            self._repair_leaf(side)
        if cell is not None:
            self._repair_cell(*cell)
        if sides:
            self._leaf_changed()

    def _repair_leaf(self, side: str) -> None:
        """Ask the farthest live leaf on that side (else the other) for its leaf set."""
        members = getattr(self.leaf, side)
        ask = members[-1] if members else None
        if ask is None:
            other = self.leaf.smaller if side == "larger" else self.leaf.larger
            ask = other[-1] if other else None
        if ask is None:
            return
        if not self.leaf.covers_ring() and len(members) < self.leaf.half:
            self.leaf.hold[side] = True
        old = self._repair_timers.pop(side, None)
        if old:
            old.cancel()
        self._repair_timers[side] = self.t.call_later(self.config.repair_timeout, lambda: self._repair_expired(side))
        self._send(self.addr[ask], {"type": "ls_req", "side": side})

    def _repair_expired(self, side: str) -> None:
        self._repair_timers.pop(side, None)
        self.leaf.hold[side] = False

    def _repair_cell(self, r: int, d: int) -> None:
        """Ask other entries of row r, else of row r + 1, for their row r."""
        for row in (r, r + 1):
            others = [n for n in self.table.row(row) if n in self.addr]
            if others:
                for n in others[:2]:
                    self._send(self.addr[n], {"type": "row_req", "row": r})
                return

    def _keepalive(self) -> None:
        if self.stopped:
            return
        if self.joined:
            members = self.leaf.members()
            now = self.t.now()
            for n in members:
                if n in self._awaiting:
                    self._missed[n] = self._missed.get(n, 0) + 1
                    if self._missed[n] >= self.config.keepalive_misses:
                        self._declare_dead(n)
                        continue
                elif now - self._last_heard.get(n, -math.inf) < self.config.keepalive:
                    continue  # heard from it within the period: no need to ask
                if n in self.addr:
                    self._awaiting.add(n)
                    self._send(self.addr[n], {"type": "ping"})
        self._timers = [self.t.call_later(self.config.keepalive, self._keepalive)]

    # -- join --------------------------------------------------------------------

    def _try_join(self, i: int) -> None:
        if self.joined or self.stopped:
            return
        boot = self._bootstraps[i % len(self._bootstraps)]
        body = {"_join": True, "joiner": [self.hex, self.address], "state": []}
        # The bootstrap routes it for us: a route message to our own id, sent to the bootstrap.
        self._counter += 1
        self._send(boot, {"type": "route", "key": self.hex, "hops": 0, "body": body, "mid": f"{self.hex[:12]}.{self._counter}"})
        self._join_timer = self.t.call_later(self.config.join_timeout, lambda: self._try_join(i + 1))

    def _join_hop(self, body: dict) -> dict:
        """On the join path: a copy of ``body`` with ourselves and the rows the joiner can use."""
        x = from_hex(body["joiner"][0])
        if x == self.id:
            return body
        r = shared_prefix(self.id, x)
        ids = [self.id]
        for row in range(r + 1):
            ids.extend(self.table.row(row))
        state = list(body["state"])
        seen = {h for h, _ in state}
        for n in ids:
            h = self.hex if n == self.id else to_hex(n)
            a = self.address if n == self.id else self.addr.get(n)
            if a is not None and h not in seen:
                state.append([h, a])
                seen.add(h)
        return {**body, "state": state}

    def _join_root(self, body: dict) -> None:
        x, address = body["joiner"]
        leaf = [[self.hex, self.address], *self._handles(self.leaf.members())]
        self._send(address, {"type": "join_reply", "state": body["state"], "leaf": leaf})

    def _join_done(self, msg: dict) -> None:
        if self.joined:
            return
        if self._join_timer:
            self._join_timer.cancel()
        self._become_joined()
        for h, a in (*msg["leaf"], *msg["state"]):
            self._learn(from_hex(h), a, second_hand=True)
        for n in self.known():
            self._send(self.addr[n], {"type": "announce"})

    def _become_joined(self) -> None:
        self.joined = True
        self.app.joined()
        queued, self._queue = self._queue, []
        for key, body in queued:
            self.route(key, body)

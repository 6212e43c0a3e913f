"""The interface protocol nodes are written against.

A node never touches a clock, a socket, a random generator or a scheduler
directly: it receives a :class:`Transport` at construction and uses only
what is declared here.  The simulator (``reference/sim``) and, later, real
asyncio sockets both implement it, and both pass the same conformance
battery (``reference/testing.check_transport``).

Messages are plain JSON-able dicts (so the real transport can send them as
JSON); node addresses are strings.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

__all__ = ["Transport", "TimerHandle", "Handler", "Recorder"]

Handler = Callable[[str, dict], None]  # (sender address, message)


class TimerHandle(ABC):
    @abstractmethod
    def cancel(self) -> None:
        """Stop the timer if it has not fired yet; harmless otherwise."""


class Recorder(ABC):
    """Where nodes report the protocol steps that traces record."""

    @abstractmethod
    def event(self, node: str, event: str, **fields: Any) -> None:
        """Record that ``node`` took protocol step ``event`` (see docs/traces.md)."""


class Transport(ABC):
    """What one node may do with the world around it."""

    address: str

    @abstractmethod
    def send(self, dest: str, message: dict) -> None:
        """Send ``message`` to ``dest``; may be lost, delayed or reordered, never duplicated."""

    @abstractmethod
    def join_group(self, group: str) -> None:
        """Receive the messages multicast to ``group`` from now on (a LAN segment, a service type)."""

    @abstractmethod
    def leave_group(self, group: str) -> None:
        """Stop receiving ``group``'s multicasts."""

    @abstractmethod
    def multicast(self, group: str, message: dict) -> None:
        """Send ``message`` to every member of ``group`` (the sender included if a member);
        each copy may be lost or delayed independently, as mDNS packets are."""

    @abstractmethod
    def on_message(self, handler: Handler) -> None:
        """Register the node's handler for incoming messages."""

    @abstractmethod
    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` after ``delay`` seconds of the transport's clock."""

    @abstractmethod
    def now(self) -> float:
        """The transport's clock, in seconds (virtual in the simulator)."""

    @property
    @abstractmethod
    def random(self) -> random.Random:
        """This node's own seeded random generator."""

    @property
    @abstractmethod
    def recorder(self) -> Recorder:
        """Where the node records its protocol steps."""

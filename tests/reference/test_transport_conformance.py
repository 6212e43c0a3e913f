"""The transport conformance battery (``reference.testing.check_transport``) on the simulator's transport."""

from __future__ import annotations

import pytest

from protoverify.reference.sim import Simulator
from protoverify.reference.testing import TransportPair, check_transport
from protoverify.reference.transport import Transport


def sim_pair(**options):
    def make_pair(seed: int) -> TransportPair:
        sim = Simulator(seed, **options)
        sim.add_node("a", lambda t: None)
        sim.add_node("b", lambda t: None)
        return TransportPair(sim.transport("a"), sim.transport("b"), lambda s: sim.run(until=sim.now() + s))
    return make_pair


@pytest.mark.parametrize("options", [{}, {"delay": (0.0, 0.0)}, {"delay": (0.1, 0.9), "check_messages": True}])
def test_simulator_transport_passes_the_battery(options):
    check_transport(sim_pair(**options))


def test_the_battery_catches_a_broken_transport():
    class NoSelfMulticast(Transport):
        """Wraps a good transport but forgets to deliver multicasts to the sender."""

        def __init__(self, inner, sim):
            self.inner, self.address = inner, inner.address
            self.sim = sim

        def send(self, dest, message):
            self.inner.send(dest, message)

        def join_group(self, group):
            self.inner.join_group(group)

        def leave_group(self, group):
            self.inner.leave_group(group)

        def multicast(self, group, message):
            for member in self.sim.members(group):
                if member != self.address:
                    self.inner.send(member, message)

        def on_message(self, handler):
            self.inner.on_message(handler)

        def call_later(self, delay, callback):
            return self.inner.call_later(delay, callback)

        def now(self):
            return self.inner.now()

        @property
        def random(self):
            return self.inner.random

        @property
        def recorder(self):
            return self.inner.recorder

    def make_pair(seed):
        sim = Simulator(seed)
        sim.add_node("a", lambda t: None)
        sim.add_node("b", lambda t: None)
        return TransportPair(NoSelfMulticast(sim.transport("a"), sim), NoSelfMulticast(sim.transport("b"), sim),
                             lambda s: sim.run(until=sim.now() + s))
    with pytest.raises(AssertionError, match="multicast_membership"):
        check_transport(make_pair)

"""The simulator: event order, seeded randomness, loss and delay, crashes, partitions, the fault grammar."""

from __future__ import annotations

import io

import pytest

from protoverify.errors import InputError
from protoverify.reference.faults import parse_faults
from protoverify.reference.sim import Simulator
from protoverify.reference.trace import TraceRecorder


class Node:
    """A tiny node: logs what it receives, can echo, can start a periodic tick."""

    def __init__(self, t):
        self.t = t
        self.got: list[tuple[float, str, dict]] = []
        self.ticks: list[float] = []
        self.crashed = False
        t.on_message(self.on_message)

    def on_message(self, src, msg):
        self.got.append((self.t.now(), src, msg))
        if msg.get("echo"):
            self.t.send(src, {"re": msg["n"]})

    def tick(self, period):
        self.ticks.append(self.t.now())
        self.t.call_later(period, lambda: self.tick(period))

    def on_crash(self):
        self.crashed = True


def world(n=3, seed=1, **kw):
    sim = Simulator(seed, **kw)
    nodes = [sim.add_node(f"n{i}", Node) for i in range(1, n + 1)]
    return sim, nodes


def test_same_time_events_run_in_scheduling_order():
    sim = Simulator(0)
    order = []
    for i in range(50):
        sim.call_at(1.0, lambda i=i: order.append(i))
    sim.run()
    assert order == list(range(50))
    assert sim.now() == 1.0


def test_run_until_stops_and_sets_the_clock():
    sim = Simulator(0)
    fired = []
    sim.call_at(5.0, lambda: fired.append(5))
    assert sim.run(until=2.0) == 2.0 and fired == []
    assert sim.run(until=10.0) == 10.0 and fired == [5]


def test_stop_from_a_callback():
    sim = Simulator(0)
    fired = []
    sim.call_at(1, lambda: (fired.append(1), sim.stop()))
    sim.call_at(2, lambda: fired.append(2))
    sim.run()
    assert fired == [1]
    sim.run()
    assert fired == [1, 2]


def trace_of(seed, loss=0.2):
    sim, nodes = world(4, seed=seed, delay=(0.001, 0.1), loss=loss)
    for k in range(200):
        src = nodes[k % 4]
        src.t.send(f"n{(k * 7) % 4 + 1}", {"n": k, "echo": True})
    sim.run()
    return [(n.t.address, [(round(t, 9), s, m) for t, s, m in n.got]) for n in nodes], dict(sim.stats)


def test_same_seed_same_run_other_seed_other_run():
    assert trace_of(3) == trace_of(3)
    assert trace_of(3) != trace_of(4)


def test_loss_rate_is_about_what_was_asked():
    sim, (a, b) = world(2, seed=9, loss=0.3)
    for k in range(4000):
        a.t.send("n2", {"n": k})
    sim.run()
    assert 0.27 < 1 - len(b.got) / 4000 < 0.33
    assert sim.stats["lost"] + sim.stats["delivered"] == sim.stats["sent"] == 4000


def test_delays_stay_in_range_and_reorder():
    sim, (a, b) = world(2, seed=2, delay=(0.5, 1.5))
    for k in range(300):
        a.t.send("n2", {"n": k})
    sim.run()
    assert all(0.5 <= t <= 1.5 for t, _, _ in b.got)
    received = [m["n"] for _, _, m in b.got]
    assert sorted(received) == list(range(300)) and received != list(range(300))


def test_per_link_override():
    sim, (a, b, c) = world(3, seed=2, delay=(0.01, 0.01))
    sim.set_link("n1", "n2", loss=0.999999, symmetric=False)
    sim.set_link("n1", "n3", delay=(2.0, 2.0))
    a.t.send("n2", {"n": 1})
    b.t.send("n1", {"n": 2})
    a.t.send("n3", {"n": 3})
    sim.run()
    assert b.got == []
    assert [(t, m["n"]) for t, _, m in a.got] == [(0.01, 2)]
    assert [(t, m["n"]) for t, _, m in c.got] == [(2.0, 3)]


def test_send_to_unknown_address_is_lost_silently():
    sim, (a,) = world(1)
    a.t.send("nowhere", {"n": 1})
    sim.run()
    assert sim.stats["lost"] == 1


def test_crash_stops_a_node_and_reboot_gives_a_fresh_one():
    sim, (a, b) = world(2, delay=(1.0, 1.0))
    a.tick(1.0)
    b.t.join_group("g")
    a.t.send("n2", {"n": 1})  # in flight when n2 crashes
    sim.run(until=0.5)
    sim.crash("n2", recover_after=10)
    assert b.crashed and sim.node("n2") is None and not sim.is_up("n2")
    assert sim.members("g") == []
    b.t.send("n1", {"n": 2})  # a dead transport does nothing
    b.t.call_later(0.1, lambda: b.ticks.append(-1))
    sim.crash("n2")  # already down: no-op
    sim.run(until=5)
    assert b.got == [] and a.got == [] and b.ticks == []
    sim.crash("n1")
    assert a.ticks == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    sim.run(until=20)
    assert a.ticks[-1] == 5.0  # the crashed node's timers were dropped
    fresh = sim.node("n2")
    assert fresh is not b and fresh.got == [] and sim.is_up("n2")
    assert sim.stats["crashes"] == 2 and sim.stats["recoveries"] == 1


def test_reboot_stream_is_deterministic_and_differs_from_first_boot():
    def draws():
        sim, (a,) = world(1, seed=5)
        first = a.t.random.random()
        sim.crash("n1")
        again = sim.recover("n1").t.random.random()
        return first, again
    assert draws() == draws()
    assert draws()[0] != draws()[1]


def test_multicast_per_copy_loss_and_membership():
    sim, nodes = world(5, seed=4, loss=0.5)
    for n in nodes[1:]:
        n.t.join_group("g")
    for k in range(200):
        nodes[0].t.multicast("g", {"n": k})
    sim.run()
    counts = [len(n.got) for n in nodes[1:]]
    assert all(70 < c < 130 for c in counts) and len(set(counts)) > 1  # independent losses per copy
    assert nodes[0].got == []


def test_partition_drops_across_groups_then_heals():
    sim, (a, b, c, d) = world(4, delay=(0.01, 0.01))
    sim.partition([["n1", "n2"], ["n3"]], start=10, end=20)  # n4: in the rest group
    for t in (5, 15, 25):
        sim.call_at(t, lambda: [x.t.send(y, {"at": sim.now()}) for x in (a, c, d) for y in ("n1", "n2", "n3", "n4")])
    sim.run()
    def senders(node, at):
        return sorted(src for _, src, m in node.got if m["at"] == at)
    assert senders(b, 5) == ["n1", "n3", "n4"] and senders(b, 25) == ["n1", "n3", "n4"]
    assert senders(b, 15) == ["n1"] and senders(c, 15) == ["n3"] and senders(d, 15) == ["n4"]
    assert sim.connected("n1", "n3")


def test_check_messages_rejects_what_json_would_change():
    sim, (a, b) = world(2, check_messages=True)
    with pytest.raises(TypeError):
        a.t.send("n2", {"s": {1, 2}})
    with pytest.raises(TypeError):
        a.t.send("n2", {"t": (1, 2)})
    with pytest.raises(TypeError):
        a.t.multicast("g", {1: "x"})
    a.t.send("n2", {"ok": [1, {"x": None}]})
    sim.run()
    assert b.got[0][2] == {"ok": [1, {"x": None}]}


def test_apply_faults_schedules_crashes_deterministically():
    def plan(seed):
        sim, _ = world(50, seed=seed)
        return sim.apply_faults("crash:0.3:for:5", horizon=100)
    assert plan(1) == plan(1) != plan(2)
    assert 5 <= len(plan(1)) <= 25 and all(0 <= t < 100 for t, _ in plan(1))


def test_crash_on_role_asks_the_role_at_crash_time():
    sim, nodes = world(6)
    roles = {"n1": "coordinator", "n2": "coordinator"}
    planned = sim.apply_faults("crash:1:on:coordinator", horizon=10, role_of=roles.get)
    assert len(planned) == 6
    sim.run(until=20)
    assert [sim.is_up(f"n{i}") for i in range(1, 7)] == [False, False, True, True, True, True]
    with pytest.raises(InputError, match="roles"):
        world(2)[0].apply_faults("crash:1:on:coordinator", horizon=10)


def test_apply_faults_sets_loss_and_delay_and_checks_partition_names():
    sim, (a, b) = world(2)
    sim.apply_faults("loss:0.5; delay:0.2-0.2", horizon=10)
    for k in range(100):
        a.t.send("n2", {"n": k})
    sim.run()
    assert 30 < len(b.got) < 70 and {t for t, _, _ in b.got} == {0.2}
    with pytest.raises(InputError, match="unknown node `n9`"):
        sim.apply_faults("partition:1-2:n1|n9", horizon=10)


@pytest.mark.parametrize("text, canonical", [
    ("", ""),
    ("crash:0.1", "crash:0.1"),
    ("crash:20%:for:60", "crash:0.2:for:60"),
    ("crash:0.5:on:coordinator:for:30", "crash:0.5:for:30:on:coordinator"),
    (" loss : 0.05 ; delay:0.001-0.05 ", "loss:0.05; delay:0.001-0.05"),
    ("delay:0.3", "delay:0.3-0.3"),
    ("partition:10-20:n1,n2|n3,n4,loss:0.1", "loss:0.1; partition:10-20:n1,n2|n3,n4"),
    ("crash:0.1,crash:0.2:for:5;;", "crash:0.1; crash:0.2:for:5"),
])
def test_fault_grammar_accepts(text, canonical):
    assert str(parse_faults(text)) == canonical
    assert str(parse_faults(str(parse_faults(text)))) == canonical


@pytest.mark.parametrize("text, phrase", [
    ("crsh:0.1", "did you mean `crash`"),
    ("crash", "expected a probability"),
    ("crash:x", "must be a number"),
    ("crash:1.5", "between 0 and 1"),
    ("crash:0.1:for", "needs a value"),
    ("crash:0.1:for:-3", "must be positive"),
    ("crash:0.1:until:3", "expected `for` or `on`"),
    ("loss:1", "below 1"),
    ("loss:0.1;loss:0.2", "given twice"),
    ("loss:nan", "finite"),
    ("delay:0.5-0.1", "MIN <= MAX"),
    ("delay:a-b", "must be a number"),
    ("partition:10-20", "time window and groups"),
    ("partition:20-10:n1|n2", "T1 <= T2"),
    ("partition:10-10:n1|n2", "end after it starts"),
    ("partition:10:n1|n2", "time window T1-T2"),
    ("partition:10-20:n1,n2", "at least two groups"),
    ("partition:10-20:n1|n1", "in two groups"),
    ("partition:10-20:n1,|n2", "empty node name"),
])
def test_fault_grammar_rejects_with_a_hint(text, phrase):
    with pytest.raises(InputError) as err:
        parse_faults(text)
    message = str(err.value)
    assert phrase in message and "[PV501]" in message and "hint:" in message


def test_trace_recorder_lines_are_stamped_with_the_virtual_clock():
    out = io.StringIO()
    rec = TraceRecorder(out)
    sim = Simulator(3, recorder=rec)
    rec.start(protocol="demo", seed=3, params={"N": 1}, faults="", clock=sim.now)
    sim.add_node("n1", lambda t: t.call_later(1.5, lambda: t.recorder.event("n1", "tick", k=1)))
    sim.run()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith('{"trace": "protoverify/1", "protocol": "demo", "seed": 3, "params": {"N": 1}, '
                               '"faults": "", "implementation": "protoverify ')
    assert lines[1] == '{"seq": 1, "time": 1.5, "node": "n1", "event": "tick", "k": 1}'

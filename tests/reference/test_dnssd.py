"""DNS-SD semantics over the simulator's multicast: publish, browse, update, remove, resolve, with loss."""

from __future__ import annotations

import pytest

from protoverify.reference.dnssd import DnsSd, DnsSdConfig
from protoverify.reference.sim import Simulator

CFG = DnsSdConfig(ttl=30.0)


class Host:
    def __init__(self, t, config=CFG):
        self.t = t
        self.sd = DnsSd(t, config)
        self.events = []
        t.on_message(self.sd.handle)

    def browse(self, type_, subtype=None):
        return self.sd.browse(type_, lambda e: self.events.append((self.t.now(), e.kind, e.service.name,
                                                                     dict(e.service.txt), e.reason)),
                              subtype=subtype)

    def kinds(self, name=None):
        return [k for _, k, n, _, _ in self.events if name is None or n == name]


def lan(n, seed=1, **kw):
    sim = Simulator(seed, check_messages=True, **kw)
    return sim, [sim.add_node(f"h{i}", Host) for i in range(1, n + 1)]


def test_browse_then_publish_update_unpublish():
    sim, (pub, sub) = lan(2)
    sub.browse("_bg-idle._tcp")
    sim.run(until=1)
    pub.sd.publish("_bg-idle._tcp", "h1", {"ram": "2048"})
    sim.run(until=5)
    pub.sd.publish("_bg-idle._tcp", "h1", {"ram": "4096"})
    sim.run(until=10)
    pub.sd.unpublish("_bg-idle._tcp", "h1")
    sim.run(until=11)
    assert [(k, txt, why) for _, k, _, txt, why in sub.events] == [
        ("added", {"ram": "2048"}, ""), ("updated", {"ram": "4096"}, ""), ("removed", {"ram": "4096"}, "goodbye")]
    assert sub.events[-1][0] < 10.1  # a goodbye acts at once


def test_browse_started_late_finds_services_by_query():
    sim, hosts = lan(6)
    for h in hosts[:5]:
        h.sd.publish("_bg-idle._tcp", h.t.address, {"host": h.t.address})
    sim.run(until=100)  # long after the initial announcements
    late = hosts[5]
    browser = late.browse("_bg-idle._tcp")
    sim.run(until=100.5)  # answers come within answer_delay, well before the next refresh
    assert sorted(s.name for s in browser.services()) == ["h1", "h2", "h3", "h4", "h5"]
    assert all(s.host == s.name for s in browser.services())


def test_only_browsers_receive_announcements():
    sim, hosts = lan(4)
    hosts[0].sd.publish("_bg-coord._tcp", "app-1@h1", {"status": "running"}, subtypes=("_app-1",))
    hosts[1].browse("_bg-coord._tcp", subtype="_app-1")
    hosts[2].browse("_bg-coord._tcp", subtype="_app-2")
    sim.run(until=60)
    assert hosts[1].kinds() == ["added"] and hosts[2].events == [] and hosts[3].events == []
    assert sim.members("mdns:_app-1._sub._bg-coord._tcp") == ["h2"]
    assert sim.members("mdns?_app-1._sub._bg-coord._tcp") == ["h1"]


def test_crashed_publisher_expires_after_its_ttl():
    sim, (pub, sub) = lan(2)
    pub.sd.publish("_bg-coord._tcp", "c", {"status": "running"}, ttl=15.0)
    sub.browse("_bg-coord._tcp")
    sim.run(until=50)
    sim.crash("h1")
    sim.run(until=200)
    (t_removed, kind, _, txt, why), = [e for e in sub.events if e[1] == "removed"]
    assert why == "expired" and txt == {"status": "running"}
    assert 50 < t_removed <= 50 + 15.0 + 0.1


def test_cancelled_browse_stops_events_and_leaves_the_group():
    sim, (pub, sub) = lan(2)
    pub.sd.publish("_x._tcp", "a", {})
    browser = sub.browse("_x._tcp")
    sim.run(until=2)
    browser.cancel()
    pub.sd.publish("_x._tcp", "a", {"v": "2"})
    sim.run(until=100)
    assert sub.kinds() == ["added"] and sim.members("mdns:_x._tcp") == []


def test_subtype_change_is_seen_as_removal_by_the_old_subtype():
    sim, (pub, a, b) = lan(3)
    pub.sd.publish("_bg-coord._tcp", "c", {}, subtypes=("_app-1",))
    a.browse("_bg-coord._tcp", subtype="_app-1")
    b.browse("_bg-coord._tcp", subtype="_app-2")
    sim.run(until=5)
    pub.sd.publish("_bg-coord._tcp", "c", {}, subtypes=("_app-2",))
    sim.run(until=10)
    assert a.kinds() == ["added", "removed"] and b.kinds() == ["added"]


def test_resolve_from_cache_by_query_and_timeout():
    sim, (pub, asker, other) = lan(3)
    pub.sd.publish("_bg-idle._tcp", "h1", {"cpu_mhz": "3000"})
    other.browse("_bg-idle._tcp")
    sim.run(until=50)
    got = []
    asker.sd.resolve("_bg-idle._tcp", "h1", got.append)           # not browsing: asks the network
    other.sd.resolve("_bg-idle._tcp", "h1", got.append)           # browsing: answers from its cache
    asker.sd.resolve("_bg-idle._tcp", "nope", got.append, timeout=2.0)
    sim.run(until=60)
    assert [(i.name, i.host, i.txt) for i in got[:2]] == [("h1", "h1", {"cpu_mhz": "3000"})] * 2
    assert got[2] is None and len(got) == 3


def test_resolve_retries_through_loss():
    resolved = 0
    for seed in range(20):
        sim, (pub, asker) = lan(2, seed=seed, loss=0.3)
        pub.sd.publish("_x._tcp", "a", {})
        sim.run(until=50)
        got = []
        asker.sd.resolve("_x._tcp", "a", got.append, timeout=3.0)
        sim.run(until=60)
        assert len(got) == 1
        resolved += got[0] is not None
    assert resolved >= 13  # three tries, each through two lossy copies: 1 - (1 - 0.7**2)**3 = 87% expected


@pytest.mark.parametrize("seed", range(3))
def test_with_loss_browsers_converge_and_goodbyes_lost_still_expire(seed):
    sim, hosts = lan(12, seed=seed, loss=0.3)
    browsers = [h.browse("_bg-idle._tcp") for h in hosts[8:]]
    for h in hosts[:8]:
        h.sd.publish("_bg-idle._tcp", h.t.address, {"n": h.t.address})
    sim.run(until=10)
    for b in browsers:  # query on browse, two announcements, refreshes: all known early
        assert [s.name for s in b.services()] == [f"h{i}" for i in range(1, 9)]
    for h in hosts[:4]:
        h.sd.unpublish("_bg-idle._tcp", h.t.address)
    sim.run(until=10 + 30 + 0.01)  # a lost goodbye: the record expires within one TTL
    for b in browsers:
        assert not {s.name for s in b.services()} & {"h1", "h2", "h3", "h4"}
    present = 0
    for k in range(100):  # the live records stay known (spurious expiries are rare and soon repaired)
        sim.run(until=40 + 5 * k)
        present += sum(len(b.services()) for b in browsers)
    assert present >= 0.98 * 100 * 4 * 4
    spurious = sum(1 for h in hosts[8:] for _, k, n, _, why in h.events if k == "removed" and n >= "h5")
    windows = 4 * 4 * (540 / 30)  # browser x record x TTL windows
    assert spurious / windows < 0.03  # about 0.3**3 * (1 - 0.7**2)**2 = 0.7% expected


def test_unpublish_unknown_and_republish_after_unpublish():
    sim, (pub, sub) = lan(2)
    pub.sd.unpublish("_x._tcp", "ghost")
    sub.browse("_x._tcp")
    pub.sd.publish("_x._tcp", "a", {"v": "1"})
    sim.run(until=5)
    pub.sd.unpublish("_x._tcp", "a")
    sim.run(until=6)
    pub.sd.publish("_x._tcp", "a", {"v": "2"})
    sim.run(until=200)
    assert sub.kinds() == ["added", "removed", "added"]
    assert pub.sd.published("_x._tcp", "a") == {"v": "2"}

"""DNS-SD service discovery over a transport's multicast, in the manner of mDNS.

The toolbox of Bonjour / Avahi: :meth:`DnsSd.publish` a named service of a
type with a TXT record, :meth:`DnsSd.unpublish` it, :meth:`DnsSd.browse` a type
(subscribers get ``added`` / ``updated`` / ``removed`` events), and
:meth:`DnsSd.resolve` one name to its host and TXT record.

How it behaves on a lossy segment (after RFC 6762/6763, simplified):

* Announcements are multicast to the group of the service type (and of each
  subtype), so only the nodes browsing that type receive them.  A new or
  changed record is announced twice, one second apart, then re-announced
  every ``ttl * refresh`` seconds (a quarter of its TTL by default).
* A browser caches each record for its TTL from the last announcement it
  heard.  When a record reaches 85% and 93% of its TTL unrefreshed, the
  browser asks its host directly (cache maintenance); a record not heard of
  for its whole TTL is ``removed`` with reason ``expired`` (this is how a
  crashed publisher disappears).  With loss p, a live record expires
  spuriously with probability about p^3 (1 - (1-p)^2)^2 per TTL.  ``unpublish``
  multicasts a goodbye (TTL 0): ``removed`` with reason ``goodbye`` at once.
* Query on browse: starting a browse multicasts a query to the type's
  publishers, who answer by unicast after a small random delay; if nothing
  is known one second later the query is sent again.
* Browse events carry the full :class:`ServiceInfo` (host and TXT), since
  mDNS announcements carry the SRV and TXT records together; ``resolve`` is
  for a name one does not browse.

The layer does not own the transport's message handler: the node passes every
message to :meth:`DnsSd.handle`, which consumes those whose ``t`` starts with
``mdns.`` and returns whether it did.

>>> from protoverify.reference.sim import Simulator
>>> sim = Simulator(seed=1)
>>> def node(t):
...     sd = DnsSd(t)
...     t.on_message(sd.handle)
...     return sd
>>> printer, laptop = sim.add_node("printer", node), sim.add_node("laptop", node)
>>> printer.publish("_ipp._tcp", "office", {"color": "yes"})
>>> seen = []
>>> browser = laptop.browse("_ipp._tcp", lambda e: seen.append((e.kind, e.service.name, e.service.txt)))
>>> _ = sim.run(until=5)
>>> seen
[('added', 'office', {'color': 'yes'})]
>>> printer.publish("_ipp._tcp", "office", {"color": "no"})
>>> printer.unpublish("_ipp._tcp", "office")
>>> _ = sim.run(until=10)
>>> [kind for kind, _, _ in seen]
['added', 'updated', 'removed']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .transport import TimerHandle, Transport

__all__ = ["DnsSd", "DnsSdConfig", "ServiceInfo", "BrowseEvent", "Browser"]


@dataclass(frozen=True)
class ServiceInfo:
    """A resolved service instance: its type, instance name, the publishing node and its TXT record."""

    type: str
    name: str
    host: str
    txt: dict = field(default_factory=dict)
    subtypes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrowseEvent:
    """``kind`` is ``added``, ``updated`` (TXT or host changed) or ``removed``; ``reason`` says why a
    service was removed: ``goodbye`` (unpublished) or ``expired`` (not heard of for its TTL)."""

    kind: str
    service: ServiceInfo
    reason: str = ""


@dataclass(frozen=True)
class DnsSdConfig:
    ttl: float = 120.0                          # default TTL of published records, seconds
    refresh: float = 1 / 4                      # re-announce every ttl * refresh (jittered by +-10%)
    repeat: float = 1.0                         # a new or changed record is announced again after this
    answer_delay: tuple[float, float] = (0.02, 0.12)  # responders wait this long before answering a query
    requery: float = 1.0                        # query again after this if a browse found nothing yet
    resolve_timeout: float = 3.0                # resolve gives up (callback(None)) after this


_MAINTENANCE = (0.85, 0.93)  # fractions of a record's TTL at which a browser asks its host directly


def _group(prefix: str, type_: str, sub: str | None) -> str:
    return f"{prefix}{sub}._sub.{type_}" if sub else f"{prefix}{type_}"


class _Record:
    __slots__ = ("type", "name", "txt", "subs", "ttl", "version")

    def __init__(self, type_: str, name: str, txt: dict, subs: tuple[str, ...], ttl: float):
        self.type, self.name, self.txt, self.subs, self.ttl = type_, name, txt, subs, ttl
        self.version = 0


class _Entry:
    __slots__ = ("info", "ttl", "expires", "timer", "asked")

    def __init__(self, info: ServiceInfo, ttl: float, now: float):
        self.info = info
        self.ttl = ttl
        self.expires = now + ttl
        self.timer: TimerHandle | None = None
        self.asked = 0  # maintenance queries sent since the record was last heard


class Browser:
    """A running browse of one service type (optionally one subtype); cancel it to stop."""

    def __init__(self, sd: DnsSd, type_: str, sub: str | None, listener: Callable[[BrowseEvent], None]):
        self._sd = sd
        self.type = type_
        self.subtype = sub
        self._listener = listener
        self._cache: dict[str, _Entry] = {}
        self.active = True

    def services(self) -> list[ServiceInfo]:
        """The services currently known, sorted by name."""
        return [self._cache[name].info for name in sorted(self._cache)]

    def get(self, name: str) -> ServiceInfo | None:
        entry = self._cache.get(name)
        return entry.info if entry is not None else None

    def cancel(self) -> None:
        if self.active:
            self.active = False
            for entry in self._cache.values():
                if entry.timer is not None:
                    entry.timer.cancel()
            self._cache.clear()
            self._sd._drop_browser(self)

    # -- fed by DnsSd.handle ---------------------------------------------------------

    def _heard(self, name: str, host: str, txt: dict, subs: tuple[str, ...], ttl: float) -> None:
        entry = self._cache.get(name)
        now = self._sd.transport.now()
        if ttl <= 0:
            if entry is not None:
                self._remove(entry, "goodbye")
            return
        if entry is None:
            entry = _Entry(ServiceInfo(self.type, name, host, txt, subs), ttl, now)
            self._cache[name] = entry
            self._arm(entry)
            self._listener(BrowseEvent("added", entry.info))
            return
        if now + ttl >= entry.expires:
            entry.ttl, entry.expires, entry.asked = ttl, now + ttl, 0
        old = entry.info
        if old.txt != txt or old.host != host or old.subtypes != subs:
            entry.info = ServiceInfo(self.type, name, host, txt, subs)
            self._listener(BrowseEvent("updated", entry.info))

    def _arm(self, entry: _Entry) -> None:
        """Wake up at the next maintenance point: 85% and 93% of the TTL (ask the host), then 100%."""
        t = self._sd.transport
        marks = _MAINTENANCE[entry.asked:] + (1.0,)
        when = entry.expires - entry.ttl * (1.0 - marks[0])
        entry.timer = t.call_later(max(0.0, when - t.now()), lambda: self._check(entry))

    def _check(self, entry: _Entry) -> None:
        if not self.active or self._cache.get(entry.info.name) is not entry:
            return
        now = self._sd.transport.now()
        if now + 1e-9 >= entry.expires:
            self._remove(entry, "expired")
            return
        due = entry.asked < len(_MAINTENANCE) and now + 1e-9 >= entry.expires - entry.ttl * (
            1.0 - _MAINTENANCE[entry.asked])
        if due:
            entry.asked += 1
            self._sd._ask(entry.info.host, self.type, entry.info.name)
        self._arm(entry)

    def _remove(self, entry: _Entry, reason: str) -> None:
        del self._cache[entry.info.name]
        if entry.timer is not None:
            entry.timer.cancel()
        self._listener(BrowseEvent("removed", entry.info, reason))


class DnsSd:
    """The discovery layer of one node."""

    def __init__(self, transport: Transport, config: DnsSdConfig | None = None):
        self.transport = transport
        self.config = config or DnsSdConfig()
        self._records: dict[str, dict[str, _Record]] = {}       # type -> name -> record
        self._browsers: dict[tuple[str, str | None], list[Browser]] = {}
        self._joined: dict[str, int] = {}                        # group -> reference count
        self._resolving: dict[tuple[str, str], list[Callable[[ServiceInfo | None], None]]] = {}

    # -- publishing ------------------------------------------------------------------

    def publish(self, type_: str, name: str, txt: dict, *, subtypes: tuple[str, ...] = (),
                ttl: float | None = None) -> None:
        """Publish (or update) service ``name`` of ``type_`` with TXT record ``txt`` (str -> str)."""
        by_name = self._records.setdefault(type_, {})
        record = by_name.get(name)
        subs = tuple(subtypes)
        if record is None:
            record = _Record(type_, name, dict(txt), subs, ttl if ttl is not None else self.config.ttl)
            by_name[name] = record
            for group in self._query_groups(record):
                self._join(group)
            self._schedule_refresh(record)
        else:
            old_groups = self._query_groups(record)
            if subs != record.subs:
                self._announce(record, goodbye=True, only_subs=tuple(s for s in record.subs if s not in subs))
            record.txt, record.subs = dict(txt), subs
            if ttl is not None:
                record.ttl = ttl
            new_groups = self._query_groups(record)
            for group in new_groups:
                if group not in old_groups:
                    self._join(group)
            for group in old_groups:
                if group not in new_groups:
                    self._leave(group)
        record.version += 1
        self._announce(record)
        version = record.version
        self.transport.call_later(self.config.repeat, lambda: self._repeat(record, version))

    def unpublish(self, type_: str, name: str) -> None:
        """Withdraw a published service: a goodbye is multicast; unknown names are ignored."""
        record = self._records.get(type_, {}).pop(name, None)
        if record is None:
            return
        record.version = -1
        self._announce(record, goodbye=True)
        for group in self._query_groups(record):
            self._leave(group)

    def published(self, type_: str, name: str) -> dict | None:
        """The TXT record of one of our own services, or None if it is not published."""
        record = self._records.get(type_, {}).get(name)
        return dict(record.txt) if record is not None else None

    # -- browsing and resolving --------------------------------------------------------

    def browse(self, type_: str, listener: Callable[[BrowseEvent], None], *,
               subtype: str | None = None) -> Browser:
        """Follow the services of ``type_`` (only those with ``subtype``, if given)."""
        browser = Browser(self, type_, subtype, listener)
        self._browsers.setdefault((type_, subtype), []).append(browser)
        self._join(_group("mdns:", type_, subtype))
        self._query(type_, subtype, None)
        self.transport.call_later(self.config.requery,
                                  lambda: browser.active and not browser._cache and self._query(type_, subtype, None))
        return browser

    def resolve(self, type_: str, name: str, callback: Callable[[ServiceInfo | None], None], *,
                timeout: float | None = None) -> None:
        """Find ``name`` of ``type_``: ``callback(info)`` once known, ``callback(None)`` after ``timeout``."""
        for (btype, _), browsers in self._browsers.items():
            if btype != type_:
                continue
            for browser in browsers:
                info = browser.get(name)
                if info is not None:
                    self.transport.call_later(0, lambda: callback(info))
                    return
        key = (type_, name)
        waiting = self._resolving.setdefault(key, [])
        waiting.append(callback)
        if len(waiting) > 1:
            return
        limit = self.config.resolve_timeout if timeout is None else timeout
        t0 = self.transport.now()

        def ask() -> None:
            if key not in self._resolving:
                return
            if self.transport.now() - t0 >= limit - 1e-9:
                for cb in self._resolving.pop(key):
                    cb(None)
                return
            self._query(type_, None, name)
            self.transport.call_later(min(1.0, limit - (self.transport.now() - t0)), ask)
        ask()

    # -- the wire ----------------------------------------------------------------------

    def handle(self, sender: str, message: dict) -> bool:
        """Process a discovery message; returns False (and does nothing) for any other message."""
        kind = message.get("t")
        if kind == "mdns.ann":
            self._on_announcement(message)
            return True
        if kind == "mdns.q":
            self._on_query(sender, message)
            return True
        return False

    def _on_announcement(self, m: dict) -> None:
        type_, name, ttl, host, txt = m["type"], m["name"], m["ttl"], m["host"], m["txt"]
        subs = tuple(m["subs"]) if m.get("subs") else ()
        browsers = self._browsers
        for sub in (None, *subs):
            found = browsers.get((type_, sub))
            if not found:
                continue
            for browser in tuple(found):  # a listener may cancel a browser meanwhile
                if browser.active:
                    browser._heard(name, host, txt, subs, ttl)
        if ttl > 0 and self._resolving:
            waiting = self._resolving.pop((type_, name), None)
            for cb in waiting or ():
                cb(ServiceInfo(type_, name, host, txt, subs))

    def _on_query(self, sender: str, m: dict) -> None:
        by_name = self._records.get(m["type"])
        if not by_name:
            return
        sub, name = m.get("sub"), m.get("name")
        lo, hi = self.config.answer_delay
        rng = self.transport.random
        for record in list(by_name.values()):
            if (name is None or record.name == name) and (sub is None or sub in record.subs):
                version = record.version
                self.transport.call_later(lo + (hi - lo) * rng.random(),
                                          lambda r=record, v=version: self._answer(sender, r, v))

    def _answer(self, dest: str, record: _Record, version: int) -> None:
        if record.version == version:
            self.transport.send(dest, self._message(record, record.ttl))

    def _message(self, record: _Record, ttl: float) -> dict:
        return {"t": "mdns.ann", "type": record.type, "name": record.name, "host": self.transport.address,
                "txt": dict(record.txt), "subs": list(record.subs), "ttl": ttl}

    def _announce(self, record: _Record, *, goodbye: bool = False, only_subs: tuple[str, ...] | None = None) -> None:
        message = self._message(record, 0 if goodbye else record.ttl)
        if only_subs is None:
            self.transport.multicast(_group("mdns:", record.type, None), message)
            subs = record.subs
        else:
            subs = only_subs
        for sub in subs:
            self.transport.multicast(_group("mdns:", record.type, sub), message)

    def _repeat(self, record: _Record, version: int) -> None:
        if record.version == version:
            self._announce(record)

    def _schedule_refresh(self, record: _Record) -> None:
        period = record.ttl * self.config.refresh * (0.9 + 0.2 * self.transport.random.random())

        def refresh() -> None:
            if record.version < 0:
                return  # unpublished
            self._announce(record)
            self._schedule_refresh(record)
        self.transport.call_later(period, refresh)

    def _query(self, type_: str, sub: str | None, name: str | None) -> bool:
        self.transport.multicast(_group("mdns?", type_, sub), {"t": "mdns.q", "type": type_, "sub": sub, "name": name})
        return True

    def _ask(self, host: str, type_: str, name: str) -> None:
        """Cache maintenance: ask the host of a record about to expire whether it still has it."""
        self.transport.send(host, {"t": "mdns.q", "type": type_, "sub": None, "name": name})

    def _query_groups(self, record: _Record) -> list[str]:
        return [_group("mdns?", record.type, None)] + [_group("mdns?", record.type, s) for s in record.subs]

    def _join(self, group: str) -> None:
        n = self._joined.get(group, 0)
        self._joined[group] = n + 1
        if n == 0:
            self.transport.join_group(group)

    def _leave(self, group: str) -> None:
        n = self._joined.get(group, 0)
        if n <= 1:
            self._joined.pop(group, None)
            if n == 1:
                self.transport.leave_group(group)
        else:
            self._joined[group] = n - 1

    def _drop_browser(self, browser: Browser) -> None:
        key = (browser.type, browser.subtype)
        browsers = self._browsers.get(key, [])
        if browser in browsers:
            browsers.remove(browser)
            if not browsers:
                del self._browsers[key]
            self._leave(_group("mdns:", browser.type, browser.subtype))

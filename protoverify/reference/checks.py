"""Safety checks on recorded BonjourGrid traces (PROTOCOLS.md section 1.6), event by event.

Independent of the implementation: it reads only the events of
``docs/traces.md`` and follows each machine's state from them.  Crashes of
idle machines, workers and replicas are not protocol steps and leave no
event; a machine that reappears with ``idle_published`` is taken to have
rebooted.

>>> events = [
...     {"seq": 1, "node": "n1", "event": "idle_published"},
...     {"seq": 2, "node": "n2", "event": "idle_published"},
...     {"seq": 3, "node": "n1", "event": "coordinator_started", "app": 1},
...     {"seq": 4, "node": "n2", "event": "worker_reserved", "app": 1, "coordinator": "n1", "worker": "n2"},
...     {"seq": 5, "node": "n1", "event": "worker_confirmed", "app": 1, "worker": "n2"},
...     {"seq": 6, "node": "n2", "event": "worker_reserved", "app": 2, "coordinator": "n3", "worker": "n2"},
... ]
>>> bonjourgrid_violations(events)
['seq 6: B2 n2 reserved for app 2 while worker of app 1']
"""

from __future__ import annotations

__all__ = ["bonjourgrid_violations"]


def bonjourgrid_violations(events: list[dict], *, limit: int = 50) -> list[str]:
    """Every violation of B1 (one role), B2 (exclusive reservation), B3 (only confirmed workers are
    counted, each once), B6/B7 (one active coordinator per application; a finished application does not
    run again), found in the trace; at most ``limit`` of them."""
    role: dict[str, tuple[str, int | None]] = {}    # node -> (state, app)
    counted: dict[tuple[int, str], set[str]] = {}    # (app, coordinator) -> confirmed workers
    coordinators: dict[int, set[str]] = {}           # app -> nodes that are its coordinator now
    finished: dict[int, str] = {}
    out: list[str] = []

    def bad(ev: dict, rule: str, text: str) -> None:
        if len(out) < limit:
            out.append(f"seq {ev.get('seq')}: {rule} {text}")

    def leave(node: str) -> None:
        state, app = role.get(node, ("", None))
        if state == "coordinator":
            coordinators.get(app, set()).discard(node)
            counted.pop((app, node), None)
        if state == "worker":
            for (a, _), workers in counted.items():
                if a == app:
                    workers.discard(node)

    for ev in events:
        kind, node = ev.get("event"), ev.get("node")
        state, app = role.get(node, ("", None))
        if kind == "idle_published":
            if state == "coordinator":
                bad(ev, "B1", f"{node} went idle while coordinator of app {app}, without app_finished")
            leave(node)
            role[node] = ("idle", None)
        elif kind == "coordinator_started":
            a = ev["app"]
            if state != "idle":
                bad(ev, "B1", f"{node} became coordinator of app {a} while {_show(state, app)}")
            if a in finished:
                bad(ev, "B6", f"app {a} started again after it finished {finished[a]}")
            _become_coordinator(ev, node, a, coordinators, counted, bad)
            role[node] = ("coordinator", a)
        elif kind in ("worker_reserved", "replica_reserved"):
            a = ev["app"]
            what = "worker" if kind == "worker_reserved" else "replica"
            if state in ("worker", "replica"):
                bad(ev, "B2", f"{node} reserved for app {a} while {state} of app {app}")
            elif state != "idle":
                bad(ev, "B1", f"{node} reserved as {what} while {_show(state, app)}")
            role[node] = (what, a)
        elif kind == "request_refused":
            if state == "idle":
                bad(ev, "B2", f"{node} refused a request of app {ev.get('app')} while idle")
        elif kind == "worker_requested":
            if (state, app) != ("coordinator", ev["app"]):
                bad(ev, "B1", f"{node} requested a worker for app {ev['app']} while {_show(state, app)}")
        elif kind == "worker_confirmed":
            a, w = ev["app"], ev["worker"]
            if (state, app) != ("coordinator", a):
                bad(ev, "B3", f"{node} counted {w} for app {a} while {_show(state, app)}")
            if role.get(w, ("", None)) != ("worker", a):
                bad(ev, "B3", f"{node} counted {w} for app {a}, but {w} is {_show(*role.get(w, ('', None)))}")
            workers = counted.setdefault((a, node), set())
            if w in workers:
                bad(ev, "B3", f"{node} counted {w} twice for app {a}")
            workers.add(w)
        elif kind == "app_finished":
            a = ev["app"]
            if (state, app) != ("coordinator", a):
                bad(ev, "B1", f"{node} finished app {a} while {_show(state, app)}")
            if a in finished:
                bad(ev, "B7", f"app {a} finished twice ({finished[a]}, then {ev.get('status')})")
            finished.setdefault(a, ev.get("status", "?"))
            leave(node)
            role[node] = ("ended", None)
        elif kind in ("worker_released", "replica_released"):
            what = "worker" if kind == "worker_released" else "replica"
            if (state, app) != (what, ev["app"]):
                bad(ev, "B5", f"{node} released as {what} of app {ev['app']} while {_show(state, app)}")
            leave(node)
            role[node] = ("ended", None)
        elif kind == "coordinator_crashed":
            if (state, app) != ("coordinator", ev["app"]):
                bad(ev, "B1", f"{node} crashed as coordinator of app {ev['app']} while {_show(state, app)}")
            leave(node)
            role[node] = ("down", None)
        elif kind == "takeover":
            a = ev["app"]
            if (state, app) != ("replica", a):
                bad(ev, "B1", f"{node} took over app {a} while {_show(state, app)}")
            if a in finished:
                bad(ev, "B6", f"{node} took over app {a}, which had finished {finished[a]}")
            _become_coordinator(ev, node, a, coordinators, counted, bad)
            role[node] = ("coordinator", a)
    return out


def _become_coordinator(ev, node, app, coordinators, counted, bad) -> None:
    others = coordinators.setdefault(app, set())
    if others - {node}:
        bad(ev, "B7", f"{node} became coordinator of app {app} while {', '.join(sorted(others))} still is")
    others.add(node)
    counted[(app, node)] = set()


def _show(state: str, app: int | None) -> str:
    if not state:
        return "never seen before"
    return f"{state} of app {app}" if app is not None else state

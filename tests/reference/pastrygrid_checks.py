"""PastryGrid's properties (PROTOCOLS.md section 2.6) checked on a trace: a list of violations."""

from __future__ import annotations


def check_trace(events: list[dict], specs: list[dict], *, ended: bool = True) -> list[str]:
    """P1 precedence, P2 single live execution, P3 one task per worker, P4 every supervised pair ended or
    re-issued, P5 an application done once, after every task finished.  ``ended``: the run went on until
    every application ended (P4 and P5 then also hold at the end)."""
    preds = {s["app"]: {t["id"]: t["preds"] for t in s["tasks"]} for s in specs}
    out: list[str] = []
    finished: dict[tuple[int, int], int] = {}  # (app, task) -> times finished
    live: dict[tuple[int, int], set[str]] = {}  # executions not finished nor re-issued
    holding: dict[str, tuple[int, int]] = {}  # worker -> its task
    pairs: dict[tuple[int, int, str], int] = {}
    status: dict[int, str] = {}
    for e in events:
        kind, node = e["event"], e["node"]
        key = (e.get("app"), e.get("task"))
        if kind == "task_assigned":
            app, task, w = e["app"], e["task"], e["worker"]
            missing = [p for p in preds[app][task] if not finished.get((app, p))]
            if missing:
                out.append(f"P1: seq {e['seq']}: app {app} task {task} assigned before {missing} finished")
            if live.get(key):
                out.append(f"P2: seq {e['seq']}: app {app} task {task} assigned to {w} while running on "
                           f"{sorted(live[key])}")
            live.setdefault(key, set()).add(w)
            if w in holding:
                out.append(f"P3: seq {e['seq']}: {w} takes {key} while holding {holding[w]}")
            holding[w] = key
            if status.get(app) is not None:
                out.append(f"P5: seq {e['seq']}: app {app} task {task} assigned after the app ended")
        elif kind == "task_finished":
            finished[key] = finished.get(key, 0) + 1
            live.get(key, set()).discard(e["worker"])
            if holding.get(e["worker"]) == key:
                del holding[e["worker"]]
        elif kind == "task_reissued":
            live.get(key, set()).discard(e["worker"])
            pairs.pop((*key, e["worker"]), None)
        elif kind == "worker_crashed":
            holding.pop(node, None)
        elif kind == "supervision_started":
            pairs[(*key, e["worker"])] = e["seq"]
        elif kind == "supervision_ended":
            pairs.pop((*key, e["worker"]), None)
        elif kind == "app_finished":
            app = e["app"]
            if status.get(app) is not None:
                out.append(f"P5: seq {e['seq']}: app {app} finished twice")
            status[app] = e["status"]
            if e["status"] == "done":
                left = [t for t in preds[app] if not finished.get((app, t))]
                if left:
                    out.append(f"P5: seq {e['seq']}: app {app} done with tasks {left} not finished")
    if ended:
        for (app, task, w), seq in sorted(pairs.items()):
            if status.get(app) == "done":
                out.append(f"P4: supervision of ({w}, app {app} task {task}) from seq {seq} never ended")
    return out

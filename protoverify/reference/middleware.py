"""The desktop-grid middleware a BonjourGrid coordinator starts: a pluggable interface.

BonjourGrid does not run tasks; it builds, per application, a private
computing element out of an existing middleware (XtremWeb, Condor, BOINC):
the coordinator starts the middleware's *server* for the application, each
worker starts its *client* pointed at the coordinator, and the middleware
does the rest.  :class:`Middleware` is that seam.  An adapter for a real
middleware would start and stop its processes here (``condor_master`` on the
coordinator, ``condor_startd`` on workers, ...), report completion through
``on_finished`` and return ``None`` from :meth:`MiddlewareClient.status`.

The bundled :class:`SimulatedMiddleware` runs tasks of given durations on
the workers' clocks: the server hands a task to each idle worker
(``mw.task``), the client runs it as a timer and reports it (``mw.status``,
also carried by every BonjourGrid heartbeat until acknowledged, so results
survive message loss), the server acknowledges (``mw.ack``).  A task held by
a worker that is removed (crashed, released) goes back to the queue.  The
server's :meth:`~MiddlewareServer.snapshot` (the finished tasks) is what
coordinator replicas keep, so a replica that takes over resumes the
application instead of restarting it; workers report what they are running
and the new server adopts it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable

from .transport import TimerHandle, Transport

__all__ = ["Middleware", "MiddlewareServer", "MiddlewareClient", "SimulatedMiddleware"]


class MiddlewareServer(ABC):
    """The middleware's server for one application, on the coordinator."""

    @abstractmethod
    def add_worker(self, worker: str) -> None:
        """A confirmed worker joined (its client is running)."""

    @abstractmethod
    def remove_worker(self, worker: str) -> None:
        """A worker left or was lost: whatever it held must be done elsewhere."""

    @abstractmethod
    def status(self, worker: str, status: dict | None) -> None:
        """The worker's client status, as carried by its heartbeat (``None``: nothing to report)."""

    @abstractmethod
    def handle(self, sender: str, message: dict) -> bool:
        """A middleware message (``t`` starting with ``mw.``); returns whether it was consumed."""

    @abstractmethod
    def snapshot(self) -> dict:
        """A JSON-able state for replicas to resume from (passed back as ``snapshot``)."""

    @abstractmethod
    def stop(self) -> None:
        """The application ended or the coordinator stepped down."""


class MiddlewareClient(ABC):
    """The middleware's client on a worker."""

    @abstractmethod
    def handle(self, sender: str, message: dict) -> bool:
        """A middleware message from the server; returns whether it was consumed."""

    @abstractmethod
    def status(self) -> dict | None:
        """What the heartbeat carries to the server (JSON-able), or None."""

    @abstractmethod
    def set_coordinator(self, coordinator: str) -> None:
        """The application's coordinator changed (a replica took over)."""

    @abstractmethod
    def stop(self) -> None:
        """The worker was released."""


class Middleware(ABC):
    """A middleware: makes servers on coordinators and clients on workers."""

    #: the TXT ``middleware`` value; real adapters would be ``xtremweb``, ``condor`` or ``boinc``
    name: str = "middleware"

    @abstractmethod
    def server(self, transport: Transport, app: dict, on_finished: Callable[[], None],
               snapshot: dict | None = None) -> MiddlewareServer:
        """Start the server for application ``app`` (``{"app": id, "tasks": [...], ...}``);
        call ``on_finished()`` once every task is done."""

    @abstractmethod
    def client(self, transport: Transport, app: int, coordinator: str) -> MiddlewareClient:
        """Start a client for ``app`` pointed at ``coordinator``."""


class SimulatedMiddleware(Middleware):
    """Tasks are durations (seconds) run as timers on the workers.

    ``completed`` counts task completions seen by any server: instrumentation
    for the harness (progress detection), never read by protocol code.
    """

    name = "simulated"

    def __init__(self, *, resend_after: float = 10.0):
        self.resend_after = resend_after
        self.completed = 0

    def server(self, transport: Transport, app: dict, on_finished: Callable[[], None],
               snapshot: dict | None = None) -> MiddlewareServer:
        return _SimServer(self, transport, app, on_finished, snapshot)

    def client(self, transport: Transport, app: int, coordinator: str) -> MiddlewareClient:
        return _SimClient(transport, app, coordinator)


class _SimServer(MiddlewareServer):
    def __init__(self, mw: SimulatedMiddleware, t: Transport, app: dict, on_finished: Callable[[], None],
                 snapshot: dict | None):
        self.mw, self.t, self.app = mw, t, app["app"]
        self.durations: list[float] = list(app["tasks"])
        self.on_finished = on_finished
        self.done: dict[int, None] = dict.fromkeys((snapshot or {}).get("done", ()))
        self.queue: deque[int] = deque(i for i in range(len(self.durations)) if i not in self.done)
        self.assigned: dict[str, tuple[int, float]] = {}   # worker -> (task, when sent)
        self.workers: dict[str, None] = {}
        self.stopped = False
        if not self.queue:
            t.call_later(0, self._check_finished)

    def add_worker(self, worker: str) -> None:
        self.workers[worker] = None
        self._dispatch(worker)

    def remove_worker(self, worker: str) -> None:
        self.workers.pop(worker, None)
        held = self.assigned.pop(worker, None)
        if held is not None:
            self._requeue(held[0])

    def status(self, worker: str, status: dict | None) -> None:
        if status is None or worker not in self.workers or self.stopped:
            return
        finished = [int(x) for x in status.get("finished", ())]
        running = status.get("running")
        for task in finished:
            if task not in self.done:
                self.done[task] = None
                self.mw.completed += 1
                if task in self.queue:
                    self.queue.remove(task)
        if finished:
            self.t.send(worker, {"t": "mw.ack", "app": self.app, "tasks": finished})
        held = self.assigned.pop(worker, None)
        if held is not None:
            task, sent = held
            if task in self.done:
                pass  # finished: the worker is free
            elif running == task or (running is None and self.t.now() - sent < self.mw.resend_after):
                self.assigned[worker] = held  # running it, or the task message is still on its way
            elif running is None:
                self._send_task(worker, task)  # the task message was lost
            else:
                self._requeue(task)  # the worker is busy with another task (e.g. after a takeover)
        if running is not None and worker not in self.assigned:
            self._adopt(worker, running)  # let it finish what it runs; do not give it another task
        if not self._check_finished():
            self._dispatch(worker)

    def handle(self, sender: str, message: dict) -> bool:
        if message.get("t") == "mw.status":
            if message.get("app") == self.app:
                self.status(sender, message.get("status"))
            return True
        return False

    def snapshot(self) -> dict:
        return {"done": sorted(self.done)}

    def stop(self) -> None:
        self.stopped = True

    def _adopt(self, worker: str, task: int) -> None:
        if task in self.queue:
            self.queue.remove(task)
        self.assigned[worker] = (task, self.t.now())

    def _requeue(self, task: int) -> None:
        held_elsewhere = any(t == task for t, _ in self.assigned.values())
        if task not in self.done and task not in self.queue and not held_elsewhere:
            self.queue.appendleft(task)

    def _dispatch(self, worker: str) -> None:
        if self.stopped or worker not in self.workers or worker in self.assigned or not self.queue:
            return
        self._send_task(worker, self.queue.popleft())

    def _send_task(self, worker: str, task: int) -> None:
        self.assigned[worker] = (task, self.t.now())
        self.t.send(worker, {"t": "mw.task", "app": self.app, "task": task, "duration": self.durations[task]})

    def _check_finished(self) -> bool:
        if not self.stopped and len(self.done) == len(self.durations):
            self.stopped = True
            self.on_finished()
            return True
        return self.stopped


class _SimClient(MiddlewareClient):
    def __init__(self, t: Transport, app: int, coordinator: str):
        self.t, self.app, self.coordinator = t, app, coordinator
        self.running: int | None = None
        self.timer: TimerHandle | None = None
        self.finished: list[int] = []   # reported, not yet acknowledged
        self.stopped = False

    def handle(self, sender: str, message: dict) -> bool:
        kind = message.get("t")
        if kind == "mw.task":
            task = message["task"]
            if (message.get("app") == self.app and not self.stopped and self.running is None
                    and task not in self.finished):
                self.running = task
                self.timer = self.t.call_later(float(message["duration"]), lambda: self._done(task))
            return True
        if kind == "mw.ack":
            if message.get("app") == self.app:
                acked = set(message.get("tasks", ()))
                self.finished = [x for x in self.finished if x not in acked]
            return True
        return False

    def status(self) -> dict | None:
        return {"running": self.running, "finished": list(self.finished)}

    def set_coordinator(self, coordinator: str) -> None:
        self.coordinator = coordinator

    def stop(self) -> None:
        self.stopped = True
        if self.timer is not None:
            self.timer.cancel()

    def _done(self, task: int) -> None:
        if self.stopped:
            return
        self.running = None
        self.timer = None
        self.finished.append(task)
        self.t.send(self.coordinator, {"t": "mw.status", "app": self.app, "status": self.status()})

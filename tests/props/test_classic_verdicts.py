"""Known verdicts on classic nets, written inline as small models.

* dining philosophers who take their forks one at a time deadlock
  (``AG not deadlock`` fails, the path ends in the marking where every
  philosopher holds his left fork); taking both forks atomically repairs it;
* Peterson's mutual exclusion for two processes keeps ``count(CS) <= 1``
  (and no waiting process is bypassed forever); the "check, then raise your
  flag" attempt without ``turn`` does not, and its counterexample is the
  4-step interleaving;
* a token ring: the token is passed forever (``live pass``);
* a lock with two clients: client 2 may wait forever while client 1 keeps
  taking the lock, so ``AG (waiting -> AF served)`` fails, with a lasso.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from test_ctl_oracle import load_with_props, replay  # noqa: E402

from protoverify import explore  # noqa: E402
from protoverify.props.check import check_all  # noqa: E402


def run(model: str, props: str):
    net, checked = load_with_props(model, props)
    space = explore(net, keep_successors=True)
    assert space.complete
    return space, {r.name: r for r in check_all(space, checked)}


def marking(space, s) -> dict:
    """{place name: {value: count}} of state s."""
    return {p.name: dict(space.markings[s][p.index]) for p in space.net.places}


def names(steps) -> list:
    return [st.transition.name if st.transition is not None else None for st in steps]


# ------------------------------------------------------- dining philosophers

PHILOSOPHERS = """model Philosophers
param N = 3
colset Ph = 1..N
fun right(p: Ph): Ph = if p == N then 1 else p + 1
fun left(p: Ph): Ph = if p == 1 then N else p - 1
place Think : Ph = all
place Fork : Ph = all
place HasLeft : Ph
place Eat : Ph
transition takeLeft
  in Think : p
  in Fork : p
  out HasLeft : p
transition takeRight
  in HasLeft : p
  in Fork : right(p)
  out Eat : p
transition put
  in Eat : p
  out Think : p
  out Fork : p ++ right(p)
"""

PHILOSOPHERS_ATOMIC = """model PhilosophersAtomic
param N = 3
colset Ph = 1..N
fun right(p: Ph): Ph = if p == N then 1 else p + 1
fun left(p: Ph): Ph = if p == 1 then N else p - 1
place Think : Ph = all
place Fork : Ph = all
place Eat : Ph
transition take
  in Think : p
  in Fork : p ++ right(p)
  out Eat : p
transition put
  in Eat : p
  out Think : p
  out Fork : p ++ right(p)
"""

# fork p lies on the table, or is held by p (left fork) or by left(p) (its right fork)
PHIL_PROPS = """ctl nodead: AG not deadlock
invariant forks: forall p : Ph . count(Fork, p) + count(Eat, p) + count(Eat, left(p)) + HELD == 1
invariant neighbours: forall p : Ph . count(Eat, p) + count(Eat, right(p)) <= 1
ctl eat: AG EF count(Eat) >= 1
"""


def test_philosophers_deadlock():
    space, r = run(PHILOSOPHERS, PHIL_PROPS.replace("HELD", "count(HasLeft, p)"))
    assert r["nodead"].verdict == "fails"
    states = replay(space, r["nodead"].stem)
    end = states[-1]
    assert r["nodead"].state == end
    assert not space.successors[end], "the AG path should end in the dead marking"
    assert marking(space, end)["HasLeft"] == {1: 1, 2: 1, 3: 1}
    assert names(r["nodead"].stem) == ["takeLeft"] * 3
    assert r["forks"].verdict == "holds"
    assert r["neighbours"].verdict == "holds"
    assert r["eat"].verdict == "fails"  # once deadlocked, nobody eats again
    assert space.dead == [end]


def test_philosophers_atomic_forks_do_not_deadlock():
    space, r = run(PHILOSOPHERS_ATOMIC, PHIL_PROPS.replace("HELD", "0"))
    assert space.dead == []
    assert r["nodead"].verdict == "holds"
    assert r["neighbours"].verdict == "holds"
    assert r["forks"].verdict == "holds"
    assert r["eat"].verdict == "holds"
    _, r = run(PHILOSOPHERS_ATOMIC, "live take\nlive put for p in Ph\nhome h: Eat == empty")
    assert {k: v.verdict for k, v in r.items()} == {"take": "holds", "put for p in Ph": "holds", "h": "holds"}


# --------------------------------------------------------- mutual exclusion

PETERSON = """model Peterson
colset Pid = 1..2
fun other(i: Pid): Pid = 3 - i
place Idle : Pid = all
place SetTurn : Pid
place Wait : Pid
place CS : Pid
place FlagUp : Pid
place FlagDown : Pid = all
place Turn : Pid = 1
transition raise       // flag[i] := true
  in Idle : i
  in FlagDown : i
  out FlagUp : i
  out SetTurn : i
transition yield       // turn := other
  in SetTurn : i
  in Turn : t
  out Turn : other(i)
  out Wait : i
transition enterFree   // flag[other] == false
  in Wait : i
  read FlagDown : other(i)
  out CS : i
transition enterTurn   // turn == i
  in Wait : i
  read Turn : i
  out CS : i
transition leave       // flag[i] := false
  in CS : i
  in FlagUp : i
  out FlagDown : i
  out Idle : i
"""

# first attempt without `turn`: look at the other's flag, then raise yours
CHECK_THEN_SET = """model CheckThenSet
colset Pid = 1..2
fun other(i: Pid): Pid = 3 - i
place Idle : Pid = all
place Ready : Pid
place CS : Pid
place FlagUp : Pid
place FlagDown : Pid = all
transition check
  in Idle : i
  read FlagDown : other(i)
  out Ready : i
transition raise
  in Ready : i
  in FlagDown : i
  out FlagUp : i
  out CS : i
transition leave
  in CS : i
  in FlagUp : i
  out FlagDown : i
  out Idle : i
"""

MUTEX_PROPS = "invariant mutex: count(CS) <= 1\nreachable enter: count(CS) == 1\n"


def test_peterson_mutex_holds():
    space, r = run(PETERSON, MUTEX_PROPS + "\n".join([
        "ctl nostarve: AG (count(Wait, 1) == 1 -> AF count(CS, 1) == 1)",
        "live leave for i in Pid",
        "ctl nodead: AG not deadlock",
    ]))
    assert r["mutex"].verdict == "holds"
    assert r["enter"].verdict == "holds"
    assert names(r["enter"].stem) == ["raise", "yield", "enterFree"]
    assert r["nostarve"].verdict == "holds"
    assert r["leave for i in Pid"].verdict == "holds"
    assert r["nodead"].verdict == "holds"


def test_check_then_set_breaks_mutex():
    space, r = run(CHECK_THEN_SET, MUTEX_PROPS)
    res = r["mutex"]
    assert res.verdict == "fails"
    states = replay(space, res.stem)
    assert res.state == states[-1]
    assert marking(space, states[-1])["CS"] == {1: 1, 2: 1}
    # both look before either raises its flag: the shortest violation has 4 steps
    assert len(res.stem) == 4
    assert sorted(names(res.stem[:2])) == ["check", "check"]
    assert sorted(names(res.stem[2:])) == ["raise", "raise"]


# ---------------------------------------------------------------- token ring

TOKEN_RING = """model TokenRing
param N = 4
colset St = 1..N
fun next(s: St): St = if s == N then 1 else s + 1
place Token : St = 1
place Idle : St = all
place Busy : St
transition pass
  in Token : s
  read Idle : s
  out Token : next(s)
transition work
  in Token : s
  in Idle : s
  out Busy : s
transition done
  in Busy : s
  out Idle : s
  out Token : next(s)
"""


def test_token_ring_passes_forever():
    space, r = run(TOKEN_RING, "\n".join([
        "live pass",
        "live pass for s in St",
        "live work for s in St",
        "invariant onetoken: count(Token) + count(Busy) == 1",
        "home start: count(Token, 1) == 1 and Busy == empty",
        "ctl ring: AG AF count(Token, 1) + count(Busy, 1) == 1",
        "ctl stuck: EG count(Busy) == 0",
    ]))
    assert space.states == 8 and space.dead == []
    assert {k: v.verdict for k, v in r.items()} == {
        "pass": "holds", "pass for s in St": "holds", "work for s in St": "holds", "onetoken": "holds",
        "start": "holds", "ring": "holds", "stuck": "holds"}
    # every step moves the token on (or finishes the work that will): it comes back to 1


# ------------------------------------------------------------ starvation

STARVING = """model Starving
colset Cl = 1..2
place Idle : Cl = all
place Waiting : Cl
place Served : Cl
place Lock : Unit = unit
transition request
  in Idle : c
  out Waiting : c
transition serve
  in Waiting : c
  in Lock : unit
  out Served : c
transition release
  in Served : c
  out Idle : c
  out Lock : unit
"""


def _lasso(space, res):
    assert res.cycle, "no cycle: the counterexample is not a lasso (stem %s)" % names(res.stem)
    states = replay(space, list(res.stem) + list(res.cycle))
    start = states[len(res.stem)]
    assert states[-1] == start, "the cycle does not return to its first state %d" % start
    return states


def test_starving_client_af_lasso():
    space, r = run(STARVING, "ctl starve: AG (count(Waiting, 2) == 1 -> AF count(Served, 2) == 1)")
    res = r["starve"]
    assert res.verdict == "fails"
    states = _lasso(space, res)
    served = [marking(space, s)["Served"].get(2, 0) == 1 for s in states]
    waiting = [marking(space, s)["Waiting"].get(2, 0) == 1 for s in states]
    # some point of the run has client 2 waiting, and from there on it is never served
    assert any(waiting[i] and not any(served[i:]) for i in range(len(states))), (
        names(res.stem), names(res.cycle), states)


def test_starving_client_top_level_af():
    model = STARVING.replace("place Waiting : Cl", "place Waiting : Cl = 2").replace(
        "place Idle : Cl = all", "place Idle : Cl = 1")
    space, r = run(model, "ctl starve: AF count(Served, 2) == 1\nctl can: EF count(Served, 2) == 1")
    assert r["can"].verdict == "holds"
    res = r["starve"]
    assert res.verdict == "fails"
    states = _lasso(space, res)
    assert all(marking(space, s)["Served"].get(2, 0) == 0 for s in states)
    assert set(names(res.cycle)) == {"request", "serve", "release"}

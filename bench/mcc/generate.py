"""Write the Model Checking Contest nets of the benchmark suite as PNML.

    python bench/mcc/generate.py          # (re)writes bench/mcc/*.pnml
    python bench/mcc/generate.py --check  # fails if a file on disk differs

Each builder returns a P/T net as plain data (places with initial tokens,
transitions with pre- and post-sets); :func:`write_pt` writes it in the
PNML dialect of the contest's files (``ptnet``, one page, ``<name>``
labels).  This writer is deliberately independent of protoverify's own
exporter, so importing these files tests the importer against a second
writer.  ``PUBLISHED`` holds the state and arc counts the contest
publishes for its instances (see README.md here for the sources and for
how each net was reconstructed); ``closed_form`` gives the counts the
structure implies for any size, which the tests check on small sizes.

The nets (reconstructed from the contest's model descriptions, then checked
against its published counts):

* Philosophers-PT-N: places Think, Fork, Catch1, Catch2, Eat per
  philosopher; FF1a/FF1b take the left/right fork first, FF2a/FF2b the
  other, End puts both back.  3^N states.
* TokenRing-PT-N: Dijkstra's self-stabilising ring of N+1 machines with
  states 0..N; machine i in state s is place State_i_s.  The bottom machine
  increments (mod N+1) when its state equals its left neighbour's; machine
  i > 0 copies its left neighbour's state when they differ.  Initial state
  S(i) = i.
* SharedMemory-PT-N: N processors with a local memory each and one shared
  bus; a processor accesses its own memory (testing that no remote
  processor holds it) or queues for the bus and holds another's memory.
* Dekker-PT-N: the contest's generalisation of Dekker's algorithm: a
  process raises its flag, enters when every other flag is down, and
  withdraws (one transition per other process whose flag is up).
  (N+2)*2^(N-1) states.
* Kanban-PT-N: Ciardo and Tilgner's four-cell Kanban system, N cards per
  cell.  160 / 4,600 / 58,400 / 454,475 / 2,546,432 states for N = 1..5.
* Referendum-PT-N: a ready token starts the vote; each of N voters then
  votes yes or no once.  3^N + 1 states.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent

# instance -> (states, arcs or None, source)
PUBLISHED: dict[str, tuple[int, int | None, str]] = {
    "Philosophers-PT-000005": (243, 945, "MCC oracle"),
    "Philosophers-PT-000010": (59_049, 459_270, "MCC oracle"),
    "TokenRing-PT-005": (166, 365, "MCC oracle"),
    "TokenRing-PT-010": (58_905, 294_050, "MCC oracle"),
    "SharedMemory-PT-000005": (1_863, 10_395, "MCC oracle"),
    "SharedMemory-PT-000010": (1_830_519, 19_486_170, "MCC oracle"),
    "Dekker-PT-010": (6_144, None, "MCC oracle (states; the arcs figure differs between sources)"),
    "Dekker-PT-015": (278_528, None, "MCC oracle"),
    "Kanban-PT-0005": (2_546_432, 24_460_016, "MCC oracle; Ciardo and Tilgner 1996"),
    "Referendum-PT-0010": (59_050, None, "MCC oracle"),
}

# what the suite writes: builder name, size, file stem
INSTANCES = [
    ("philosophers", 5, "Philosophers-PT-000005"),
    ("philosophers", 10, "Philosophers-PT-000010"),
    ("token_ring", 5, "TokenRing-PT-005"),
    ("token_ring", 10, "TokenRing-PT-010"),
    ("shared_memory", 5, "SharedMemory-PT-000005"),
    ("shared_memory", 10, "SharedMemory-PT-000010"),
    ("dekker", 10, "Dekker-PT-010"),
    ("dekker", 15, "Dekker-PT-015"),
    ("kanban", 2, "Kanban-PT-0002"),
    ("kanban", 5, "Kanban-PT-0005"),
    ("referendum", 10, "Referendum-PT-0010"),
]


class PT:
    """A P/T net as data: ``places`` id -> initial tokens, ``transitions`` id -> (pre, post)."""

    def __init__(self, name: str):
        self.name = name
        self.places: dict[str, int] = {}
        self.transitions: dict[str, tuple[dict[str, int], dict[str, int]]] = {}

    def place(self, pid: str, tokens: int = 0) -> None:
        assert pid not in self.places, pid
        self.places[pid] = tokens

    def trans(self, tid: str, pre: dict[str, int], post: dict[str, int]) -> None:
        assert tid not in self.transitions, tid
        for p in list(pre) + list(post):
            assert p in self.places, p
        self.transitions[tid] = (dict(pre), dict(post))


def _bag(*places: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in places:
        out[p] = out.get(p, 0) + 1
    return out


# ------------------------------------------------------------------ the nets
def philosophers(n: int) -> PT:
    net = PT(f"Philosophers-PT-{n:06d}")
    for i in range(1, n + 1):
        for kind, init in (("Think", 1), ("Fork", 1), ("Catch1", 0), ("Catch2", 0), ("Eat", 0)):
            net.place(f"{kind}_{i}", init)
    for i in range(1, n + 1):
        left = n if i == 1 else i - 1  # Fork_{i-1}, cyclic
        net.trans(f"FF1a_{i}", _bag(f"Think_{i}", f"Fork_{left}"), _bag(f"Catch1_{i}"))
        net.trans(f"FF1b_{i}", _bag(f"Think_{i}", f"Fork_{i}"), _bag(f"Catch2_{i}"))
        net.trans(f"FF2a_{i}", _bag(f"Catch1_{i}", f"Fork_{i}"), _bag(f"Eat_{i}"))
        net.trans(f"FF2b_{i}", _bag(f"Catch2_{i}", f"Fork_{left}"), _bag(f"Eat_{i}"))
        net.trans(f"End_{i}", _bag(f"Eat_{i}"), _bag(f"Think_{i}", f"Fork_{i}", f"Fork_{left}"))
    return net


def token_ring(n: int) -> PT:
    net = PT(f"TokenRing-PT-{n:03d}")
    machines = range(n + 1)
    values = range(n + 1)
    for i in machines:
        for v in values:
            net.place(f"State_{i}_{v}", 1 if v == i else 0)
    for v in values:  # the bottom machine: S(N) = S(0) = v  ->  S(0) := v + 1 mod N+1
        net.trans(f"mainProcess_{v}", _bag(f"State_0_{v}", f"State_{n}_{v}"),
                  _bag(f"State_0_{(v + 1) % (n + 1)}", f"State_{n}_{v}"))
    for i in range(1, n + 1):  # S(i-1) = x != y = S(i)  ->  S(i) := x
        for x in values:
            for y in values:
                if x != y:
                    net.trans(f"otherProcess_{i}_{x}_{y}", _bag(f"State_{i - 1}_{x}", f"State_{i}_{y}"),
                              _bag(f"State_{i - 1}_{x}", f"State_{i}_{x}"))
    return net


def shared_memory(n: int) -> PT:
    net = PT(f"SharedMemory-PT-{n:06d}")
    procs = range(1, n + 1)
    for x in procs:
        net.place(f"Active_{x}", 1)
        net.place(f"Memory_{x}", 1)
        net.place(f"Queue_{x}", 0)
        net.place(f"OwnMemAcc_{x}", 0)
    net.place("Ext_Bus", 1)
    for x in procs:
        for y in procs:
            if x != y:
                net.place(f"Ext_Mem_Acc_{x}_{y}", 0)
    for x in procs:
        # own access: the memory must be free (not held by a remote processor); it stays free
        net.trans(f"Begin_Own_Acc_{x}", _bag(f"Active_{x}", f"Memory_{x}"), _bag(f"OwnMemAcc_{x}", f"Memory_{x}"))
        net.trans(f"End_Own_Acc_{x}", _bag(f"OwnMemAcc_{x}"), _bag(f"Active_{x}"))
        net.trans(f"Req_Ext_Acc_{x}", _bag(f"Active_{x}"), _bag(f"Queue_{x}"))
        for y in procs:
            if x != y:
                net.trans(f"Begin_Ext_Acc_{x}_{y}", _bag(f"Queue_{x}", "Ext_Bus", f"Memory_{y}"),
                          _bag(f"Ext_Mem_Acc_{x}_{y}"))
                net.trans(f"End_Ext_Acc_{x}_{y}", _bag(f"Ext_Mem_Acc_{x}_{y}"),
                          _bag(f"Active_{x}", f"Memory_{y}", "Ext_Bus"))
    return net


def dekker(n: int) -> PT:
    net = PT(f"Dekker-PT-{n:03d}")
    procs = range(n)
    for i in procs:
        net.place(f"p0_{i}", 1)     # idle, flag down
        net.place(f"p1_{i}", 0)     # flag up, trying
        net.place(f"p3_{i}", 0)     # critical section
        net.place(f"flag_{i}", 0)   # flag up (in p1 or p3)
    for i in procs:
        net.trans(f"try_{i}", _bag(f"p0_{i}"), _bag(f"p1_{i}", f"flag_{i}"))
        others = [f"p0_{j}" for j in procs if j != i]  # every other flag down: read each p0_j
        net.trans(f"enter_{i}", _bag(f"p1_{i}", *others), _bag(f"p3_{i}", *others))
        net.trans(f"exit_{i}", _bag(f"p3_{i}", f"flag_{i}"), _bag(f"p0_{i}"))
        for j in procs:
            if j != i:  # someone else's flag is up: back off
                net.trans(f"withdraw_{i}_{j}", _bag(f"p1_{i}", f"flag_{i}", f"flag_{j}"),
                          _bag(f"p0_{i}", f"flag_{j}"))
    return net


def kanban(n: int) -> PT:
    net = PT(f"Kanban-PT-{n:04d}")
    for i in range(1, 5):
        net.place(f"Pm{i}", 0)      # parts in machine i
        net.place(f"Pback{i}", 0)   # parts sent back for rework
        net.place(f"Pout{i}", 0)    # finished parts waiting at cell i
        net.place(f"P{i}", n)       # free kanban cards of cell i
    for i in range(1, 5):
        net.trans(f"tok{i}", _bag(f"Pm{i}"), _bag(f"Pout{i}"))
        net.trans(f"tredo{i}", _bag(f"Pm{i}"), _bag(f"Pback{i}"))
        net.trans(f"tback{i}", _bag(f"Pback{i}"), _bag(f"Pm{i}"))
    net.trans("tin1", _bag("P1"), _bag("Pm1"))
    net.trans("tsynch1_23", _bag("Pout1", "P2", "P3"), _bag("P1", "Pm2", "Pm3"))
    net.trans("tsynch4_23", _bag("Pout2", "Pout3", "P4"), _bag("P2", "P3", "Pm4"))
    net.trans("tout4", _bag("Pout4"), _bag("P4"))
    return net


def referendum(n: int) -> PT:
    net = PT(f"Referendum-PT-{n:04d}")
    net.place("ready", 1)
    for i in range(1, n + 1):
        for kind in ("voting", "voted_yes", "voted_no"):
            net.place(f"{kind}_{i}", 0)
    net.trans("start", _bag("ready"), _bag(*(f"voting_{i}" for i in range(1, n + 1))))
    for i in range(1, n + 1):
        net.trans(f"yes_{i}", _bag(f"voting_{i}"), _bag(f"voted_yes_{i}"))
        net.trans(f"no_{i}", _bag(f"voting_{i}"), _bag(f"voted_no_{i}"))
    return net


BUILDERS = {
    "philosophers": philosophers,
    "token_ring": token_ring,
    "shared_memory": shared_memory,
    "dekker": dekker,
    "kanban": kanban,
    "referendum": referendum,
}

_KANBAN = {1: 160, 2: 4_600, 3: 58_400, 4: 454_475, 5: 2_546_432}  # Ciardo and Tilgner 1996, Table 1


def closed_form(model: str, n: int) -> int | None:
    """The number of reachable markings the structure implies (None where unknown)."""
    if model == "philosophers":
        return 3 ** n
    if model == "dekker":
        return (n + 2) * 2 ** (n - 1)
    if model == "referendum":
        return 3 ** n + 1
    if model == "kanban":
        return _KANBAN.get(n)
    return None


# ------------------------------------------------------------------ PNML
def write_pt(net: PT) -> str:
    """The contest's P/T PNML dialect."""
    q = quoteattr
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">',
           f'  <net id={q(net.name)} type="http://www.pnml.org/version-2009/grammar/ptnet">',
           f'    <name>\n      <text>{net.name}</text>\n    </name>',
           '    <page id="DocumentDefaultPage">']
    for pid, tokens in net.places.items():
        out.append(f'      <place id={q(pid)}>')
        out.append(f'        <name>\n          <text>{pid}</text>\n        </name>')
        if tokens:
            out.append(f'        <initialMarking>\n          <text>{tokens}</text>\n        </initialMarking>')
        out.append('      </place>')
    for tid in net.transitions:
        out.append(f'      <transition id={q(tid)}>')
        out.append(f'        <name>\n          <text>{tid}</text>\n        </name>')
        out.append('      </transition>')
    k = 0
    for tid, (pre, post) in net.transitions.items():
        for src, dst, w in [(p, tid, w) for p, w in pre.items()] + [(tid, p, w) for p, w in post.items()]:
            k += 1
            out.append(f'      <arc id="arc{k}" source={q(src)} target={q(dst)}>')
            out.append(f'        <inscription>\n          <text>{w}</text>\n        </inscription>')
            out.append('      </arc>')
    out += ['    </page>', '  </net>', '</pnml>']
    return "\n".join(out) + "\n"


def philosophers_col(n: int) -> str:
    """Philosophers-COL-N in the contest's symmetric-net form (cyclic enumeration, successor)."""
    consts = "".join(f'<feconstant id="Philo{i}" name="{i}"/>' for i in range(1, n + 1))
    var = '<variable refvariable="varx"/>'
    succ = f'<successor><subterm>{var}</subterm></successor>'

    def one(term: str) -> str:
        return (f'<numberof><subterm><numberconstant value="1"><positive/></numberconstant></subterm>'
                f'<subterm>{term}</subterm></numberof>')

    def arc(aid, src, dst, *terms):
        body = one(terms[0]) if len(terms) == 1 else "<add>" + "".join(
            f"<subterm>{one(t)}</subterm>" for t in terms) + "</add>"
        return (f'      <arc id="{aid}" source="{src}" target="{dst}">\n'
                f'        <hlinscription><structure>{body}</structure></hlinscription>\n      </arc>')

    places = []
    for pid, init in (("think", True), ("fork", True), ("catch1", False), ("catch2", False), ("eat", False)):
        m = ('<hlinitialMarking><structure><all><usersort declaration="philo"/></all></structure>'
             '</hlinitialMarking>') if init else ""
        places.append(f'      <place id="{pid}"><name><text>{pid.capitalize()}</text></name>'
                      f'<type><structure><usersort declaration="philo"/></structure></type>{m}</place>')
    trans = [f'      <transition id="{t}"><name><text>{t}</text></name></transition>'
             for t in ("ff1a", "ff1b", "ff2a", "ff2b", "end")]
    arcs = [
        # fork x is between philosopher x and his successor: x takes fork x and fork succ(x)
        arc("a1", "think", "ff1a", var), arc("a2", "fork", "ff1a", var), arc("a3", "ff1a", "catch1", var),
        arc("a4", "think", "ff1b", var), arc("a5", "fork", "ff1b", succ), arc("a6", "ff1b", "catch2", var),
        arc("a7", "catch1", "ff2a", var), arc("a8", "fork", "ff2a", succ), arc("a9", "ff2a", "eat", var),
        arc("a10", "catch2", "ff2b", var), arc("a11", "fork", "ff2b", var), arc("a12", "ff2b", "eat", var),
        arc("a13", "eat", "end", var), arc("a14", "end", "think", var), arc("a15", "end", "fork", var, succ),
    ]
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>',
        '<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">',
        f'  <net id="Philosophers-COL-{n:06d}" type="http://www.pnml.org/version-2009/grammar/symmetricnet">',
        f'    <name><text>Philosophers-COL-{n:06d}</text></name>',
        '    <declaration><structure><declarations>',
        f'      <namedsort id="philo" name="Philo"><cyclicenumeration>{consts}</cyclicenumeration></namedsort>',
        '      <variabledecl id="varx" name="x"><usersort declaration="philo"/></variabledecl>',
        '    </declarations></structure></declaration>',
        '    <page id="page0">',
        *places, *trans, *arcs,
        '    </page>', '  </net>', '</pnml>']) + "\n"


def files() -> dict[str, str]:
    out = {f"{stem}.pnml": write_pt(BUILDERS[model](n)) for model, n, stem in INSTANCES}
    out["Philosophers-COL-000005.pnml"] = philosophers_col(5)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if a file on disk differs")
    args = ap.parse_args(argv)
    bad = 0
    for name, text in files().items():
        path = HERE / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is out of date", file=sys.stderr)
                bad += 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent.parent)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

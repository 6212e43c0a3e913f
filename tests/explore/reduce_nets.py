"""Small random nets for the reduction tests: a `symmetric` colour set, places of it, of pairs, of Unit."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def symmetric_nets(draw, symmetric: bool = True):
    """Model text of a small net over ``Node = 1..k`` (``symmetric`` or not) that respects the symmetry."""
    k = draw(st.integers(2, 3))
    nplaces = draw(st.integers(2, 4))
    kinds = [draw(st.sampled_from(["Node", "Node", "Pair", "Unit"])) for _ in range(nplaces)]
    lines = ["model R", f"colset Node = 1..{k}" + (" symmetric" if symmetric else ""),
             "colset Pair = Node * Node"]
    for i, kind in enumerate(kinds):
        init = ""
        if kind == "Node" and draw(st.booleans()):
            init = " = all"
        elif kind == "Unit":
            n = draw(st.integers(0, 2))
            init = f" = {n}'unit" if n else ""
        lines.append(f"place P{i} : {kind}{init}")
    for t in range(draw(st.integers(1, 4))):
        body = []
        bound = set()
        for _ in range(draw(st.integers(1, 2))):
            p = draw(st.integers(0, nplaces - 1))
            kind = kinds[p]
            if kind == "Node":
                v = draw(st.sampled_from(["x", "y"]))
                bound.add(v)
                body.append(f"  in P{p} : {v}")
            elif kind == "Pair":
                body.append(f"  in P{p} : (x, y)")
                bound |= {"x", "y"}
            else:
                body.append(f"  in P{p} : unit")
        if draw(st.booleans()) and any(kinds[p] == "Node" for p in range(nplaces)):
            p = draw(st.sampled_from([p for p in range(nplaces) if kinds[p] == "Node"]))
            if bound:
                body.append(f"  read P{p} : {sorted(bound)[0]}" if draw(st.booleans())
                            else f"  inhibit P{p} : {sorted(bound)[0]}")
        vars_ = sorted(bound)
        for _ in range(draw(st.integers(0, 2))):
            p = draw(st.integers(0, nplaces - 1))
            kind = kinds[p]
            if kind == "Node" and vars_:
                body.append(f"  out P{p} : {draw(st.sampled_from(vars_))}")
            elif kind == "Pair" and len(vars_) == 2:
                body.append(f"  out P{p} : " + draw(st.sampled_from(["(x, y)", "(y, x)"])))
            elif kind == "Unit":
                body.append(f"  out P{p} : unit")
        if len(vars_) == 2 and draw(st.booleans()):
            body.append("  guard x " + draw(st.sampled_from(["!=", "=="])) + " y")
        lines.append(f"transition t{t}")
        lines.extend(body)
    return "\n".join(lines) + "\n"

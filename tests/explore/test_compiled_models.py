"""The compiled explorer against the Python one on the project's models.

Oracle: the Python explorer (``explorer="python"``).  Every observable of the
state space must be equal (see ``snapshots.py``): numbering, markings,
parents, successor lists in order with bindings, dead markings, bounds,
paths; and ``protoverify check`` must print the same bytes (text and JSON,
``stats`` aside) with either explorer.  ``compiled-py`` is the compiled
explorer's algorithm in Python, run on the small models to cross-check the C
core.  Without the extension (``PROTOVERIFY_NO_EXT=1``) "compiled" falls back
on the Python explorer and the same assertions hold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from snapshots import same_outcome  # noqa: E402

from protoverify import load_model  # noqa: E402
from protoverify.cli import main  # noqa: E402
from protoverify.explore.compiled import extension_available  # noqa: E402
from protoverify.report import build_report, render_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "models" / "examples").glob("*.cpn"))
PROTOCOLS = [ROOT / "models" / "bonjourgrid.cpn", ROOT / "models" / "pastrygrid.cpn"]


def _expect_compiled(space) -> None:
    if extension_available():
        assert space.explorer == "compiled", space.fallback
        assert space.fallback is None
    else:
        assert space.explorer == "python"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_at_defaults(path):
    net = load_model(str(path))
    spaces = same_outcome(net, ("python", "compiled", "compiled-py"), keep_successors=True)
    _expect_compiled(spaces["compiled"])


@pytest.mark.parametrize("path,params", [
    ("philosophers", {"N": 7}),
    ("token_ring", {"N": 6}),
    ("producer_consumer", {"CAP": 4, "V": 3}),
    ("read_inhibit", {"R": 4, "W": 3, "V": 3}),
    ("assembly", {"P": 8}),
    ("leader_election", {"N": 4}),
])
def test_examples_larger(path, params):
    net = load_model(str(ROOT / "models" / "examples" / f"{path}.cpn"), params)
    same_outcome(net, ("python", "compiled"), keep_successors=True)


def _report(space):
    report = build_report(space)
    text = render_text(space, report)
    del report["stats"]
    return report, text


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_protocol_models_at_defaults(path):
    """The first 12,000 markings (the Python explorer needs minutes for the whole space)."""
    net = load_model(str(path))
    spaces = same_outcome(net, ("python", "compiled"), keep_successors=True, max_states=12_000)
    _expect_compiled(spaces["compiled"])
    assert _report(spaces["python"]) == _report(spaces["compiled"])


# complete spaces of a few tens of thousands of markings: the Python explorer
# needs about a minute for PastryGrid's 232,720 at its defaults
COMPLETE_PARAMS = {"bonjourgrid": {}, "pastrygrid": {"RCRASH": 0}}


@pytest.mark.slow
@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_protocol_models_complete(path):
    net = load_model(str(path), COMPLETE_PARAMS[path.stem])
    spaces = same_outcome(net, ("python", "compiled"))
    assert spaces["python"].complete
    assert _report(spaces["python"]) == _report(spaces["compiled"])


@pytest.mark.parametrize("limit", [1, 2, 17, 100])
def test_state_limit_stops_at_the_same_place(limit):
    net = load_model(str(ROOT / "models" / "examples" / "philosophers.cpn"), {"N": 4})
    spaces = same_outcome(net, ("python", "compiled", "compiled-py"), max_states=limit, keep_successors=True)
    assert spaces["python"].states == min(limit, 81)


def _check(*args):
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_check_prints_the_same_bytes(path):
    """Reports with the example's properties (found by convention), text and JSON."""
    code_py, text_py = _check(str(path), "--explorer", "python", "-q")
    code_c, text_c = _check(str(path), "--explorer", "compiled", "-q")
    assert (code_c, text_c) == (code_py, text_py)
    code_py, js_py = _check(str(path), "--explorer", "python", "-q", "--json")
    code_c, js_c = _check(str(path), "--explorer", "compiled", "-q", "--json")
    a, b = json.loads(js_py), json.loads(js_c)
    assert a["stats"]["explorer"] == "python"
    assert b["stats"]["explorer"] == ("compiled" if extension_available() else "python")
    for r in (a, b):
        assert r["stats"]["bytes_per_state"] > 0
        del r["stats"]
    assert (code_c, b) == (code_py, a)



def test_check_compact():
    path = str(ROOT / "models" / "examples" / "philosophers.cpn")
    code, text = _check(path, "-D", "N=5", "-q")
    code_c, text_c = _check(path, "-D", "N=5", "-q", "--compact")
    assert code_c == code
    lines = text_c.splitlines()
    if extension_available():
        extra = [x for x in lines if "hash compaction" in x]
        assert len(extra) == 1 and "probability that a marking was missed" in extra[0]
        lines.remove(extra[0])
    assert lines == text.splitlines()
    code_j, js = _check(path, "-D", "N=5", "-q", "--compact", "--json")
    stats = json.loads(js)["stats"]
    if extension_available():
        assert stats["compact"] is True and 0 < stats["missed_state_probability"] < 1e-12
    else:
        assert "compact" not in stats and stats["fallback"]


def test_check_compact_refuses_graph_properties():
    result = CliRunner().invoke(main, ["check", str(ROOT / "models" / "examples" / "philosophers.cpn"),
                                       "--compact", "--home"])
    assert result.exit_code == 2
    assert "--compact keeps no state graph" in result.output

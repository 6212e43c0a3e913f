"""``protoverify report``: one self-contained HTML page, checked as data and in a real browser.

Oracles: ``protoverify check --json`` (properties and verdicts, state-space
figures), ``conform --json`` (trace verdicts); headless Chromium for the page
as people see it (the DOM after its script ran, and a screenshot kept under
``tests/artifacts/`` for CI).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from render_helpers import DATA, ROOT, run

ARTIFACTS = ROOT / "tests" / "artifacts"
LASSO = DATA / "lasso.cpn"


class _Page(HTMLParser):
    """Collects the properties table, ids, charts, external references."""

    def __init__(self):
        super().__init__()
        self.ids, self.rows, self.external, self.charts = set(), [], [], 0
        self._in_table = self._in_row = False
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "svg" and "msc" in (a.get("class") or ""):
            self.charts += 1
        for key in ("src", "href"):
            if key in a and re.match(r"(https?:)?//", a[key] or ""):
                self.external.append(a[key])
        if tag == "link":
            self.external.append(a.get("href"))
        if tag == "table" and a.get("id") == "properties-table":
            self._in_table = True
        if self._in_table and tag == "tr":
            self._row = []
        if self._in_table and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if self._in_table and tag == "tr" and self._row:
            self.rows.append(self._row)
        if tag == "table":
            self._in_table = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _report(model, out, *args):
    code, _, err = run("report", model, "-o", out, *args)
    return code, err


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    trace = d / "run.jsonl"
    assert run("simulate", "bonjourgrid", "--nodes", "3", "--apps", "1", "--seed", "2", "-o", trace)[0] == 0
    bad = d / "bad.jsonl"
    lines = trace.read_text().splitlines()
    row = json.loads(lines[3])
    row["event"] = "no_such_event"
    lines[3] = json.dumps(row)
    bad.write_text("\n".join(lines) + "\n")
    out = d / "lasso.html"
    code, err = _report(LASSO, out)
    assert code == 1, err  # a property fails: the report is written all the same
    bg = d / "bonjourgrid.html"
    code, err = _report(ROOT / "models" / "examples" / "philosophers.cpn", bg, "-D", "N=3")
    assert code == 1, err
    tr = d / "traces.html"
    code, err = _report(ROOT / "models" / "examples" / "mutex.cpn", tr, "--trace", trace, "--trace", bad)
    return {"lasso": out, "phil": bg, "traces": tr, "trace": trace, "bad": bad}


def test_properties_table_matches_check(page):
    p = _Page()
    p.feed(page["lasso"].read_text())
    code, out, _ = run("check", LASSO, "--json", "-q")
    want = [[r["kind"], r["name"], r["verdict"]] for r in json.loads(out)["properties"]]
    assert [row[:3] for row in p.rows] == want
    # one chart per property with evidence, each with its step-through data
    with_evidence = [r for r in json.loads(out)["properties"] if "counterexample" in r]
    assert p.charts == len(with_evidence) and {f"cex-{r['name']}" for r in with_evidence} <= p.ids
    assert {"model", "statespace", "properties", "net", "counterexamples", "net-picture", "params"} - p.ids \
        <= {"params"}  # the lasso model has no parameters


def test_self_contained_and_deterministic(page, tmp_path):
    text = page["phil"].read_text()
    p = _Page()
    p.feed(text)
    assert p.external == []
    assert "<script src" not in text and "@import" not in text and "url(http" not in text
    again = tmp_path / "again.html"
    _report(ROOT / "models" / "examples" / "philosophers.cpn", again, "-D", "N=3")
    assert again.read_bytes() == page["phil"].read_bytes()
    code, out, _ = run("check", ROOT / "models" / "examples" / "philosophers.cpn", "-D", "N=3", "--json", "-q")
    rep = json.loads(out)
    assert f"<td class=\"num\">{rep['states']:,}</td>" in text and f"<td class=\"num\">{rep['edges']:,}</td>" in text


def test_trace_conformance_section(page):
    text = page["traces"].read_text()
    code, out, _ = run("conform", ROOT / "models" / "examples" / "mutex.cpn", page["trace"], page["bad"], "--json")
    verdicts = [t.get("conforms") for t in json.loads(out)["traces"]]
    assert text.count('class="verdict conforms"') == verdicts.count(True)
    assert text.count('class="verdict nonconforming">does not conform') == verdicts.count(False)
    assert 'id="trace-0"' in text and 'id="trace-1"' in text


def test_bad_output_name_and_bad_model(tmp_path):
    code, err = _report(LASSO, tmp_path / "r.txt")
    assert code == 2 and "HTML" in err
    missing = tmp_path / "missing.cpn"
    code, err = _report(missing, tmp_path / "r.html")
    assert code == 2 and "Traceback" not in err


# -------------------------------------------------------------------- browser
def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=3000", *args], capture_output=True, text=True, timeout=120)


def test_in_a_real_browser(page):
    if _chromium() is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium): the browser test of the "
                    "HTML report did not run")
    url = Path(page["lasso"]).resolve().as_uri()
    dom = _browser("--dump-dom", url).stdout
    # the DOM after the page's script ran: tables, charts and the step-through, initialised
    assert 'id="properties-table"' in dom and dom.count('class="msc"') == 2
    assert 'class="step-head">initial marking (before step 1)<' in dom
    assert "<div class=\"stepper\">" in dom  # no longer hidden
    assert "Ready: 1 ++ 2" in dom  # the initial marking, written into the step-through by the script
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-lasso.png"
    if shot.exists():
        shot.unlink()
    _browser("--screenshot=" + str(shot), "--window-size=1280,2400", url)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    (ARTIFACTS / "report-lasso.html").write_bytes(Path(page["lasso"]).read_bytes())

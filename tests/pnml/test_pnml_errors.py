"""Malformed and unsupported PNML: exit 2, the file and line of the fault, never a traceback.

Each case is a small PNML document and the (line, code, phrase) the error
must carry; lines were worked out by reading the documents.  Errors found
by the type checker in the model text made from the PNML file must point at
the PNML element the offending model line came from.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protoverify.cli import main
from protoverify.errors import InputError, ModelError
from protoverify.net.ir import Net
from protoverify.pnml import load_pnml

PT = 'type="http://www.pnml.org/version-2009/grammar/ptnet"'
SN = 'type="http://www.pnml.org/version-2009/grammar/symmetricnet"'

SYM_HEAD = f"""<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">
<net id="n" {SN}>
<declaration><structure><declarations>
<namedsort id="c" name="C"><finiteenumeration><feconstant id="a" name="a"/><feconstant id="b" name="b"/></finiteenumeration></namedsort>
<namedsort id="d" name="D"><finiteenumeration><feconstant id="u" name="u"/></finiteenumeration></namedsort>
<variabledecl id="vx" name="x"><usersort declaration="c"/></variabledecl>
</declarations></structure></declaration>
<page id="pg">
<place id="P"><type><structure><usersort declaration="c"/></structure></type></place>
<transition id="t"/>
"""  # 10 lines; the cases' own lines start at 11

CASES = {
    "unclosed": (f"""<pnml>
  <net id="n" {PT}>
    <page id="p">
  </net>
</pnml>""", 4, "PV801", "mismatched tag"),
    "empty": ("", 1, "PV801", "no element found"),
    "doctype": (f"""<?xml version="1.0"?>
<!DOCTYPE pnml [ <!ENTITY boom "boom"> ]>
<pnml><net id="n" {PT}/></pnml>""", 2, "PV801", "document type declarations"),
    "root": (f"""<petrinet>
<net id="n" {PT}/>
</petrinet>""", 1, "PV802", "<pnml>"),
    "no-net": ("<pnml>\n</pnml>", 1, "PV803", "<net>"),
    "net-type": ("<pnml>\n<net id=\"n\" type=\"http://example.org/timed\"/>\n</pnml>", 2, "PV805", "net type"),
    "arc-no-source": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P"/>
<transition id="t"/>
<arc id="a" target="t"/>
</page></net></pnml>""", 4, "PV803", "source"),
    "arc-unknown": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P"/>
<transition id="t"/>
<arc id="a" source="Q" target="t"/>
</page></net></pnml>""", 4, "PV804", "`Q`"),
    "arc-place-place": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P"/>
<place id="Q"/>
<arc id="a" source="P" target="Q"/>
</page></net></pnml>""", 4, "PV805", "join a place and a transition"),
    "marking-text": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P">
<initialMarking><text>two</text></initialMarking>
</place>
</page></net></pnml>""", 3, "PV806", "an integer"),
    "weight-zero": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P"/><transition id="t"/>
<arc id="a" source="P" target="t">
<inscription><text>0</text></inscription></arc>
</page></net></pnml>""", 4, "PV806", ">= 1"),
    "inhibitor-weight": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P"/><transition id="t"/>
<arc id="a" source="P" target="t"><inscription><text>2</text></inscription>
<type value="inhibitor"/></arc>
</page></net></pnml>""", 3, "PV805", "inhibitor arc of weight 2"),
    "duplicate-id": (f"""<pnml><net id="n" {PT}><page id="p">
<place id="P"/>
<transition id="P"/>
</page></net></pnml>""", 3, "PV807", "line 2"),
    "bool-sort": (SYM_HEAD.replace('<usersort declaration="c"/></structure></type>', "<bool/></structure></type>")
                  + "</page></net></pnml>", 9, "PV805", "<bool>"),
    "subtract": (SYM_HEAD + """<arc id="a" source="P" target="t"><hlinscription><structure>
<subtract><subterm><all><usersort declaration="c"/></all></subterm><subterm><useroperator declaration="a"/></subterm></subtract>
</structure></hlinscription></arc>
</page></net></pnml>""", 12, "PV805", "<subtract>"),
    "unknown-variable": (SYM_HEAD + """<arc id="a" source="P" target="t"><hlinscription><structure>
<variable refvariable="nope"/>
</structure></hlinscription></arc>
</page></net></pnml>""", 12, "PV804", "`nope`"),
    "successor-on-finite-enum": (SYM_HEAD + """<arc id="a" source="P" target="t"><hlinscription><structure>
<successor><subterm><variable refvariable="vx"/></subterm></successor>
</structure></hlinscription></arc>
</page></net></pnml>""", 12, "PV805", "cyclic enumerations"),
    # found by the type checker in the model text, reported at the PNML arc
    "unbound-variable": (SYM_HEAD + """<arc id="a" source="t" target="P"><hlinscription><structure>
<variable refvariable="vx"/>
</structure></hlinscription></arc>
</page></net></pnml>""", 11, "PV302", "`x`"),
    "wrong-colour": (SYM_HEAD + """<arc id="a" source="P" target="t"><hlinscription><structure>
<useroperator declaration="u"/>
</structure></hlinscription></arc>
</page></net></pnml>""", 11, "PV301", "expected"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_pnml_is_located(name, tmp_path):
    text, line, code, phrase = CASES[name]
    path = tmp_path / f"{name}.pnml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_pnml(path)
    d = info.value.first
    assert (d.line, d.code) == (line, code), info.value.render()
    assert d.file == str(path)
    rendered = info.value.render()
    assert phrase in rendered, rendered
    assert rendered.startswith(f"{path}:{line}:")


def test_type_errors_show_the_model_line_they_came_from(tmp_path):
    text, *_ = CASES["unbound-variable"]
    path = tmp_path / "u.pnml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_pnml(path)
    assert "out P : x" in info.value.render()


@pytest.mark.parametrize("cmd", ["check", "import"])
@pytest.mark.parametrize("name", ["unclosed", "unknown-variable", "unbound-variable"])
def test_cli_exit_2_without_traceback(cmd, name, tmp_path):
    text, line, code, _ = CASES[name]
    path = tmp_path / f"{name}.pnml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, [cmd, str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"{path}:{line}:" in result.output and code in result.output


def test_missing_file_and_directory(tmp_path):
    for arg, phrase in ((tmp_path / "none.pnml", "no such file"), (tmp_path, "directory")):
        result = CliRunner().invoke(main, ["import", str(arg)])
        assert result.exit_code == 2 and phrase in result.output


def test_real_process_check_import_export(tmp_path):
    """The installed entry point: exit codes and files, no traceback."""
    mcc = Path(__file__).resolve().parents[2] / "bench" / "mcc"
    run = lambda *a: subprocess.run([sys.executable, "-m", "protoverify", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    r = run("check", str(mcc / "Philosophers-PT-000005.pnml"), "-q")
    assert r.returncode == 1 and "243 markings, 945 edges" in r.stdout  # it deadlocks
    out = tmp_path / "phil.cpn"
    r = run("import", str(mcc / "Philosophers-PT-000005.pnml"), "-o", str(out))
    assert r.returncode == 0 and out.read_text().splitlines()[1] == "model Philosophers_PT_000005"
    r = run("export", str(out), "--to", "pnml", "-o", str(tmp_path / "again.pnml"))
    assert r.returncode == 0 and (tmp_path / "again.pnml").is_file()
    bad = tmp_path / "bad.pnml"
    bad.write_text(CASES["unclosed"][0])
    r = run("check", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr and f"{bad}:4:" in r.stderr


VALID = (Path(__file__).resolve().parents[2] / "bench" / "mcc" / "Philosophers-COL-000005.pnml").read_text()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(VALID) - 1), st.integers(0, 40), st.text(alphabet='<>/="a1 xz\n', max_size=6))
def test_mutated_pnml_never_crashes(tmp_path, at, cut, insert):
    path = tmp_path / "m.pnml"
    path.write_text(VALID[:at] + insert + VALID[at + cut:], encoding="utf-8")
    try:
        net = load_pnml(path)
    except InputError:
        return
    assert isinstance(net, Net)

"""The TextMate grammars in ``editors/`` know exactly the keywords of the lark grammars.

Oracle: the lark grammars themselves (``protoverify/dsl/model.lark``,
``props.lark``), read by lark: every terminal that is a literal word is a
keyword.  The test fails when either side gains a keyword the other lacks.
"""

from __future__ import annotations

import json
import re

import lark
import pytest

from render_helpers import ROOT

EDITORS = ROOT / "editors"
GRAMMARS = {"cpn": ROOT / "protoverify" / "dsl" / "model.lark", "props": ROOT / "protoverify" / "dsl" / "props.lark"}


def lark_keywords(path) -> set[str]:
    parser = lark.Lark(path.read_text(encoding="utf-8"), parser="lalr")
    return {t.pattern.value for t in parser.terminals
            if isinstance(t.pattern, lark.lexer.PatternStr) and re.fullmatch(r"[A-Za-z_]+", t.pattern.value)}


def _patterns(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _patterns(v)
    elif isinstance(node, list):
        for v in node:
            yield from _patterns(v)


def highlighted_keywords(grammar: dict) -> set[str]:
    """Words of every ``\\b(?:a|b)\\b`` pattern scoped as a keyword or a language constant."""
    words = set()
    for p in _patterns(grammar["repository"]):
        name, match = p.get("name", ""), p.get("match")
        if match and (name.startswith("keyword.") or name.startswith("constant.language")):
            for group in re.findall(r"\\b\(\?:([A-Za-z_|]+)\)\\b", match):
                words |= set(group.split("|"))
    return words


def _grammar(kind: str) -> dict:
    return json.loads((EDITORS / "syntaxes" / f"{kind}.tmLanguage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", ["cpn", "props"])
def test_keywords_equal_the_lark_grammar(kind):
    keywords = lark_keywords(GRAMMARS[kind])
    assert keywords, "the lark grammar has keywords"
    assert highlighted_keywords(_grammar(kind)) == keywords


@pytest.mark.parametrize("kind", ["cpn", "props"])
def test_every_pattern_compiles_and_every_keyword_is_matched_whole(kind):
    grammar = _grammar(kind)
    compiled = []
    for p in _patterns(grammar["repository"]):
        for key in ("match", "begin", "end"):
            if key in p:
                rx = re.compile(p[key], re.M)
                if key == "match" and p.get("name", "").startswith(("keyword.", "constant.language")):
                    compiled.append(rx)
    for word in lark_keywords(GRAMMARS[kind]):
        assert any(rx.fullmatch(word) for rx in compiled), word
        assert not any(rx.search(word + "x") for rx in compiled if rx.fullmatch(word)), f"{word} inside a name"


def test_the_extension_manifest_points_at_the_grammars():
    manifest = json.loads((EDITORS / "package.json").read_text(encoding="utf-8"))
    for g in manifest["contributes"]["grammars"]:
        grammar = json.loads((EDITORS / g["path"]).read_text(encoding="utf-8"))
        assert grammar["scopeName"] == g["scopeName"]
    exts = {e for lang in manifest["contributes"]["languages"] for e in lang["extensions"]}
    assert exts == {".cpn", ".props"}
    # a model's inline properties are highlighted with the property grammar
    inline = _grammar("cpn")["repository"]["inline-properties"]
    assert inline["patterns"] == [{"include": _grammar("props")["scopeName"]}]

"""Shared helpers of the rendering tests: run the CLI in-process, read SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from protoverify.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str):
    """``protoverify ARGS`` in this process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def graphviz_svg(path) -> tuple[list[str], list[tuple[str, str, ET.Element]]]:
    """Node titles and (tail, head, element) of every edge of a graphviz SVG."""
    root = ET.parse(path).getroot()
    nodes, edges = [], []
    for g in root.iter(SVG + "g"):
        cls = g.get("class")
        title = g.find(SVG + "title")
        if cls == "node":
            nodes.append(title.text)
        elif cls == "edge":
            tail, head = title.text.split("->")
            edges.append((tail, head, g))
    return nodes, edges


def chart_steps(path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return [g for g in root.iter(SVG + "g") if "step" in (g.get("class") or "").split()]


def lifelines(path) -> dict[str, float]:
    """Lifeline name -> its x."""
    root = ET.parse(path).getroot()
    out = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "lifeline":
            out[g.get("data-name")] = float(g.find(SVG + "line").get("x1"))
    return out

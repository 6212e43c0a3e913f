"""JUnit XML for ``protoverify conform --junit``: one test case per trace, so CI shows each.

Written with :mod:`xml.etree.ElementTree` (escaping done by the library);
the order of test cases is the order of the traces on the command line.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["write_junit", "junit_xml"]


def junit_xml(model: str, outcomes, render) -> bytes:
    """``outcomes``: (trace path, ConformResult | None, error text | None, exit code) per trace."""
    failures = sum(1 for _, r, e, _ in outcomes if e is None and r is not None and not r.ok)
    errors = sum(1 for _, _, e, _ in outcomes if e is not None)
    suite = ET.Element("testsuite", name=f"protoverify conform {model}", tests=str(len(outcomes)),
                       failures=str(failures), errors=str(errors), skipped="0")
    for path, result, error, _ in outcomes:
        case = ET.SubElement(suite, "testcase", classname=f"conform.{model}", name=path)
        if error is not None:
            el = ET.SubElement(case, "error", message=error.splitlines()[0], type="input")
            el.text = error
        elif not result.ok:
            f = result.failure
            el = ET.SubElement(case, "failure", type="nonconforming",
                               message=f"event {f.index + 1} (line {f.event.line}): {f.message}")
            el.text = render(result)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = render(result)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(path: str, model: str, outcomes, render) -> None:
    with open(path, "wb") as fh:
        fh.write(junit_xml(model, outcomes, render))

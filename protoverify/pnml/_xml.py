"""A small XML tree that remembers where each element starts.

The standard library's ElementTree forgets line numbers; expat (the parser
under it) knows them.  This module drives expat directly and builds
:class:`Node` objects carrying ``line`` and ``column`` (1-based), so that
every complaint about a PNML file can name the line of the element at fault.

Document type declarations and entity declarations are refused outright (the
defusedxml policy): PNML never needs them, and refusing them closes the door
on entity expansion bombs and external entity reads.

>>> root = parse_xml(b'<pnml>\\n  <net id="n1"/>\\n</pnml>', "m.pnml")
>>> root.tag, root.children[0].tag, root.children[0].line, root.children[0].get("id")
('pnml', 'net', 2, 'n1')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

__all__ = ["Node", "XmlProblem", "parse_xml"]


class XmlProblem(Exception):
    """The bytes are not a well-formed XML document we accept."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(eq=False)
class Node:
    tag: str  # local name, namespace stripped
    attrib: dict[str, str]
    line: int
    column: int
    children: list["Node"] = field(default_factory=list)
    text: str = ""

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrib.get(name, default)

    def find(self, tag: str) -> "Node | None":
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def findall(self, tag: str) -> list["Node"]:
        return [c for c in self.children if c.tag == tag]

    def text_of(self, tag: str) -> "Node | None":
        """The ``<text>`` child of child ``tag`` (``<name><text>x</text></name>``)."""
        c = self.find(tag)
        return None if c is None else c.find("text")


def _local(name: str) -> str:
    # expat with namespace_separator gives "uri}local"
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if "}" in name else name.rsplit(":", 1)[-1]


def parse_xml(data: bytes, name: str = "<pnml>") -> Node:
    """Parse ``data`` into a :class:`Node` tree, or raise :class:`XmlProblem`."""
    parser = expat.ParserCreate(namespace_separator="}")
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag, attrs):
        node = Node(_local(tag), {_local(k): v for k, v in attrs.items()},
                    parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag):
        node = stack.pop()
        node.text = node.text.strip()

    def chars(data):
        if stack:
            stack[-1].text += data

    def refuse(what):
        def handler(*args):
            raise XmlProblem(f"{what} are not accepted in PNML files", parser.CurrentLineNumber,
                             parser.CurrentColumnNumber + 1)
        return handler

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse("document type declarations (<!DOCTYPE ...>)")
    parser.EntityDeclHandler = refuse("entity declarations")
    parser.UnparsedEntityDeclHandler = refuse("entity declarations")
    parser.ExternalEntityRefHandler = refuse("external entities")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        message = expat.ErrorString(err.code)
        raise XmlProblem(f"the file is not well-formed XML: {message}", err.lineno, err.offset + 1) from None
    if not root:  # pragma: no cover - expat reports "no element found" first
        raise XmlProblem("the file holds no XML element", 1, 1)
    return root[0]

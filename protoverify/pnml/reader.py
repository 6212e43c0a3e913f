"""PNML to model text.

A PNML file (a P/T net, or a symmetric net of the subset the Model Checking
Contest uses) is translated into the text of an equivalent model in our
language, which the ordinary parser and type checker then read: whatever
they reject is reported as usual, at the line of the PNML element the
offending model line came from.

Supported, for symmetric nets: named sorts that are ``dot``, finite integer
ranges, finite and cyclic enumerations, and products of these; variables;
terms built from variables, constants (``useroperator`` naming an
enumeration constant, ``dotconstant``, ``finiteintrangeconstant``),
``tuple``, ``successor``/``predecessor`` (on cyclic enumerations); guards with
``equality``, ``inequality``, the four orderings, ``and``, ``or``, ``not``,
``imply`` and boolean constants; multisets built with ``add``, ``numberof``
(a constant multiplicity), ``all`` and ``empty``.  P/T nets: integer initial
markings and arc weights, and the common extension ``<type value="inhibitor"/>``
(``test``/``read`` likewise) on arcs.  Pages are flattened and reference
nodes resolved.  Anything else is refused with a located error.

>>> text = pnml_to_model_text(b'''<pnml><net id="n" type="http://www.pnml.org/version-2009/grammar/ptnet">
...   <page id="pg"><place id="p"><initialMarking><text>2</text></initialMarking></place>
...   <transition id="t"/><arc id="a" source="p" target="t"/></page></net></pnml>''', "n.pnml")
>>> print(text.text)
model n
place p : Unit = 2'unit
transition t
  in p : unit
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field

from ..diagnostics import Source, make
from ..dsl.parser import RESERVED
from ..errors import ModelError
from ._xml import Node, XmlProblem, parse_xml

__all__ = ["ModelText", "pnml_to_model_text", "read_pnml_bytes", "MAX_PNML_BYTES"]

MAX_PNML_BYTES = 256 * 1024 * 1024
MAX_EXPANDED_VALUES = 100_000  # `all` of a different sort written out value by value

_BUILTIN = {"Unit", "unit", "int", "bool"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class ModelText:
    """The model text made from a PNML file, and the PNML line behind each model line."""

    text: str
    origins: list[tuple[int, int]]  # per model line (0-based index): (PNML line, column)
    kind: str  # "pt" | "symmetric"

    def origin(self, line: int) -> tuple[int, int]:
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return (1, 1)


@dataclass(eq=False)
class _Sort:
    kind: str  # dot | range | enum | product
    name: str = ""  # the colour set's name in the model ("Unit" for dot)
    lo: int = 0
    hi: int = 0
    constants: list[str] = field(default_factory=list)  # model names, in order
    cyclic: bool = False
    components: list["_Sort"] = field(default_factory=list)
    node: Node | None = None

    def type_text(self) -> str:
        if self.name:
            return self.name
        return " * ".join(c.type_text() for c in self.components)

    def key(self):
        if self.kind == "dot":
            return ("dot",)
        if self.kind == "range":
            return ("range", self.lo, self.hi)
        if self.kind == "enum":
            return ("enum", tuple(self.constants))
        return ("product", tuple(c.key() for c in self.components))

    def size(self) -> int:
        if self.kind == "dot":
            return 1
        if self.kind == "range":
            return self.hi - self.lo + 1
        if self.kind == "enum":
            return len(self.constants)
        n = 1
        for c in self.components:
            n *= c.size()
        return n

    def value_texts(self) -> list[str]:
        if self.kind == "dot":
            return ["unit"]
        if self.kind == "range":
            return [str(v) for v in range(self.lo, self.hi + 1)]
        if self.kind == "enum":
            return list(self.constants)
        return ["(" + ", ".join(vs) + ")" for vs in itertools.product(*(c.value_texts() for c in self.components))]

    def describe(self) -> str:
        return {"dot": "dot", "range": f"range {self.lo}..{self.hi}", "enum": "enumeration",
                "product": "product"}[self.kind] + (f" `{self.name}`" if self.name else "")


class _Names:
    """Identifiers of the model, unique, never reserved words."""

    def __init__(self):
        self.used: set[str] = set(RESERVED) | _BUILTIN

    def make(self, wanted: str, prefix: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted or "")
        if not base or not (base[0].isalpha() or base[0] == "_"):
            base = prefix + base
        name = base
        n = 2
        while name in self.used:
            name = f"{base}_{n}"
            n += 1
        self.used.add(name)
        return name


def read_pnml_bytes(path) -> bytes:
    """The bytes of a PNML file, or a located :class:`ModelError` (PV001/PV003)."""
    from pathlib import Path
    name = str(path)
    p = Path(path)

    def fail(code: str, **fields):
        raise ModelError(make(code, name, 1, 1, **fields))

    try:
        if p.is_dir():
            fail("PV001", path=name, reason="it is a directory", hint="give the path of a .pnml file")
        size = p.stat().st_size
        if size > MAX_PNML_BYTES:
            fail("PV003", size=size, limit=MAX_PNML_BYTES)
        return p.read_bytes()
    except FileNotFoundError:
        fail("PV001", path=name, reason="no such file")
    except PermissionError:
        fail("PV001", path=name, reason="permission denied")
    except OSError as err:
        fail("PV001", path=name, reason=err.strerror or str(err))
    raise AssertionError("unreachable")  # pragma: no cover


def pnml_to_model_text(data: bytes, name: str = "<pnml>") -> ModelText:
    """Translate the PNML document ``data`` (the file ``name``) into model text.

    Raises :class:`~protoverify.errors.ModelError` with diagnostics located in
    the PNML file (PV6xx codes) when the document is malformed or uses what
    the model language cannot express.
    """
    lines = data.decode("utf-8", errors="replace").split("\n")
    try:
        root = parse_xml(data, name)
    except XmlProblem as err:
        raise ModelError(make("PV801", name, err.line, err.column, problem=err.message, source_line=_line(lines, err.line),
            hint="check the element opened before this point is closed, and quotes are balanced")) from None
    return _Importer(name, lines, root).run()


def _line(lines: list[str], n: int) -> str:
    return lines[n - 1].rstrip("\r") if 1 <= n <= len(lines) else ""


class _Importer:
    def __init__(self, file: str, lines: list[str], root: Node):
        self.file = file
        self.lines = lines
        self.root = root
        self.names = _Names()
        self.out: list[tuple[str, Node]] = []
        self.sorts: dict[str, _Sort] = {}  # namedsort id -> sort
        self.constants: dict[str, tuple[str, _Sort]] = {}  # feconstant id -> (model name, sort)
        self.variables: dict[str, tuple[str, _Sort, Node]] = {}  # variabledecl id -> (declared name, sort)
        self.functions: dict[tuple[str, str], str] = {}  # (op, sort name) -> function name
        self.fun_lines: list[tuple[str, Node]] = []
        self.colset_lines: list[tuple[str, Node]] = []
        self.unit = _Sort("dot", "Unit")
        self.anon = 0

    # ------------------------------------------------------------ errors
    def fail(self, code: str, node: Node | None, hint: str = "", **fields):
        line, col = (node.line, node.column) if node is not None else (1, 1)
        raise ModelError(make(code, self.file, line, col, source_line=_line(self.lines, line), hint=hint,
                              width=len(node.tag) + 1 if node is not None else 1, **fields))

    def unsupported(self, node: Node, construct: str, why: str, hint: str = ""):
        self.fail("PV805", node, construct=construct, why=why, hint=hint)

    def need(self, node: Node, tag: str, what: str) -> Node:
        c = node.find(tag)
        if c is None:
            self.fail("PV803", node, what=what, missing=f"a <{tag}> element")
        return c

    def need_attr(self, node: Node, attr: str, what: str) -> str:
        v = node.get(attr)
        if v is None or not v.strip():
            self.fail("PV803", node, what=what, missing=f"the attribute `{attr}`")
        return v.strip()

    def int_of(self, node: Node, text: str, what: str, minimum: int | None = None) -> int:
        t = (text or "").strip()
        if not re.fullmatch(r"[+-]?[0-9]+", t):
            self.fail("PV806", node, what=what, expected="an integer", found=t[:40])
        v = int(t)
        if minimum is not None and v < minimum:
            self.fail("PV806", node, what=what, expected=f"an integer >= {minimum}", found=t)
        return v

    # ------------------------------------------------------------ driver
    def run(self) -> ModelText:
        root = self.root
        if root.tag != "pnml":
            self.fail("PV802", root, expected="the root element <pnml>", found=f"<{root.tag}>",
                      hint="a PNML file starts with <pnml xmlns=\"http://www.pnml.org/version-2009/grammar/pnml\">")
        nets = root.findall("net")
        if not nets:
            self.fail("PV803", root, what="the <pnml> element", missing="a <net> element")
        if len(nets) > 1:
            self.fail("PV805", nets[1], construct="a second <net>", why="one net per file is supported",
                      hint="split the file into one file per net")
        net = nets[0]
        ntype = (net.get("type") or "").lower()
        if "ptnet" in ntype:
            kind = "pt"
        elif "symmetricnet" in ntype or "highlevelnet" in ntype or "hlpn" in ntype:
            kind = "symmetric"
        elif not ntype:
            self.fail("PV803", net, what="the <net> element", missing="the attribute `type`",
                      hint='for a P/T net: type="http://www.pnml.org/version-2009/grammar/ptnet"')
        else:
            self.fail("PV805", net, construct=f"the net type `{net.get('type')}`",
                      why="only P/T nets (ptnet) and symmetric nets (symmetricnet) are supported")
        self.kind = kind
        name_node = net.text_of("name")
        model_name = self.names.make(name_node.text if name_node is not None and name_node.text
                                     else net.get("id") or "Imported", "M_")
        places, transitions, arcs, refs, decls = self.collect(net)
        if kind == "symmetric":
            for d in decls:
                self.declarations(d)
        # places and transitions get their names after the sorts and constants
        place_names = {}
        for pid, node in places.items():
            place_names[pid] = self.names.make(self.label(node), "p_")
        trans_names = {}
        for tid, node in transitions.items():
            trans_names[tid] = self.names.make(self.label(node), "t_")
        place_lines = []
        place_sorts = {}
        for pid, node in places.items():
            sort, text = self.place(node)
            place_sorts[pid] = sort
            line = f"place {place_names[pid]} : {sort.type_text()}"
            if text:
                line += f" = {text}"
            place_lines.append((line, node))
        # arcs by transition
        by_trans: dict[str, list[tuple[str, str, Node]]] = {tid: [] for tid in transitions}
        for node in arcs:
            aid = node.get("id", "?")
            src = self.resolve(self.need_attr(node, "source", f"arc `{aid}`"), refs)
            dst = self.resolve(self.need_attr(node, "target", f"arc `{aid}`"), refs)
            if src in places and dst in transitions:
                by_trans[dst].append(("in", src, node))
            elif src in transitions and dst in places:
                by_trans[src].append(("out", dst, node))
            else:
                for end, ref in (("source", src), ("target", dst)):
                    if ref not in places and ref not in transitions:
                        self.fail("PV804", node, what=f"the {end} of arc `{aid}`", ref=ref)
                self.fail("PV805", node, construct=f"arc `{aid}`",
                          why="an arc must join a place and a transition")
        trans_lines = []
        for tid, node in transitions.items():
            trans_lines.extend(self.transition(node, trans_names[tid], by_trans[tid], place_names, place_sorts))
        out = [(f"model {model_name}", net)]
        out += self.colset_lines + self.fun_lines + place_lines + trans_lines
        text = "\n".join(line for line, _ in out) + "\n"
        origins = [(n.line, n.column) for _, n in out]
        return ModelText(text.rstrip("\n"), origins, kind)

    def label(self, node: Node) -> str:
        t = node.text_of("name")
        if t is not None and t.text and _IDENT.match(t.text.strip()):
            return t.text.strip()
        return node.get("id") or (t.text if t is not None else "")

    def collect(self, net: Node):
        places: dict[str, Node] = {}
        transitions: dict[str, Node] = {}
        arcs: list[Node] = []
        refs: dict[str, tuple[str, Node]] = {}
        decls: list[Node] = []
        seen: dict[str, Node] = {}

        def visit(container: Node):
            for c in container.children:
                if c.tag in ("place", "transition", "arc", "referencePlace", "referenceTransition", "page"):
                    ident = self.need_attr(c, "id", f"a <{c.tag}>")
                    if ident in seen:
                        self.fail("PV807", c, id=ident, first=seen[ident].line)
                    seen[ident] = c
                if c.tag == "place":
                    places[c.get("id")] = c
                elif c.tag == "transition":
                    transitions[c.get("id")] = c
                elif c.tag == "arc":
                    arcs.append(c)
                elif c.tag in ("referencePlace", "referenceTransition"):
                    refs[c.get("id")] = (self.need_attr(c, "ref", f"<{c.tag}> `{c.get('id')}`"), c)
                elif c.tag == "page":
                    visit(c)
                elif c.tag == "declaration":
                    decls.append(c)

        visit(net)
        return places, transitions, arcs, refs, decls

    def resolve(self, ident: str, refs) -> str:
        hops = 0
        while ident in refs:
            ident, node = refs[ident]
            hops += 1
            if hops > len(refs):
                self.fail("PV805", node, construct="reference nodes", why="they refer to each other in a cycle")
        return ident

    # ------------------------------------------------------------ declarations
    def declarations(self, decl: Node):
        structure = decl.find("structure")
        body = structure.find("declarations") if structure is not None else None
        if body is None:
            self.fail("PV803", decl, what="the <declaration>", missing="<structure><declarations>")
        # sorts first (in order: a product names sorts declared before or after it)
        pending = [c for c in body.children if c.tag == "namedsort"]
        for c in pending:
            self.sorts[self.need_attr(c, "id", "a <namedsort>")] = None  # type: ignore[assignment]
        for c in pending:
            self.named_sort(c)
        for c in body.children:
            if c.tag == "variabledecl":
                vid = self.need_attr(c, "id", "a <variabledecl>")
                if not c.children:
                    self.fail("PV803", c, what=f"variable `{vid}`", missing="its sort")
                sort = self.sort(c.children[0])
                self.variables[vid] = (c.get("name") or vid, sort, c)
            elif c.tag in ("namedoperator", "partition", "arbitrarysort", "unparsed"):
                self.unsupported(c, f"<{c.tag}>", "the model language has no counterpart",
                                 hint="symmetric nets of the Model Checking Contest need only named sorts and variables")

    def named_sort(self, node: Node) -> _Sort:
        sid = node.get("id")
        got = self.sorts.get(sid)
        if got is not None:
            return got
        if not node.children:
            self.fail("PV803", node, what=f"sort `{sid}`", missing="its definition")
        wanted = node.get("name") or sid
        self.sorts[sid] = _Sort("pending", node=node)  # a product naming itself is a cycle
        sort = self.sort(node.children[0], wanted)
        self.sorts[sid] = sort
        return sort

    def sort(self, node: Node, wanted: str | None = None) -> _Sort:
        """A sort element (``usersort``, ``dot``, ``finiteintrange``, ...) as a :class:`_Sort`."""
        tag = node.tag
        if tag == "usersort":
            ref = self.need_attr(node, "declaration", "<usersort>")
            if ref not in self.sorts:
                self.fail("PV804", node, what="<usersort>", ref=ref)
            got = self.sorts[ref]
            if got is None:
                target = self._namedsort_node(ref)
                return self.named_sort(target)
            if got.kind == "pending":
                self.unsupported(node, f"sort `{ref}`", "it contains itself")
            return got
        if tag == "dot":
            return self.unit
        if tag == "finiteintrange":
            lo = self.int_of(node, self.need_attr(node, "start", "<finiteintrange>"), "the start of the range")
            hi = self.int_of(node, self.need_attr(node, "end", "<finiteintrange>"), "the end of the range")
            if hi < lo:
                self.fail("PV806", node, what="<finiteintrange>", expected="start <= end", found=f"{lo}..{hi}")
            sort = _Sort("range", lo=lo, hi=hi, node=node)
            sort.name = self.names.make(wanted or f"Range{lo}_{hi}", "S_")
            self.colset_lines.append((f"colset {sort.name} = {lo}..{hi}", node))
            return sort
        if tag in ("finiteenumeration", "cyclicenumeration"):
            sort = _Sort("enum", cyclic=tag == "cyclicenumeration", node=node)
            sort.name = self.names.make(wanted or "Enum", "S_")
            consts = node.findall("feconstant")
            if not consts:
                self.fail("PV803", node, what=f"<{tag}>", missing="a <feconstant>")
            for c in consts:
                cid = self.need_attr(c, "id", "a <feconstant>")
                if cid in self.constants:
                    self.fail("PV807", c, id=cid, first=self.constants[cid][1].node.line)
                label = c.get("name") or cid
                cname = self.names.make(label if _IDENT.match(label) else cid, "c_")
                sort.constants.append(cname)
                self.constants[cid] = (cname, sort)
            self.colset_lines.append((f"colset {sort.name} = {{ {', '.join(sort.constants)} }}", node))
            return sort
        if tag == "productsort":
            parts = [self.sort(c) for c in node.children]
            if len(parts) < 2:
                self.unsupported(node, "a <productsort> of fewer than two sorts", "a product needs two or more")
            sort = _Sort("product", components=parts, node=node)
            if wanted is not None:
                sort.name = self.names.make(wanted, "S_")
                self.colset_lines.append((f"colset {sort.name} = " + " * ".join(p.type_text() for p in parts), node))
            for p in parts:
                if p.kind == "product" and not p.name:
                    self.unsupported(node, "a product of an unnamed product", "name the inner product sort")
            return sort
        if tag in ("bool", "integer", "natural", "positive", "string", "multisetsort", "partition"):
            self.unsupported(node, f"the sort <{tag}>", "colour sets must be finite enumerations, ranges, "
                             "dot or products of these")
        self.fail("PV802", node, expected="a sort (usersort, dot, finiteintrange, finiteenumeration, "
                  "cyclicenumeration, productsort)", found=f"<{tag}>")
        raise AssertionError("unreachable")  # pragma: no cover

    def _namedsort_node(self, ref: str) -> Node:
        stack = [self.root]
        while stack:
            n = stack.pop()
            if n.tag == "namedsort" and n.get("id") == ref:
                return n
            stack.extend(n.children)
        raise AssertionError(ref)  # pragma: no cover

    # ------------------------------------------------------------ places
    def place(self, node: Node) -> tuple[_Sort, str]:
        pid = node.get("id")
        if self.kind == "pt":
            init = node.find("initialMarking")
            n = 0
            if init is not None:
                t = init.find("text")
                if t is not None and t.text:
                    n = self.int_of(t, t.text, f"the initial marking of place `{pid}`", minimum=0)
            return self.unit, ("" if n == 0 else "unit" if n == 1 else f"{n}'unit")
        typ = node.find("type")
        if typ is None:
            self.fail("PV803", node, what=f"place `{pid}`", missing="a <type>",
                      hint="a symmetric-net place needs <type><structure><usersort declaration=\"...\"/>")
        st = self.need(typ, "structure", f"the type of place `{pid}`")
        if not st.children:
            self.fail("PV803", st, what=f"the type of place `{pid}`", missing="a sort")
        sort = self.sort(st.children[0])

        def no_variables(vid: str, at: Node) -> str:
            self.unsupported(at, "a variable in an initial marking", "initial markings are constant")
            return ""  # pragma: no cover
        self.var_name = no_variables
        init = node.find("hlinitialMarking")
        text = ""
        if init is not None:
            ist = init.find("structure")
            if ist is not None and ist.children:
                text = self.ms(ist.children[0], sort, {}, f"the initial marking of place `{pid}`")
        return sort, ("" if text == "empty" else text)

    # ------------------------------------------------------------ transitions
    def transition(self, node: Node, name: str, arcs, place_names, place_sorts):
        lines = [(f"transition {name}", node)]
        env: dict[str, str] = {}  # variabledecl id -> model name in this transition
        local_used: set[str] = set()

        def var_name(vid: str, at: Node) -> str:
            got = env.get(vid)
            if got is None:
                if vid not in self.variables:
                    self.fail("PV804", at, what="<variable>", ref=vid)
                declared = self.variables[vid][0]
                base = re.sub(r"[^A-Za-z0-9_]", "_", declared)
                if not base or not (base[0].isalpha() or base[0] == "_"):
                    base = "v_" + base
                got = base
                n = 2
                while got in self.names.used or got in local_used:
                    got = f"{base}_{n}"
                    n += 1
                local_used.add(got)
                env[vid] = got
            return got

        self.var_name = var_name
        kinds = {"in": [], "read": [], "inhibit": [], "out": []}
        for direction, pid, arc in arcs:
            kind = direction
            ext = self.arc_type(arc)
            if ext is not None:
                if direction != "in":
                    self.unsupported(arc, f"a {ext} arc from a transition to a place",
                                     "test and inhibitor arcs go from a place to a transition")
                kind = ext
            sort = place_sorts[pid]
            text = self.arc_inscription(arc, sort, kind)
            if text == "empty":
                continue
            kinds[kind].append((f"  {kind} {place_names[pid]} : {text}", arc))
        for k in ("in", "read", "inhibit", "out"):
            lines.extend(kinds[k])
        cond = node.find("condition")
        if cond is not None:
            st = cond.find("structure")
            if st is not None and st.children:
                lines.append((f"  guard {self.bool_expr(st.children[0])}", cond))
        return lines

    def arc_type(self, arc: Node) -> str | None:
        t = arc.find("type")
        if t is None:
            return None
        value = (t.get("value") or (t.find("text").text if t.find("text") is not None else "")).strip().lower()
        if value in ("", "normal"):
            return None
        if value == "inhibitor":
            return "inhibit"
        if value in ("test", "read"):
            return "read"
        self.unsupported(t, f"the arc type `{value}`", "known arc types are normal, inhibitor and test")
        return None  # pragma: no cover

    def arc_inscription(self, arc: Node, sort: _Sort, kind: str) -> str:
        aid = arc.get("id")
        if self.kind == "pt":
            n = 1
            ins = arc.find("inscription")
            if ins is not None:
                t = ins.find("text")
                if t is not None and t.text:
                    n = self.int_of(t, t.text, f"the weight of arc `{aid}`", minimum=1)
            if kind == "inhibit" and n != 1:
                self.unsupported(arc, f"an inhibitor arc of weight {n}",
                                 "the model language's inhibitor arcs test for the absence of a token (weight 1)")
            return "unit" if n == 1 else f"{n}'unit"
        ins = arc.find("hlinscription")
        st = ins.find("structure") if ins is not None else None
        if st is None or not st.children:
            if sort.kind == "dot":
                return "unit"
            self.fail("PV803", arc, what=f"arc `{aid}`", missing="an <hlinscription>")
        return self.ms(st.children[0], sort, {}, f"arc `{aid}`")

    # ------------------------------------------------------------ multisets
    def ms(self, node: Node, sort: _Sort, _unused, what: str) -> str:
        parts = self._ms_parts(node, sort, what)
        parts = [p for p in parts if p != "empty"]
        return " ++ ".join(parts) if parts else "empty"

    def _ms_parts(self, node: Node, sort: _Sort, what: str) -> list[str]:
        tag = node.tag
        if tag == "add":
            out = []
            for s in self.operands(node):
                out += self._ms_parts(s, sort, what)
            return out
        if tag == "numberof":
            ops = self.operands(node)
            if len(ops) != 2:
                self.fail("PV803", node, what="<numberof>", missing="two subterms (a number and a term)")
            k = ops[0]
            if k.tag != "numberconstant":
                self.unsupported(k, f"<{k.tag}> as a multiplicity", "a multiplicity must be a <numberconstant>")
            n = self.int_of(k, self.need_attr(k, "value", "<numberconstant>"), "a multiplicity", minimum=0)
            if n == 0:
                return ["empty"]
            if ops[1].tag == "all":
                return self.all_parts(ops[1], sort, n, what)
            term, _ = self.term(ops[1])
            return [term if n == 1 else f"{n}'{term}"]
        if tag == "all":
            return self.all_parts(node, sort, 1, what)
        if tag == "empty":
            return ["empty"]
        if tag in ("subtract", "scalarproduct", "cardinality", "cardinalityof", "contains"):
            self.unsupported(node, f"<{tag}>", "the model language writes multisets as sums of terms",
                             hint="write the resulting multiset with <add> and <numberof>")
        term, _ = self.term(node)
        return [term]

    def all_parts(self, node: Node, sort: _Sort, n: int, what: str) -> list[str]:
        if not node.children:
            self.fail("PV803", node, what="<all>", missing="a sort")
        s = self.sort(node.children[0])
        if s.key() == sort.key() and n <= 16:
            return ["all"] * n
        if s.size() > MAX_EXPANDED_VALUES:
            self.unsupported(node, f"<all> of a sort with {s.size()} values",
                             f"it differs from the sort of {what} and is too large to write out")
        vals = s.value_texts()
        return [v if n == 1 else f"{n}'{v}" for v in vals]

    def operands(self, node: Node) -> list[Node]:
        subs = node.findall("subterm")
        if subs:
            out = []
            for s in subs:
                if len(s.children) != 1:
                    self.fail("PV803", s, what="<subterm>", missing="exactly one term")
                out.append(s.children[0])
            return out
        return [c for c in node.children if c.tag not in ("graphics", "toolspecific", "text")]

    # ------------------------------------------------------------ terms
    def term(self, node: Node) -> tuple[str, _Sort | None]:
        tag = node.tag
        if tag == "variable":
            vid = self.need_attr(node, "refvariable", "<variable>")
            name = self.var_name(vid, node)
            return name, self.variables[vid][1]
        if tag == "useroperator":
            ref = self.need_attr(node, "declaration", "<useroperator>")
            if ref not in self.constants:
                self.fail("PV804", node, what="<useroperator>", ref=ref)
            return self.constants[ref]
        if tag == "dotconstant":
            return "unit", self.unit
        if tag == "finiteintrangeconstant":
            v = self.int_of(node, self.need_attr(node, "value", "<finiteintrangeconstant>"), "a range constant")
            sort = None
            rng = node.find("finiteintrange")
            if rng is not None:
                sort = _Sort("range", lo=self.int_of(rng, rng.get("start", ""), "the start of the range"),
                             hi=self.int_of(rng, rng.get("end", ""), "the end of the range"))
                if not sort.lo <= v <= sort.hi:
                    self.fail("PV806", node, what="<finiteintrangeconstant>",
                              expected=f"a value in {sort.lo}..{sort.hi}", found=str(v))
            return (str(v) if v >= 0 else f"({v})"), sort
        if tag == "tuple":
            items = [self.term(c) for c in self.operands(node)]
            if len(items) < 2:
                self.unsupported(node, "a <tuple> of fewer than two terms", "a tuple has two or more")
            return "(" + ", ".join(t for t, _ in items) + ")", _Sort("product", components=[s for _, s in items])
        if tag in ("successor", "predecessor"):
            ops = self.operands(node)
            if len(ops) != 1:
                self.fail("PV803", node, what=f"<{tag}>", missing="exactly one subterm")
            text, sort = self.term(ops[0])
            if sort is None or sort.kind != "enum" or not sort.cyclic:
                self.unsupported(node, f"<{tag}> of a {sort.describe() if sort else 'term of unknown sort'}",
                                 "successor and predecessor are defined on cyclic enumerations")
            return f"{self.cyclic_function(tag, sort)}({text})", sort
        if tag in ("add", "numberof", "all", "empty", "subtract"):
            self.unsupported(node, f"<{tag}> inside a term", "multiset operators may only combine whole terms")
        self.unsupported(node, f"the term <{tag}>", "the supported terms are variable, useroperator (an "
                         "enumeration constant), dotconstant, finiteintrangeconstant, tuple, successor and "
                         "predecessor")
        raise AssertionError("unreachable")  # pragma: no cover

    def cyclic_function(self, op: str, sort: _Sort) -> str:
        key = (op, sort.name)
        got = self.functions.get(key)
        if got is not None:
            return got
        fname = self.names.make(f"{'succ' if op == 'successor' else 'pred'}_{sort.name}", "f_")
        x = self.names.make("x", "x")
        cs = sort.constants
        step = 1 if op == "successor" else -1
        pairs = [(c, cs[(i + step) % len(cs)]) for i, c in enumerate(cs)]
        body = pairs[-1][1]
        for c, nxt in reversed(pairs[:-1]):
            body = f"if {x} == {c} then {nxt} else {body}"
        self.fun_lines.append((f"fun {fname}({x}: {sort.name}): {sort.name} = {body}", sort.node or self.root))
        self.functions[key] = fname
        return fname

    def ord_function(self, sort: _Sort) -> str:
        key = ("ord", sort.name)
        got = self.functions.get(key)
        if got is not None:
            return got
        fname = self.names.make(f"ord_{sort.name}", "f_")
        x = self.names.make("x", "x")
        cs = sort.constants
        body = str(len(cs) - 1)
        for i in range(len(cs) - 2, -1, -1):
            body = f"if {x} == {cs[i]} then {i} else {body}"
        self.fun_lines.append((f"fun {fname}({x}: {sort.name}): int = {body}", sort.node or self.root))
        self.functions[key] = fname
        return fname

    # ------------------------------------------------------------ guards
    _CMP = {"equality": "==", "inequality": "!=", "lessthan": "<", "lessthanorequal": "<=",
            "greaterthan": ">", "greaterthanorequal": ">="}

    def bool_expr(self, node: Node) -> str:
        tag = node.tag
        if tag in self._CMP:
            ops = self.operands(node)
            if len(ops) != 2:
                self.fail("PV803", node, what=f"<{tag}>", missing="two subterms")
            (a, sa), (b, sb) = self.term(ops[0]), self.term(ops[1])
            op = self._CMP[tag]
            if op not in ("==", "!=") and (sa is not None and sa.kind == "enum" or sb is not None and sb.kind == "enum"):
                enum = sa if sa is not None and sa.kind == "enum" else sb
                f = self.ord_function(enum)
                a, b = f"{f}({a})", f"{f}({b})"
            return f"({a} {op} {b})"
        if tag in ("and", "or"):
            ops = self.operands(node)
            if not ops:
                return "true" if tag == "and" else "false"
            return "(" + f" {tag} ".join(self.bool_expr(o) for o in ops) + ")"
        if tag == "not":
            ops = self.operands(node)
            if len(ops) != 1:
                self.fail("PV803", node, what="<not>", missing="exactly one subterm")
            return f"(not {self.bool_expr(ops[0])})"
        if tag == "imply":
            ops = self.operands(node)
            if len(ops) != 2:
                self.fail("PV803", node, what="<imply>", missing="two subterms")
            return f"((not {self.bool_expr(ops[0])}) or {self.bool_expr(ops[1])})"
        if tag == "booleanconstant":
            v = (node.get("value") or "").strip().lower()
            if v not in ("true", "false"):
                self.fail("PV806", node, what="<booleanconstant>", expected="true or false", found=v)
            return v
        self.unsupported(node, f"the condition <{tag}>", "conditions are built from equality, inequality, the "
                         "orderings, and, or, not, imply and boolean constants")
        raise AssertionError("unreachable")  # pragma: no cover


def remap_error(err: ModelError, mt: ModelText, file: str, pnml_lines: list[str]) -> ModelError:
    """Diagnostics about the generated model text, moved to the PNML lines they came from.

    Codes and messages stay those of the parser or type checker; the line is
    the PNML element's, and a note shows the model line made from it.
    """
    out = []
    model_lines = mt.text.split("\n")
    for d in err.diagnostics:
        line, col = mt.origin(d.line)
        generated = model_lines[d.line - 1].strip() if 1 <= d.line <= len(model_lines) else ""
        notes = ((f"in the model text made from this element: {generated}",) if generated else ()) + d.notes
        out.append(dataclasses.replace(d, file=file, line=line, column=col, source_line=_line(pnml_lines, line),
                                       width=1, notes=notes))
    return ModelError(out)


def model_source(mt: ModelText, file: str) -> Source:
    return Source(f"{file}[imported]", mt.text)

"""PNML (ISO/IEC 15909-2) import and export.

* :func:`load_pnml` — a PNML file (P/T net, or a symmetric net of the subset
  the Model Checking Contest uses) as a checked Net IR: the file is turned
  into model text (:func:`pnml_to_model_text`) which the ordinary parser and
  type checker read; their diagnostics point at the PNML lines.
* :func:`export_pnml` — a Net IR as PNML: a P/T net exactly, a coloured net
  as a symmetric net where that is expressible, or unfolded to a P/T net.

See docs/pnml.md.
"""

from __future__ import annotations

from .reader import ModelText, pnml_to_model_text
from .writer import export_pnml, load_pnml, pnml_model_text

__all__ = ["load_pnml", "pnml_model_text", "pnml_to_model_text", "export_pnml", "ModelText"]

"""State-space reductions: symmetry (``symmetric`` colour sets) and partial-order (stubborn sets).

* :mod:`.symmetry` — which models respect their ``symmetric`` declarations
  (used by the type checker) and the canonical representative of a marking
  under permutations of the symmetric colour sets;
* :mod:`.stubborn` — stubborn sets computed from the net's unfolding;
* :mod:`.explorer` — breadth-first exploration with either or both, and which
  properties each reduction preserves.
"""

from __future__ import annotations

__all__ = ["REDUCTIONS"]

REDUCTIONS = ("symmetry", "por")

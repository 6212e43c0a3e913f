"""The protocol models with a trace header's parameters, loaded once per parameter set.

The header's `params` keys that the model declares are taken, the others ignored: what
`protoverify conform` does (protoverify/conform/cli.py).
"""

from __future__ import annotations

import functools
from pathlib import Path

from protoverify.loader import load_model

ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def _load(protocol: str, params: tuple):
    return load_model(ROOT / "models" / f"{protocol}.cpn", dict(params))


@functools.lru_cache(maxsize=None)
def _declared(protocol: str) -> frozenset:
    return frozenset(_load(protocol, ()).params)


def net_for(protocol: str, params: dict):
    """``models/PROTOCOL.cpn`` with the header parameters it declares."""
    declared = _declared(protocol)
    return _load(protocol, tuple(sorted((k, v) for k, v in params.items() if k in declared)))

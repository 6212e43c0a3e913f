"""protoverify: model distributed protocols as Coloured Petri Nets and verify them.

The public surface is deliberately small:

* :func:`load_model` / :func:`load_model_text` — parse and type-check a model
  into a :class:`~protoverify.net.ir.Net`;
* :func:`explore` — build its state space;
* the exceptions in :mod:`protoverify.errors`.
"""

from __future__ import annotations

from .errors import InputError, InternalError, ModelError, ModelRuntimeError, ProtoverifyError
from .explore.statespace import StateSpace, explore
from .loader import load_model, load_model_text

__all__ = [
    "load_model",
    "load_model_text",
    "explore",
    "StateSpace",
    "ProtoverifyError",
    "InputError",
    "ModelError",
    "ModelRuntimeError",
    "InternalError",
]

__version__ = "0.1.0"

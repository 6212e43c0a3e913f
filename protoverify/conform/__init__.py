"""Trace conformance: does a recorded run of an implementation belong to the model's behaviours?

``read_trace`` reads a JSON Lines trace (``docs/traces.md``); ``conform``
replays it on a checked net and returns a :class:`ConformResult` whose
``failure``, when the trace does not conform, names the first event that
could not be matched, the markings the net could be in, and why each
candidate transition could not produce it.  ``docs/conformance.md`` is the
user's guide.
"""

from .replay import ConformResult, Failure, SilentClosureTooLarge, conform, to_model_value
from .trace import Trace, TraceEvent, parse_trace, read_trace

__all__ = ["conform", "ConformResult", "Failure", "SilentClosureTooLarge", "to_model_value",
           "read_trace", "parse_trace", "Trace", "TraceEvent"]

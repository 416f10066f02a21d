"""The workers' warnings about the rows, shown on the client once per column and call.

A partition converted on a worker records the local warnings (a column whose kind
changed since fit) and sends them to the client as events; the client shows the first
one of each column for each call (a fit, a ``predict``), not one per partition.
"""

from __future__ import annotations

import pickle
import re
import warnings
import weakref
from collections import deque

#: The topic of the events that carry the warnings.
TOPIC = "llmboost-warn"
#: The column a warning names first (as ``{name!r}`` writes it).
_COLUMN = re.compile(r"Column ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_SEEN: deque = deque(maxlen=4096)  # (call, key) already shown on this client
_LISTENING: weakref.WeakSet = weakref.WeakSet()


def listen(client) -> None:
    """Have ``client`` show the warnings its calls' partitions send (once a client)."""
    if client not in _LISTENING:
        client.subscribe_topic(TOPIC, _show)
        _LISTENING.add(client)


def forward(caught: list, call: str) -> None:
    """Send the warnings ``caught`` in one partition of ``call`` to the clients (warn
    here when not on a worker)."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        worker = None
    for caught_warning in caught:
        text = str(caught_warning.message)
        if worker is None:
            warnings.warn(text, caught_warning.category, stacklevel=2)
            continue
        found = _COLUMN.match(text)
        key = found.group(1) if found else text
        category = pickle.dumps(caught_warning.category)
        worker.log_event(TOPIC, {"call": call, "key": key, "message": text, "category": category})


def _show(event) -> None:
    """The first warning of a column in a call, as the local estimator words it."""
    _, msg = event
    seen = (msg["call"], msg["key"])
    if seen not in _SEEN:
        _SEEN.append(seen)
        warnings.warn(msg["message"], pickle.loads(msg["category"]), stacklevel=2)


__all__ = ["TOPIC", "forward", "listen"]

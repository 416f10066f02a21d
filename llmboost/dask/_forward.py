"""The workers' warnings about the rows, shown on the client once per column and call.

A partition converted on a worker records the local warnings (a column whose kind
changed since fit) and sends them to the client as events; the client shows the first
one of each column for each call (a fit, a ``predict``), not one per partition (a worker
sends it once a call). So does a partition converted outside a worker (dask's local
schedulers). A count of lost values is that partition's, and says so; a loss is shown
even after a warning of the same column without one. That a column holds no category
seen at fit is said of a partition (others may hold some).
"""

from __future__ import annotations

import pickle
import re
import threading
import warnings
import weakref
from collections import deque

#: The topic of the events that carry the warnings.
TOPIC = "llmboost-warn"
#: The column a warning names first (as ``{name!r}`` writes it).
_COLUMN = re.compile(r"Column ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
#: Counts of the values lost in a partition, said of that partition alone.
_COUNTED = re.compile(r"(\d+ value\(s\) matched nothing and|all \d+) became missing")
_ONE_PARTITION = (
    "(counted in the first partition of X to report it: the warning comes once per column "
    "and call, not summed over partitions)"
)
#: A claim about a whole column that one partition makes of its own rows.
_NONE_SEEN = "holds no category seen at fit:"
_SEEN: deque = deque(maxlen=4096)  # (call, key) already shown on this client
_SENT: deque = deque(maxlen=4096)  # (call, key) already sent by this worker process
_LISTENING: weakref.WeakSet = weakref.WeakSet()
_LOCK = threading.Lock()


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
        found = _COLUMN.match(text)
        key = found.group(1) if found else text
        if _COUNTED.search(text):  # a loss: not hidden by a partition that lost none
            key = f"{key} lost"
            text = _COUNTED.sub(lambda found: f"{found[0]} {_ONE_PARTITION}", text, count=1)
        if found and text.startswith(_NONE_SEEN, at := found.end() + 1):  # not of them all
            at += len(_NONE_SEEN) - 1
            text = f"{text[:at]} in a partition of X{text[at:]}"
        msg = {"call": call, "key": key, "message": text}
        if worker is None:  # dask's local schedulers: once a call here too
            _show((None, {**msg, "category": caught_warning.category}), pickled=False)
        elif _first(_SENT, (call, key)):  # not one event per partition
            category = pickle.dumps(caught_warning.category)
            worker.log_event(TOPIC, {**msg, "category": category})


def _show(event, pickled: bool = True) -> None:
    """The first warning of a column in a call, as the local estimator words it."""
    _, msg = event
    if not _first(_SEEN, (msg["call"], msg["key"])):
        return
    category = pickle.loads(msg["category"]) if pickled else msg["category"]
    warnings.warn(msg["message"], category, stacklevel=2)


def _first(seen: deque, key: tuple) -> bool:
    """Whether ``key`` is new to ``seen`` (then added to it)."""
    with _LOCK:  # (partitions converted on threads of this process)
        if key in seen:
            return False
        seen.append(key)
        return True


__all__ = ["TOPIC", "forward", "listen"]

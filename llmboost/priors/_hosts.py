"""Whether a download host answers, checked within seconds before a download is tried."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request

#: Seconds allowed for the check that a download host answers at all.
REACHABILITY_TIMEOUT = 3.0


def unreachable_reason(hosts: list[str]) -> str | None:
    """``None`` if a host answers within :data:`REACHABILITY_TIMEOUT`, else why not.

    Parameters
    ----------
    hosts : list of str
        URLs probed in parallel with a ``HEAD`` request.

    Returns
    -------
    str or None
    """
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return "HF_HUB_OFFLINE is set"
    answered: list[str] = []

    def probe(url: str) -> None:
        try:
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=REACHABILITY_TIMEOUT):  # noqa: S310
                answered.append(url)
        except urllib.error.HTTPError:
            answered.append(url)  # the host answered, with an error status
        except Exception:  # noqa: BLE001 - DNS, refused, timeout: unreachable
            pass

    threads = [threading.Thread(target=probe, args=(h,), daemon=True) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(REACHABILITY_TIMEOUT + 0.5)
    if answered:
        return None
    return f"no download host answered within {REACHABILITY_TIMEOUT:.0f} s ({', '.join(hosts)})"


__all__ = ["REACHABILITY_TIMEOUT", "unreachable_reason"]

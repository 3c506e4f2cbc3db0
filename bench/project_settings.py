"""The project's own settings, with one change for the benchmark: the per-sender anti-spam limit
(`MESSAGING["SEND_RATE_PER_MINUTE"]`, 30 by default) is raised out of reach, so a few benchmark
senders can offer hundreds of messages a second. The check itself still runs on every send (its
cache round trips are measured); only the threshold moves.
"""

from config import settings as _base
from config.settings import *  # noqa: F401,F403

MESSAGING = {**getattr(_base, "MESSAGING", {}), "SEND_RATE_PER_MINUTE": 10**9}

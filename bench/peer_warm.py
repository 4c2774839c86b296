"""Warm runs of the peer, Cloud Custodian: one process, its Lambda handler
(`c7n.handler.dispatch_event`, with `config.json` in the working directory)
fed each event file in turn, as a warm Lambda container would be.

    peer_warm.py EVENT_FILE...

Prints one JSON line: `latencies_ms`, the time of each dispatch, and
`peak_rss_kb`. The first event is dispatched before timing starts (it pays
the one-time initialisation), so every timed event is warm.
"""

import json
import resource
import sys
import time

from c7n import handler

events = []
for path in sys.argv[1:]:
    with open(path) as f:
        events.append(json.load(f))

handler.dispatch_event(events[0], None)
latencies = []
for event in events[1:]:
    t = time.perf_counter_ns()
    handler.dispatch_event(event, None)
    latencies.append((time.perf_counter_ns() - t) / 1e6)
print(json.dumps({
    "latencies_ms": latencies,
    "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))

"""One cold run of the peer, Cloud Custodian, the way its Lambda runs it:
`c7n.handler.dispatch_event` with its policy config (`config.json` in the
working directory, as c7n's Lambda package has it) on one event, in a fresh
Python process.

    peer_run.py EVENT_FILE

Run it with the peer's virtualenv, in a directory holding `config.json`, and
with BENCH_EXEC_NS set to the parent's clock (time.time_ns()) just before it
started this process. Prints one JSON line: `ready_ms` (exec to the handler
module imported: Lambda's init phase), `done_ms` (exec to the first event
handled), `peak_rss_kb`. AWS is whatever the environment names; the bench
points it at the local emulator on loopback only.
"""

import json
import os
import resource
import sys
import time

started = int(os.environ["BENCH_EXEC_NS"])

from c7n import handler  # noqa: E402  (the import is what is measured)

ready = time.time_ns()
with open(sys.argv[1]) as f:
    event = json.load(f)
handler.dispatch_event(event, None)
done = time.time_ns()
print(json.dumps({
    "ready_ms": (ready - started) / 1e6,
    "done_ms": (done - started) / 1e6,
    "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))

"""`custodian` (c7n's command line, the same arguments) in this process, then
its peak resident memory in KiB (`VmHWM`, as ours is measured) written to the
file BENCH_RSS_FILE names: how `make bench-sweep` measures the peer's memory.
Not `ru_maxrss`: Linux carries it over an exec from the process that spawned
this one, so it would report the benchmark driver's memory when larger. Run with the peer's
virtualenv (.venv-peer); AWS is whatever the environment names, which the
benchmark points at the local emulator on loopback only."""

import os
import sys

from c7n.cli import main

sys.argv[0] = "custodian"
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
with open(os.environ["BENCH_RSS_FILE"], "w") as f:
    f.write(peak)
sys.exit(code)

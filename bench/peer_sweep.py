"""`custodian` (c7n's command line, the same arguments) in this process, then
its peak resident memory in KiB written to the file BENCH_RSS_FILE names:
how `make bench-sweep` measures the peer's memory. Run with the peer's
virtualenv (.venv-peer); AWS is whatever the environment names, which the
benchmark points at the local emulator on loopback only."""

import os
import resource
import sys

from c7n.cli import main

sys.argv[0] = "custodian"
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
with open(os.environ["BENCH_RSS_FILE"], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)

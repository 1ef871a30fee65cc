import os
import sys

# numpy's PyPI wheels carry OpenBLAS, whose threads spin on a core for a while after each matrix product. A stream
# makes one small product per frame (the MFCC filterbank, every 20 ms), so they never stop spinning: a whole core
# burnt while a live stream runs in real time (measured: 6.3 CPU seconds for 6.2 s of audio fed in real time; 0.17
# with one thread, and a batch no slower). One thread unless the user chose otherwise; set before numpy loads. Here,
# not in the package, so that playbook (which imports the package) passes nothing on to the engines it runs.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .cli import main  # noqa: E402  (numpy loads here)

sys.exit(main())

"""A Python snippet to run a command under: it prints the command's wall seconds and the peak resident
set of its processes as JSON. It is passed to `python -c` in a container or on the host, so it uses
the standard library only.

    python -c PEAK_MEMORY COMMAND ARG...   ->   {"seconds": 12.3, "peak_rss_mb": 70.8}
"""

# ru_maxrss of the children is the largest resident set among the processes waited for, in kB.
PEAK_MEMORY = r"""
import json, resource, subprocess, sys, time
started = time.time()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(json.dumps({"seconds": round(time.time() - started, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0, 1)}))
"""

"""A verify lane's process: `python -m migrate.lane_process FD` reads (store URL, job) pickled
on stdin and answers on file descriptor FD (migrate.lanes)."""

from __future__ import annotations

import signal

# a Ctrl-C reaches the whole process group: the parent handles it and stops this process, so
# this one ignores it (before the imports, which take the longest) and prints no traceback
signal.signal(signal.SIGINT, signal.SIG_IGN)

import pickle
import sys
from multiprocessing.connection import Connection

from migrate.lanes import serve


def main() -> None:
    answer = Connection(int(sys.argv[1]), readable=False)
    url, job = pickle.load(sys.stdin.buffer)  # from the parent that started this process
    serve(answer, url, job)


if __name__ == "__main__":
    main()

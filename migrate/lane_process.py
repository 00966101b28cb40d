"""A verify lane's process: `python -m migrate.lane_process FD` reads (store URL, job) pickled
on stdin and answers on file descriptor FD (migrate.lanes)."""

from __future__ import annotations

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

"""Two independent leaks, one of them allocating deep inside the standard
library, for the incident tests.

Usage: incidents.py [SECONDS]  (default 20). Prints READY, runs, prints DONE.

- handle_request() asks logging for a new logger per request: logging keeps
  every logger (and placeholders for their parents) in its manager's
  registry, so the memory is allocated at many lines inside logging, all
  below one application line, marked HEAD:logging. One incident.
- remember_session() keeps a record per request in a module-level list, at
  the line marked HEAD:sessions. A second, independent incident.
Both churn beside it, like a service.
"""
import logging
import sys
import time

SESSIONS = []


def handle_request(i):
    return logging.getLogger(f"app.req{i % 7}.n{i}.worker")  # HEAD:logging


def remember_session(i):
    SESSIONS.append({"n": i % 64, "pad": bytearray(160)})  # HEAD:sessions


def churn(i):
    return len([str(i + k) for k in range(20)])


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    print("READY", flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        handle_request(i)
        remember_session(i)
        churn(i)
        i += 1
        if i % 50 == 0:
            time.sleep(0.005)
    print("DONE", i, flush=True)


if __name__ == "__main__":
    main()

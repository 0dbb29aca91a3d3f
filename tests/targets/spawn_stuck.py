"""Keeps one thread in uninterruptible sleep (state D) while the main thread
leaks at LEAK_LINE, as a server does while it spawns a program.

Usage: spawn_stuck.py FIFO [SECONDS]  (default 20)
A thread calls posix_spawn() (through ctypes, so the GIL is released) with a
file action that opens FIFO for reading in the child before its exec: the
child blocks in open() until someone opens FIFO for writing, and the
spawning thread waits for it (vfork) uninterruptibly all that time. Prints
READY once that thread is in state D, DONE with a self-check at the end
(after the FIFO was opened by the test and the spawn finished).
"""
import ctypes
import os
import sys
import threading
import time

KEEP = []
libc = ctypes.CDLL(None, use_errno=True)


def spawn_blocked(fifo, result):
    actions = ctypes.create_string_buffer(256)  # posix_spawn_file_actions_t
    libc.posix_spawn_file_actions_init(actions)
    libc.posix_spawn_file_actions_addopen(actions, 0, fifo.encode(), os.O_RDONLY, 0)
    argv = (ctypes.c_char_p * 2)(b"/bin/true", None)
    envp = (ctypes.c_char_p * 1)(None)
    pid = ctypes.c_int()
    result.append(libc.posix_spawn(ctypes.byref(pid), b"/bin/true", actions, None, argv, envp))
    os.waitpid(pid.value, 0)


def thread_state(tid):
    with open(f"/proc/self/task/{tid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def main():
    fifo = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    result = []
    th = threading.Thread(target=spawn_blocked, args=(fifo, result))
    th.start()
    while thread_state(th.native_id) != "D":
        time.sleep(0.01)
    print("READY", th.native_id, flush=True)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        KEEP.append([i % 200] * 50)  # LEAK_LINE
        i += 1
        if i % 100 == 0:
            time.sleep(0.01)
    th.join()
    total = sum(len(x) for x in KEEP)
    print("DONE", result == [0], total == 50 * len(KEEP), flush=True)


if __name__ == "__main__":
    main()

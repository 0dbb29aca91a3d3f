"""Generates functions one after another, each leaking from its own line,
and frees the older ones so that new code objects (and their names) reuse
the addresses of freed ones: every generated function must still be
reported under its own name and line.

Usage: generated.py [COUNT] [ALIVE] [RATE]  (defaults 300, 100, 60). Prints
READY, then makes COUNT functions at RATE per second, keeping only the
newest ALIVE alive (an older one's code object is freed with it; what it
leaked stays). Function gen_NNN has its first line at 1 and leaks at line
2 + NNN % 40 (the same first line and bytecode for all: only the name and
the line table differ). Forty templates are compiled once; each function
is a copy of one with its own name (code.replace(), much cheaper than a
compile under a probe on every allocation). Prints DONE at the end, then
sleeps a minute (the profiler's --duration ends the test first).
"""
import sys
import time
import types

KEEP = []


def source(i):
    pad = "    pass\n" * (i % 40)
    return f"def gen_{i:03d}(keep, n):\n{pad}    keep.append(bytearray(n))\n"


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    alive_max = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    alive = []
    templates = []
    for k in range(40):
        ns = {}
        exec(compile(source(k), "<generated>", "exec"), ns)
        templates.append(ns[f"gen_{k:03d}"].__code__)
    print("READY", flush=True)
    time.sleep(2.0)  # the profiler attaches meanwhile
    for i in range(count):
        name = f"gen_{i:03d}"
        names = {"co_name": name}
        if hasattr(templates[0], "co_qualname"):  # 3.11+
            names["co_qualname"] = name
        code = templates[i % 40].replace(**names)
        fn = types.FunctionType(code, globals())
        for _ in range(4):
            fn(KEEP, 1000 + i)
        alive.append(fn)
        del code, fn
        if len(alive) > alive_max:
            alive.pop(0)
        time.sleep(1.0 / rate)
    print("DONE", len(KEEP), flush=True)
    time.sleep(60)


if __name__ == "__main__":
    main()

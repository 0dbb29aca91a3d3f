"""leaky.py after its fix: the same program, but the list it leaks into keeps
only the last few items, so leaky.py's LEAK_LINE still allocates but its
memory dies. compare's end-to-end test runs it as the AFTER of leaky.py.

Usage: leaky_fixed.py [SECONDS]  (as leaky.py, which must sit beside it)
"""
import leaky

_leak = leaky.leak


def bounded_leak(i):
    _leak(i)
    if len(leaky.KEEP) > 20:  # the fix: bound the list
        del leaky.KEEP[:10]


if __name__ == "__main__":
    leaky.leak = bounded_leak  # main() looks leak up in leaky's globals
    leaky.main()

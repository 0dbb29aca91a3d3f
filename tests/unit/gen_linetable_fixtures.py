#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Generate tests/unit/linetable_fixtures.h for test_linetable.c.

The fixtures are ground truth for user/python/linetable.c: line tables of code
objects compiled by real CPython interpreters, each with the line that
interpreter's own PyCode_Addr2Line() (called through ctypes) returns for
every even byte offset of the bytecode, plus the offset just past it.
Every answer is cross-checked against a second oracle (co_lines() on 3.10+,
dis.findlinestarts() on 3.8/3.9) and the script fails if they disagree.

Regenerate (not at test time; the header is committed) with any python3:

    python3 tests/unit/gen_linetable_fixtures.py -o tests/unit/linetable_fixtures.h

The driver runs this same file under each interpreter with --dump, feeding
the source on stdin so that it also works inside a chroot, and collects the
JSON each prints. A Debian sid chroot, if present, supplies 3.14.
"""

import argparse
import json
import os
import subprocess
import sys
import textwrap

INTERPRETERS = [
    ["/root/.pyenv/versions/3.8.18/bin/python3"],
    ["/root/.pyenv/versions/3.9.18/bin/python3"],
    ["/root/.pyenv/versions/3.10.13/bin/python3"],
    ["/root/.pyenv/versions/3.11.7/bin/python3"],
    ["/usr/bin/python3.11"],
    ["/root/.pyenv/versions/3.12.1/bin/python3"],
    ["/root/.pyenv/versions/3.13.0/bin/python3"],
]
SID_CHROOT = "/var/cache/pyleak-bpf/chroots/sid"

# Sources compiled under every interpreter. They are only compiled, never
# run, so names need not resolve. Each is chosen for what it does to the
# table: line jumps, backward jumps, artificial instructions, wide columns.
COMMON_SNIPPETS = [
    ("control_flow", '''
def control_flow(items, limit):
    total = 0
    for i, item in enumerate(items):
        if item is None:
            continue
        elif item < 0:
            break
        else:
            total += item
    while total > limit:
        total -= limit
        if total == 7:
            break
    else:
        total += 1
    return total if total else -1
'''),
    ("exceptions", '''
def exceptions(path):
    try:
        f = open(path)
    except (OSError, ValueError) as exc:
        print("failed", exc)
        raise RuntimeError(path) from exc
    except Exception:
        return None
    else:
        try:
            return f.read()
        finally:
            f.close()
    finally:
        print("done")


def with_blocks(a, b):
    with a as x, b as y:
        x.write(y.read())
    for item in a:
        with item:
            if item:
                continue
    return b
'''),
    ("comprehensions", '''
def comprehensions(rows):
    squares = [x * x for x in rows if x % 2]
    pairs = {(a, b) for a in rows
             for b in rows
             if a < b}
    index = {k: v for k, v in enumerate(rows)}
    gen = (str(r)
           for r in rows)
    key = lambda r: (r,
                     -r)
    nested = [[c for c in row] for row in rows]
    return sorted(squares, key=key), pairs, index, list(gen), nested
'''),
    ("decorators", '''
import functools


def deco(tag):
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            return fn(*args, **kwargs)
        return inner
    return wrap


@deco(
    "multi-line"
)
@functools.lru_cache(maxsize=None)
def decorated(n):
    return n if n < 2 else decorated(n - 1) + decorated(n - 2)


@functools.total_ordering
class Point:
    """A class body is a code object too."""
    x: int = 0

    def __init__(self, x, y):
        self.x = x
        self.y = y

    @property
    def norm(self):
        return (self.x ** 2 +
                self.y ** 2) ** 0.5

    def __lt__(self, other):
        return self.norm < other.norm
'''),
    ("generators", '''
def gen(n):
    yield 1
    yield from range(n)
    x = yield
    return x


async def agen(session, urls):
    async with session:
        async for u in urls:
            yield await session.get(u)


async def coro(q):
    try:
        return await q.get()
    finally:
        q.task_done()
'''),
    ("multiline", '''
def multiline(a, b, c):
    result = call(
        a,
        b,
        c,
    )
    value = (a
             + b
             - c)
    d = {
        "a": a,
        "b": [b,
              c],
    }
    if (a and
            b):
        del d[
            "a"]
    return (result, value,
            d)
'''),
    # Far down a file: large firstlineno.
    ("far_away", "\n" * 100000 + '''
def far_away(x):
    y = x * 2
    return y
'''),
]


def big_jumps_source():
    """Line jumps of > 127, > 255 and > 4095 lines, forwards and back."""
    src = ["def big_jumps(a):", "    x = a"]
    src += [""] * 150
    src.append("    y = x + 1")
    src += ["    # filler"] * 300
    src.append("    z = y + 2")
    # 5000 lines: many lnotab pairs, a three-chunk varint in 3.11+.
    src += [""] * 5000
    src.append("    w = z + 3")
    # A call spanning 300 lines: 3.11+ give the call its first line, so the
    # table jumps back by more than 255. Comments, not arguments, fill it to
    # keep the fixture small.
    src.append("    r = f(")
    src.append("        a,")
    src += ["        # filler"] * 298
    src.append("        w)")
    # A loop body of 260 lines: the jump back belongs to the header line.
    src.append("    for i in range(3):")
    src.append("        w += i")
    src += ["        # filler"] * 258
    src.append("        w -= 1")
    src.append("    return r, w")
    return "\n" + "\n".join(src) + "\n"


def long_line_source():
    """One line of ~5000 columns: 3.11+ long-form entries with multi-chunk
    column varints, and more than 255 bytes of bytecode on a single line."""
    name = "a_rather_long_variable_name_to_push_the_columns_of_this_line_out_wide_%d"
    expr = " + ".join(name % i for i in range(70))
    return '''
def long_line(%s):
    total = %s
    return total
''' % (", ".join(name % i for i in range(70)), expr)


PY310_SNIPPETS = [
    ("match", '''
def matcher(cmd):
    match cmd.split():
        case ["go", direction]:
            return direction
        case ["pick", *items] if items:
            return items
        case {"k": v, **rest}:
            return v, rest
        case Point(x=0, y=yy):
            return yy
        case _:
            return None
'''),
]

PY311_SNIPPETS = [
    ("except_star", '''
def groups():
    try:
        raise ExceptionGroup("g", [ValueError(1)])
    except* ValueError as eg:
        print(eg)
    except* TypeError:
        pass
'''),
]

PY312_SNIPPETS = [
    ("type_params", '''
def first[T](xs: list[T]) -> T:
    return xs[0]


class Box[T]:
    def get(self) -> T:
        return self.item


type Pair[K] = tuple[K, K]
'''),
]


def snippets():
    out = list(COMMON_SNIPPETS)
    out.append(("big_jumps", big_jumps_source()))
    out.append(("long_line", long_line_source()))
    if sys.version_info >= (3, 10):
        out += PY310_SNIPPETS
    if sys.version_info >= (3, 11):
        out += PY311_SNIPPETS
    if sys.version_info >= (3, 12):
        out += PY312_SNIPPETS
    return out


def walk(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from walk(const)


def expected_lines(code):
    """The interpreter's own PyCode_Addr2Line() at every even offset and one
    past the end, cross-checked against the pure-Python view."""
    import ctypes
    import dis
    import sysconfig

    if sysconfig.get_config_var("Py_DEBUG"):
        sys.exit("%s is a debug build: it asserts on offsets past the code" % sys.executable)

    addr2line = ctypes.pythonapi.PyCode_Addr2Line
    addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
    addr2line.restype = ctypes.c_int

    nbytes = len(code.co_code)
    # Offset nbytes is past the code: only a debug build asserts on that,
    # a release build answers like for any other offset.
    lines = [addr2line(code, off) for off in range(0, nbytes + 2, 2)]
    # Not stored: a frame that has not started (f_lasti < 0) is at
    # co_firstlineno in every version, and the C test checks that directly.
    if addr2line(code, -2) != code.co_firstlineno:
        sys.exit("%s %s: PyCode_Addr2Line(-2) is not co_firstlineno" % (
            sys.version.split()[0], code.co_name))

    other = [-1] * (nbytes // 2 + 1)
    if sys.version_info >= (3, 10):
        for start, end, line in code.co_lines():
            for off in range(start, min(end, nbytes), 2):
                other[off // 2] = -1 if line is None else line
    else:
        # findlinestarts() yields the first offset of each line; a line
        # holds until the next start, and past the end (no end address in
        # co_lnotab).
        starts = dict(dis.findlinestarts(code))
        line = code.co_firstlineno
        for off in range(0, nbytes + 2, 2):
            line = starts.get(off, line)
            other[off // 2] = line

    if lines != other:
        bad = [i * 2 for i, (a, b) in enumerate(zip(lines, other)) if a != b]
        sys.exit("%s %s:%d: PyCode_Addr2Line and %s disagree at offsets %s" % (
            sys.version.split()[0], code.co_name, code.co_firstlineno,
            "co_lines" if sys.version_info >= (3, 10) else "findlinestarts", bad[:10]))
    return lines


def table_stats(table, stats):
    """Count what the table exercises, so the driver can show the fixtures
    cover what they are meant to."""
    def bump(key):
        stats[key] = stats.get(key, 0) + 1

    if sys.version_info >= (3, 11):
        for b in table:
            if b & 0x80:
                bump("code%d" % ((b >> 3) & 15))
        return
    for i in range(0, len(table) - 1, 2):
        addr, line = table[i], table[i + 1]
        line = line - 256 if line >= 128 else line
        if sys.version_info >= (3, 10) and line == -128:
            bump("no_line")
        elif line < 0:
            bump("negative")
        if addr == 0:
            bump("zero_addr")
        if abs(line) >= 127:
            bump("max_line")
        if addr >= 254:
            bump("max_addr")


def dump():
    """--dump: runs under the interpreter being sampled, prints JSON."""
    codes = []
    stats = {}
    for name, src in snippets():
        top = compile(src, "<%s>" % name, "exec")
        for code in walk(top):
            table = code.co_lnotab if sys.version_info < (3, 10) else code.co_linetable
            table_stats(table, stats)
            codes.append({
                "name": "%s:%s" % (name, code.co_name),
                "firstlineno": code.co_firstlineno,
                "table": table.hex(),
                "lines": expected_lines(code),
            })
    json.dump({
        "hexversion": sys.hexversion,
        "version": sys.version.split()[0],
        "codes": codes,
        "stats": stats,
    }, sys.stdout)


def c_array(values, fmt, indent="\t", width=100):
    """values as a C initializer list, wrapped to width (tabs count 8)."""
    out = []
    line = ""
    for v in values:
        item = fmt % v + ","
        if line and 8 + len(line) + 1 + len(item) > width:
            out.append(indent + line)
            line = ""
        line = item if not line else line + " " + item
    if line:
        out.append(indent + line)
    return "\n".join(out)


def emit(dumps, f):
    w = f.write
    w("/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */\n")
    w("/*\n")
    w(" * linetable_fixtures.h: GENERATED by tests/unit/gen_linetable_fixtures.py,\n")
    w(" * do not edit. Line tables compiled by real CPython interpreters, with the\n")
    w(" * line each interpreter's PyCode_Addr2Line() gives for every even byte\n")
    w(" * offset.\n")
    w(textwrap.fill("Interpreters: %s." % ", ".join(d["version"] for d in dumps),
                    width=77, initial_indent=" * ", subsequent_indent=" * ") + "\n")
    w(" */\n")
    w("#ifndef PYLEAK_LINETABLE_FIXTURES_H\n#define PYLEAK_LINETABLE_FIXTURES_H\n\n")
    w("#include <stddef.h>\n#include <stdint.h>\n\n")
    w("struct lt_fixture_code {\n")
    w("\tconst char *name;\t\t/* snippet:co_name */\n")
    w("\tint firstlineno;\n")
    w("\tconst uint8_t *table;\t\t/* co_lnotab (< 3.10) or co_linetable */\n")
    w("\tsize_t table_len;\n")
    w("\t/* lines[i]: line at byte offset 2 * i; the last is just past the code */\n")
    w("\tconst int *lines;\n")
    w("\tsize_t n_lines;\n")
    w("};\n\n")
    w("struct lt_fixture_version {\n")
    w("\tuint32_t version_hex;\t\t/* sys.hexversion */\n")
    w("\tconst char *version;\n")
    w("\tconst struct lt_fixture_code *codes;\n")
    w("\tsize_t n_codes;\n")
    w("};\n")

    for d in dumps:
        tag = "%08x" % d["hexversion"]
        for i, c in enumerate(d["codes"]):
            table = bytes.fromhex(c["table"])
            if table:
                w("\nstatic const uint8_t lt_fx_%s_%d_table[] = {\n%s\n};\n" % (
                    tag, i, c_array(table, "0x%02x")))
            w("\nstatic const int lt_fx_%s_%d_lines[] = {\n%s\n};\n" % (
                tag, i, c_array(c["lines"], "%d")))
        w("\nstatic const struct lt_fixture_code lt_fx_%s_codes[] = {\n" % tag)
        for i, c in enumerate(d["codes"]):
            table = ("lt_fx_%s_%d_table, sizeof(lt_fx_%s_%d_table)" % (tag, i, tag, i)
                     if c["table"] else "NULL, 0")
            w('\t{ "%s", %d,\n' % (c["name"], c["firstlineno"]))
            w("\t  %s,\n" % table)
            w("\t  lt_fx_%s_%d_lines, sizeof(lt_fx_%s_%d_lines) / sizeof(int) },\n" % (
                tag, i, tag, i))
        w("};\n")

    w("\nstatic const struct lt_fixture_version lt_fixtures[] = {\n")
    for d in dumps:
        tag = "%08x" % d["hexversion"]
        w('\t{ 0x%s, "%s", lt_fx_%s_codes,\n' % (tag, d["version"], tag))
        w("\t  sizeof(lt_fx_%s_codes) / sizeof(lt_fx_%s_codes[0]) },\n" % (tag, tag))
    w("};\n\n#endif /* PYLEAK_LINETABLE_FIXTURES_H */\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", action="store_true",
                    help="print this interpreter's fixtures as JSON (internal)")
    ap.add_argument("-o", "--output", help="header to write (default: stdout)")
    args = ap.parse_args()
    if args.dump:
        dump()
        return

    with open(os.path.abspath(__file__), "rb") as f:
        source = f.read()
    interpreters = list(INTERPRETERS)
    # lexists: python3 is a relative symlink that only resolves inside.
    if os.path.lexists(SID_CHROOT + "/usr/bin/python3"):
        interpreters.append(["chroot", SID_CHROOT, "python3"])
    else:
        print("no python3 in %s: skipping 3.14 (same format as 3.11)" % SID_CHROOT,
              file=sys.stderr)

    dumps = []
    for cmd in interpreters:
        res = subprocess.run(cmd + ["-", "--dump"], input=source,
                             stdout=subprocess.PIPE, check=True)
        d = json.loads(res.stdout)
        print("%-8s %3d code objects, %6d offsets; table %s" % (
            d["version"], len(d["codes"]), sum(len(c["lines"]) for c in d["codes"]),
            " ".join("%s=%d" % kv for kv in sorted(d["stats"].items()))), file=sys.stderr)
        dumps.append(d)

    if args.output:
        with open(args.output, "w") as f:
            emit(dumps, f)
    else:
        emit(dumps, sys.stdout)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fails when the files of a crate import each other in a circle (issue 20 item 2).

Each .rs file is a module. A file imports another when it names it: a `use` of `crate::…`,
`super::…` or `self::…` (braces expanded), such a path anywhere in the code, or a child declared
with `mod name;` and then named as `name::…`. A path that ends in an item a module re-exports with
`pub use` counts as naming the module the item comes from, so `crate::Error` names error.rs, not
lib.rs. Test-only modules (`#[cfg(test)] mod x;`) and the crate root's declarations are left out:
a test may look at anything, and lib.rs only lists the modules.

Usage: import-cycles.py CRATE_SRC_DIR...   (exit 1 and the circles on stderr when there is one)
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_code(text):
    """Drops comments, string and char literals, so that only code is searched."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not re.match(r"\w", text[i - 1])):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4] + "    ") and not re.match(r"'\w+\b[^']", text[i:i + 20]):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            i += len(m.group(0)) if m else 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_inline_tests(code):
    """Removes `#[cfg(test)] mod name { ... }` blocks: a file's own tests may use anything."""
    out, pos = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+" + IDENT + r"\s*\{", code):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while i < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
        out.append(code[pos:m.start()])
        pos = i
    out.append(code[pos:])
    return "".join(out)


def module_path(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return tuple(rel)


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e] (as lists of segments)."""
    tree = tree.replace(" ", "").replace("\n", "")
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix = tree[:start]
                inner = tree[start + 1:i]
                parts, d, last = [], 0, 0
                for k, c2 in enumerate(inner):
                    if c2 == "{":
                        d += 1
                    elif c2 == "}":
                        d -= 1
                    elif c2 == "," and d == 0:
                        parts.append(inner[last:k])
                        last = k + 1
                parts.append(inner[last:])
                result = []
                for p in parts:
                    if p:
                        result += expand_use(prefix + p)
                return result
    tree = re.sub(r"as" + IDENT + "$", "", tree) if False else re.sub(r"\bas\b.*$", "", tree)
    return [[s for s in tree.split("::") if s]]


class Crate:
    def __init__(self, root):
        self.root = root
        self.files = {}
        for d, _, names in os.walk(root):
            for name in names:
                if name.endswith(".rs") and not (d == root and name == "main.rs"):
                    p = os.path.join(d, name)
                    self.files[module_path(root, p)] = p
        self.code = {m: drop_inline_tests(strip_code(open(p, encoding="utf-8").read())) for m, p in self.files.items()}
        self.test_only = set()
        self.children = {}
        for m, code in self.code.items():
            kids = []
            for cfg, name in re.findall(r"(#\[cfg\(test\)\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", code):
                child = m + (name,)
                if cfg:
                    self.test_only.add(child)
                else:
                    kids.append(name)
            self.children[m] = kids
        # Test-only modules' own children are test-only too.
        changed = True
        while changed:
            changed = False
            for m in list(self.files):
                if m not in self.test_only and any(m[:k] in self.test_only for k in range(1, len(m))):
                    self.test_only.add(m)
                    changed = True
        self.reexports = {}
        for m, code in self.code.items():
            table = {}
            for tree in re.findall(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", code):
                for segs in expand_use(tree):
                    if segs and segs[-1] not in ("*", "self"):
                        table[segs[-1]] = segs
            self.reexports[m] = table

    def absolute(self, here, segs):
        """Turns a path written in module `here` into an absolute module path, or None."""
        if not segs:
            return None
        head = segs[0]
        if head == "crate":
            return list(segs[1:])
        if head == "self":
            return list(here) + list(segs[1:])
        if head == "super":
            base = list(here)
            while segs and segs[0] == "super":
                if not base:
                    return None
                base.pop()
                segs = segs[1:]
            return base + list(segs)
        if head in self.children.get(here, []) or here + (head,) in self.test_only:
            return list(here) + list(segs)
        return None

    def resolve(self, path, depth=0):
        """The file module an absolute path lands in (following `pub use` re-exports)."""
        best = None
        for k in range(len(path), -1, -1):
            if tuple(path[:k]) in self.files:
                best = k
                break
        if best is None:
            return None
        module = tuple(path[:best])
        rest = path[best:]
        if rest and depth < 8 and rest[0] in self.reexports.get(module, {}):
            target = self.absolute(module, self.reexports[module][rest[0]])
            if target is not None:
                inner = self.resolve(target + rest[1:], depth + 1)
                if inner is not None:
                    return inner
        return module

    def edges(self):
        graph = {m: set() for m in self.files if m not in self.test_only}
        self.why = {}
        for m in graph:
            code = self.code[m]
            paths = []
            for tree in re.findall(r"\buse\s+([^;]+);", code):
                paths += expand_use(tree)
            for p in re.findall(r"\b(?:crate|super|self)(?:::" + IDENT + ")+", code):
                paths.append(p.split("::"))
            for kid in self.children[m]:
                for p in re.findall(r"(?<![:\w])" + kid + r"(?:::" + IDENT + ")+", code):
                    paths.append(p.split("::"))
            for segs in paths:
                target = self.absolute(m, segs)
                if target is None:
                    continue
                f = self.resolve(target)
                if f is None or f == m or f in self.test_only or f == ():
                    continue
                graph[m].add(f)
                self.why.setdefault((m, f), set()).add("::".join(segs))
        return graph


def cycles(graph):
    """Tarjan's strongly connected components with more than one file."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def name(crate, m):
    return os.path.relpath(crate.files[m])


def main(roots):
    failed = False
    for root in roots:
        crate = Crate(root)
        graph = crate.edges()
        for comp in cycles(graph):
            failed = True
            members = set(comp)
            print(f"error: {len(comp)} files of {root} import each other in a circle:", file=sys.stderr)
            for m in comp:
                ties = sorted(name(crate, t) for t in graph[m] if t in members)
                print(f"  {name(crate, m)} -> {', '.join(ties)}", file=sys.stderr)
                if os.environ.get("WHY"):
                    for t in sorted(graph[m]):
                        if t in members:
                            print(f"      {name(crate, t)}: {' '.join(sorted(crate.why[(m, t)]))}", file=sys.stderr)
    if failed:
        print("hint: move what both sides need into a module below them (docs/design.md, the layers)", file=sys.stderr)
        return 1
    print(f"no import circle in {', '.join(roots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["src", "emulator/src"]))

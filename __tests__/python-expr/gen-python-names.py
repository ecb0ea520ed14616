#!/usr/bin/python3
"""Prints lib/buildout/python-expr/python-names.ts: the attribute names of the
CPython objects hostout emulates (dir() without dunders). Regenerate with
  /usr/bin/python3 __tests__/python-expr/gen-python-names.py > lib/buildout/python-expr/python-names.ts
robustness.test.ts checks the committed file matches this output."""
import builtins
import json
import os
import platform
import re
import sys


def names(o):
    return sorted(n for n in dir(o) if not n.startswith('__'))


out = {
    'sys': names(sys), 'os': names(os), 'os.path': names(os.path), 'platform': names(platform), 're': names(re),
    'str': names(str), 'bytes': names(bytes), 'list': names(list), 'tuple': names(tuple), 'dict': names(dict),
    'set': names(set), 'frozenset': names(frozenset), 'int': names(int), 'bool': names(bool),
    'float': names(float), 'range': names(range),
    're.Match': names(re.match('a', 'a')), 're.Pattern': names(re.compile('a')), 'os._Environ': names(os.environ),
    'sys.implementation': names(sys.implementation),
    'builtins': names(builtins),
}
print("""/**
 * Attribute names that exist on the real CPython 3.11 objects we emulate
 * (`dir(x)` without dunders), generated with Debian 12's python3 by
 * __tests__/python-expr/gen-python-names.py. They let us tell "Python would
 * raise AttributeError" (name not here) apart from "Python has it but hostout
 * does not emulate it" (a clean 'unsupported' error), instead of wrongly
 * claiming an AttributeError/NameError for e.g. sys.path.
 */""")
print("export const PYTHON_ATTRIBUTE_NAMES: Readonly<Record<string, readonly string[]>> = {")
for k, v in out.items():
    print(f"  {json.dumps(k)}: {json.dumps(v)},")
print("};")

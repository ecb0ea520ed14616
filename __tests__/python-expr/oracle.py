#!/usr/bin/python3
"""Test oracle: evaluates section-condition sources exactly as zc.buildout
2.13.2 does (eval(source, _default_globals())[0]) and prints one JSON result
per input line.

stdin:  one JSON string per line (the source, e.g. "[linux and bits64]")
stdout: one JSON object per line:
        {"truth": bool, "repr": repr(eval(...))}  or  {"error": "Type: message", "type": "Type"}
"""
import collections
import collections.abc
import json
import signal
import sys
import warnings

# zc.buildout 2.13.2 imports collections.MutableMapping, removed in Python 3.10.
collections.MutableMapping = collections.abc.MutableMapping
warnings.simplefilter('ignore')  # SyntaxWarnings ("is" with a literal, ...)

import zc.buildout.buildout  # noqa: E402


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout('took more than 2 seconds')


signal.signal(signal.SIGALRM, on_alarm)
# Keep our protocol on the real stdout; anything an expression prints goes to stderr.
out = sys.stdout
sys.stdout = sys.stderr
context = zc.buildout.buildout._default_globals()

for line in sys.stdin:
    source = json.loads(line)
    signal.alarm(2)
    try:
        value = eval(source, dict(context))
        result = {'truth': bool(value[0]), 'repr': repr(value)}
    except BaseException as e:  # noqa: B902 - we report every failure
        name = type(e).__name__
        result = {'error': name + ': ' + str(e), 'type': name}
    finally:
        signal.alarm(0)
    out.write(json.dumps(result) + '\n')
    out.flush()

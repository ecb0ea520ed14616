# What a deploy runs on production in its flip's round trip once the flip went through (docs/pushdeploy.md):
# the restart lines, one after another in the site's directory, stopping at the first that fails. The
# lock tells what it is doing (phase restart) and its lease is renewed on production meanwhile, by a
# loop detached from the round trip (its output goes nowhere, so it never holds the connection open).
# Set by the caller (releases.ts), each a quoted assignment: site (PATH), renew (the lock's renewal:
# sh/lock.sh with its values), every (seconds between renewals); the lines are the positional parameters.
# Prints `@@hostout:ran N` before line N, and `@@hostout:failed N STATUS` when it fails; `failed` is
# left set for what follows in the same script (the prune and the unlock run only when it is empty).
# shellcheck disable=SC2154 # site, renew and every are set by the caller
sh -c "$renew" > /dev/null 2>&1
# The renewer ends with this shell ($$ is its pid in the subshell too): a lease is never renewed for a deploy that is gone.
( while sleep "$every" && kill -0 "$$" 2>/dev/null; do sh -c "$renew"; done ) > /dev/null 2>&1 < /dev/null &
renewer=$!
i=0; failed=
for line do
  i=$((i + 1))
  # Written before each line: when hostout is gone (killed, connection lost) the write ends this shell (SIGPIPE) and no further line runs.
  echo "@@hostout:ran $i"
  # The line's output goes to stderr: stdout carries the answer, and a failure's message quotes stderr's last lines.
  ( cd "$site" && sh -c "$line" ) < /dev/null 1>&2 || { failed="$i $?"; break; }
done
kill "$renewer" 2>/dev/null; wait "$renewer" 2>/dev/null
if [ -n "$failed" ]; then echo "@@hostout:failed $failed"; fi

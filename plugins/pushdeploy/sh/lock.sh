# hostout's deploy lock (docs/pushdeploy.md): PATH/.hostout/lock, a directory made with mkdir, holding `holder`.
# Set by the caller (lock.ts), each a quoted assignment: action (attempt, takeover, renew, release, ours, force),
# d (PATH/.hostout), token, holder (the holder's JSON without its closing brace), lease and grace (seconds),
# stale (for takeover: the token of the stale holder, empty when it recorded none).
# shellcheck disable=SC2154 # every variable above is set by the caller
# The holder line, its lease on production's clock.
write_holder() { printf '%s,"leaseUntil":%s}\n' "$holder" "$(( $(date +%s) + lease ))" > "$1"; }
ours() { grep -qF -- "$token" "$d/lock/holder" 2>/dev/null; }
# `acquired` and the flip journal (recovery needs no round trip of its own); `locked` is set for what runs after.
case $action in
attempt)
  locked=
  mkdir -p "$d" || exit 3
  if mkdir "$d/lock" 2>/dev/null; then
    write_holder "$d/lock/holder" || exit 3
    echo acquired
    # shellcheck disable=SC2034 # read by what the caller runs after this program in the same script (lock.ts)
    cat "$d/journal" 2>/dev/null || locked=yes
  else
    echo held; date +%s; stat -c %Y "$d/lock" 2>/dev/null || date +%s; cat "$d/lock/holder" 2>/dev/null || true
  fi
  ;;
takeover)
  guard=$d/takeover-${stale:-nobody}
  # A guard left by a taker that died is itself stale after a while.
  if ! mkdir "$guard" 2>/dev/null; then
    if [ $(( $(date +%s) - $(stat -c %Y "$guard" 2>/dev/null || date +%s) )) -gt "$grace" ]; then rmdir "$guard"; fi
    mkdir "$guard" 2>/dev/null || { echo lost; exit 0; }
  fi
  if [ -n "$stale" ]; then
    if grep -qF -- "$stale" "$d/lock/holder" 2>/dev/null; then rm -rf "$d/lock"; fi
  elif [ ! -s "$d/lock/holder" ]; then rm -rf "$d/lock"
  fi
  if mkdir "$d/lock" 2>/dev/null; then write_holder "$d/lock/holder"; echo acquired; cat "$d/journal" 2>/dev/null; else echo lost; fi
  rmdir "$guard"
  ;;
renew)
  # Only while the lock is still ours (another command may have taken it over after its lease ran out).
  if ours; then write_holder "$d/lock/holder.tmp" && mv -f "$d/lock/holder.tmp" "$d/lock/holder" && echo renewed; else echo lost; fi
  ;;
release)
  if ours; then rm -rf "$d/lock"; fi
  ;;
ours)
  # Exit status 0 while the lock is still ours.
  ours
  ;;
force)
  if [ -d "$d/lock" ]; then echo held; cat "$d/lock/holder" 2>/dev/null; rm -rf "$d/lock"; else echo free; fi
  ;;
esac

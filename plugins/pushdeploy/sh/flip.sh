# hostout's flip (docs/pushdeploy.md): sh flip.sh PATH FROM TO [TOKEN]
trap '' HUP INT PIPE TERM
d=$1 from=$2 to=$3 token=${4:-}
h=$d/.hostout
r=$h/releases
live() {
  if [ -L "$h/current" ]; then l=$(readlink "$h/current") && echo "${l#releases/}"
  elif [ -f "$h/current" ]; then cat "$h/current"; else echo -; fi
}
trees() { [ "$1" = - ] || cat "$r/$1/trees"; }
ours() { [ -L "$d/$1" ] && [ "$(readlink "$d/$1")" = ".hostout/current/$1" ]; }
# Remove the tree links release $1 has no tree for (1 when one could not be removed).
tidy() {
  keep=" $(trees "$1" | tr '\n' ' ') "; ok=0
  for l in "$d"/* "$d"/.[!.]*; do
    t=${l##*/}
    ours "$t" || continue
    case "$keep" in *" $t "*) continue ;; esac
    rm -f -- "$l" || ok=1
  done
  return $ok
}
# Nothing was switched: say why, undo the links made for TO, say what is live (the journal stays while a tree of it is absent).
stop() {
  echo "$2" >&2
  now=$(live); whole=yes
  for t in $(trees "$now"); do [ -e "$d/$t" ] || whole=; done
  if tidy "$now" && [ -n "$whole" ]; then rm -f "$h/journal"; fi
  echo "live $now"
  exit "$1"
}
if [ -n "$token" ] && ! grep -qF -- "$token" "$h/lock/holder" 2>/dev/null; then
  echo "the deploy lock is not ours any more" >&2; echo "live $(live)"; exit 6
fi
if [ "$to" != - ]; then
  [ -f "$r/$to/trees" ] || { echo "release $to is missing or incomplete ($r/$to has no list of trees)" >&2; echo "live $(live)"; exit 4; }
  # (A tree of the live release still a real directory in PATH, before its conversion, is there too.)
  missing=; for t in $(trees "$to"); do [ -d "$r/$to/$t" ] || { [ "$to" = "$from" ] && [ -d "$d/$t" ]; } || missing="$missing $t"; done
  [ -z "$missing" ] || { echo "release $to is incomplete: $r/$to has no$missing" >&2; echo "live $(live)"; exit 4; }
fi
[ "$from" = - ] || [ -f "$r/$from/trees" ] || { echo "release $from is missing or incomplete ($r/$from has no list of trees)" >&2; echo "live $(live)"; exit 4; }
# shellcheck disable=SC2015 # meant: the one message and exit when any step of the chain fails
printf 'flip %s %s\n' "$from" "$to" > "$h/journal.tmp" && mv -f "$h/journal.tmp" "$h/journal" || { echo "live $(live)"; exit 5; }
if [ "$from" != - ]; then
  # The one-time conversion of trees that are real directories into links through current.
  if [ ! -L "$h/current" ]; then
    # shellcheck disable=SC2015 # meant: the one message and exit when any step of the chain fails
    rm -f "$h/current.tmp" && ln -s "releases/$from" "$h/current.tmp" && mv -T "$h/current.tmp" "$h/current" || stop 5 "cannot make $h/current a link"
  fi
  for t in $(trees "$from"); do
    if [ -d "$d/$t" ] && [ ! -L "$d/$t" ]; then
      [ ! -e "$r/$from/$t" ] || stop 4 "both $d/$t and $r/$from/$t exist"
      mv -- "$d/$t" "$r/$from/$t" || stop 5 "cannot move $d/$t into $r/$from"
    fi
    if [ ! -e "$d/$t" ] && [ ! -L "$d/$t" ] && [ -d "$r/$from/$t" ]; then ln -s ".hostout/current/$t" "$d/$t" || stop 5 "cannot make the link $d/$t"; fi
  done
fi
t0=$(date +%s%N 2>/dev/null)
for t in $(trees "$to"); do
  ours "$t" && continue
  if [ -e "$d/$t" ] || [ -L "$d/$t" ]; then stop 4 "$d/$t is in the way and belongs to no release"; fi
  ln -s ".hostout/current/$t" "$d/$t" || stop 5 "cannot make the link $d/$t"
done
if [ "$to" != - ]; then
  # shellcheck disable=SC2015 # meant: the one message and exit when any step of the chain fails
  rm -f "$h/current.tmp" && ln -s "releases/$to" "$h/current.tmp" && mv -T "$h/current.tmp" "$h/current" || stop 5 "cannot switch $h/current to release $to"
fi
t1=$(date +%s%N 2>/dev/null)
tidy "$to" || echo "warning: a link of a tree release $to has not could not be removed (it points at nothing; the next flip removes it)" >&2
rm -f "$h/journal"
echo "live $to"
case "$t0$t1" in *[!0-9]*|'') echo "flipped" ;; *) echo "flipped in $(( (t1 - t0) / 1000 )) us" ;; esac

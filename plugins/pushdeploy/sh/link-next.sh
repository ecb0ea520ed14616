# shellcheck disable=SC2154 # eu (the effective user) and trees (plain tree names) are set by the caller, nextScript() in releases.ts
h=$PWD/.hostout; n=$PWD/.hostout/next
fallback() { rm -rf "$n" && mkdir "$n" || exit 1; echo link-dest; exit 0; }
[ "$(find . -maxdepth 0 -printf x 2>/dev/null)" = x ] || fallback
# The live trees: in the live release's directory (PATH/<tree> are links into it), or real directories in PATH before the first switch.
if [ -L .hostout/current ]; then cd -P .hostout/current || fallback; fi
# rsync sets the owner only as root (--chown); logged in as anyone else than root or the effective user, the owner is set after the transfer, on every file: the live ones too.
own=; if [ "$(id -u)" = 0 ]; then own=$eu; elif [ "$(id -un)" != "$eu" ]; then fallback; fi
fmt='%y %s %T@ %m\t%p\n'; [ -z "$own" ] || fmt='%y %s %T@ %m %u\t%p\n'
live=; for t in $trees; do [ -d "$t" ] && [ ! -L "$t" ] && live="$live $t"; done
: > "$h/live.list"
if [ -n "$live" ]; then
  # The live files' attributes are listed while the links are made (two walks of the same trees, two cores).
  # shellcheck disable=SC2086 # $live is a list of plain tree names, split into words on purpose
  find $live \( -type f -o -type l \) -printf "$fmt" > "$h/live.list" & lister=$!
  for t in $live; do cp -al -- "$t" "$n/$t" || { wait $lister; fallback; }; done
  wait $lister || fallback
fi
# rsync 3.1.3+ compares times to the nanosecond (ns=1). hostout runs an older one with --checksum (ns=0), which
# sets the new time of a file whose content is unchanged in place: on the inode the live tree shares.
ns=$(rsync --version 2>/dev/null | awk 'NR == 1 { sub(/^v/, "", $3); split($3, v, "."); print (v[1] > 3 || (v[1] == 3 && (v[2] > 1 || (v[2] == 1 && v[3] + 0 >= 3)))) ? 1 : 0 }')
# Files rsync would not rewrite (same type and size and, for files, the same time to the nanosecond: rsync runs with --modify-window=-1;
# or, with ns=0, possibly the same content) but whose attributes it would set in place.
# Each line: what the copy's time is set to (a file whose content rsync would not compare), or - (a symbolic link,
# whose target rsync compares itself, or ns=0, where rsync compares content), a tab, the path.
awk -F '\t' -v own="$own" -v ns="${ns:-1}" '
  NR == FNR { s[$2] = $1; next }
  ($2 in s) {
    split(s[$2], a, " "); split($1, b, " ")
    if (a[1] != b[1] || a[2] != b[2]) next
    split(a[3], x, "."); split(b[3], y, ".")
    t = x[1] != y[1] || substr(x[2] "000000000", 1, 9) != substr(y[2] "000000000", 1, 9)
    if (a[1] == "f" && t && ns) next
    if (t || (a[1] == "f" && a[4] != b[4]) || (own != "" && b[5] != own)) print (a[1] == "f" && ns ? (x[1] == 0 ? 1 : 0) : "-") "\t" $2
  }' - "$h/live.list" > "$h/own.list" || fallback
# Such a file's content was never compared: the same size and time do not make the same bytes (a file
# rewritten and given its old time back, by cp -p, tar or touch). Its copy gets another time (the epoch,
# which staging's file has not), so rsync sends it as a changed file: its delta transfer checks every
# block of the copy against staging's and the whole file by checksum, sending only what differs. That
# costs no round trip (a --checksum pass over these files would cost one, and hashes in staging's
# listing would mean reading every staged file on every deploy).
copied=0; tab=$(printf '\t')
while IFS="$tab" read -r e p; do
  cp -a -- "$n/$p" "$n/$p.hostout-own" && mv -f -- "$n/$p.hostout-own" "$n/$p" || exit 1
  [ "$e" = - ] || touch -m -d "@$e" -- "$n/$p" || exit 1
  copied=$((copied + 1))
done < "$h/own.list"
rm -f "$h/live.list" "$h/own.list"
echo "linked $copied"

# What production's releases are, printed in sections (`@@hostout:NAME` lines) that state.ts reads.
# Set by the caller (state.ts), each a quoted assignment: d (PATH/.hostout), site (PATH), trees (the
# tree names to look for in PATH: plain names, TREE_NAME in releases.ts, so the list splits on spaces).
# shellcheck disable=SC2154 # d, site and trees are set by the caller
echo @@hostout:whoami; id -un
# A link to releases/<ID>; a file naming the id before the first switch (trees still real directories).
echo @@hostout:current; if [ -L "$d/current" ]; then readlink "$d/current"; else cat "$d/current" 2>/dev/null; fi
echo @@hostout:journal; cat "$d/journal" 2>/dev/null
# shellcheck disable=SC2086 # $trees is a list of plain tree names, split into words on purpose
echo @@hostout:live; for t in $trees; do [ -e "$site/$t" ] && echo "$t"; done
echo @@hostout:releases; for m in "$d"/releases/*/meta.json; do [ -f "$m" ] && [ -f "${m%/meta.json}/trees" ] && { tr -d '\n' < "$m"; echo; }; done
true

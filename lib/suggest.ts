/**
 * Did-you-mean: the candidate nearest to a mistyped word, when one is near
 * enough to be a likely typo (edit distance from fastest-levenshtein).
 */
import { distance } from 'fastest-levenshtein';

/** Case, `_` for `-` and a dropped `-` are the usual slips; compare without them too. */
const loose = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');

/** How far a typo may be from the word meant: 1 edit for short names, 2 from 5 characters, 3 from 12. */
const allowed = (name: string): number => (name.length >= 12 ? 3 : name.length >= 5 ? 2 : 1);

/** Two neighbouring letters swapped (`wbe`, `quite`): one slip, though Levenshtein counts two edits. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length && diff.length <= 2; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]];
}

/** Edit distance, counting a swap of neighbours as one edit. */
const edits = (a: string, b: string): number => (isTransposition(a, b) ? 1 : distance(a, b));

/**
 * The nearest candidate, or undefined. `prefix`: a start of a candidate (3+
 * characters) counts as near, as optparse's abbreviations (`--dry`, `--conf`) did.
 */
export function nearest(word: string, candidates: Iterable<string>, opts: { prefix?: boolean } = {}): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = Math.min(edits(word, c), edits(loose(word), loose(c)) + (loose(word) === loose(c) ? 0 : 0.5));
    const score = opts.prefix && word.length >= 3 && c.startsWith(word) ? Math.min(d, 1) : d;
    if (score <= allowed(c) && score < bestScore) { best = c; bestScore = score; }
  }
  return best;
}

/** ` Did you mean 'X'?` (with the leading space), or '' when nothing is near. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = (s: string) => `'${s}'`): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : ` Did you mean ${quote(n)}?`;
}

/**
 * Did-you-mean: the candidate nearest to a mistyped word, when one is near
 * enough to be a likely typo (edit distance from fastest-levenshtein).
 */
import { distance } from 'fastest-levenshtein';

/** Case, `_` for `-` and a dropped `-` are the usual slips; compare without them too. */
const loose = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');

/** How far a typo may be from the word meant: 1 edit for short names, 2 from 6 characters, 3 from 12. */
const allowed = (name: string): number => (name.length >= 12 ? 3 : name.length >= 6 ? 2 : 1);

/**
 * The nearest candidate, or undefined. `prefix`: a start of a candidate (3+
 * characters) counts as near, as optparse's abbreviations (`--dry`, `--conf`) did.
 */
export function nearest(word: string, candidates: Iterable<string>, opts: { prefix?: boolean } = {}): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = Math.min(distance(word, c), distance(loose(word), loose(c)) + (loose(word) === loose(c) ? 0 : 0.5));
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

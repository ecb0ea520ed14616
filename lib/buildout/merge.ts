/**
 * Merging of annotated sections: zc.buildout's `_update` and
 * `_update_section`, with the exact sort order of `+=`/`-=`
 * processing and the in-place mutation of the base section's SectionKeys
 * (the source of several 2.13.2 quirks, e.g. in a diamond of extends the later
 * branch's whole value wins, even over a `+=` of the earlier one).
 */
import { SectionKey, IMPLICIT_VALUE, type SourceLocation } from './section-key';
import { SHORT_SORT, insertionSort, pyCompare, pyRstripChars } from './pywhitespace';
import { BuildoutUserError } from './user-error';

/** option name → SectionKey; a Map keeps Python's dict insertion order. */
export type AnnotatedSection = Map<string, SectionKey>;
/** section name → options. */
// Loops over Maps here use forEach, not for…of: the config-engine modes run
// without TurboFan (lib/cli/main.ts), and there every for…of step allocates an
// iterator result and an entry array — most of a resolve's garbage.
export type AnnotatedData = Map<string, AnnotatedSection>;

/** `_annotate_section`: wrap raw values as SectionKeys from one source. */
export function annotateSection(
  raw: Map<string, { value: string; line?: number }> | Map<string, string>,
  source: string,
  file?: string,
): AnnotatedSection {
  const out: AnnotatedSection = new Map();
  (raw as Map<string, { value: string; line?: number } | string>).forEach((v, k) => {
    if (typeof v === 'string') out.set(k, new SectionKey(v, source));
    else {
      const loc: SourceLocation | undefined = file ? { file, line: v.line } : undefined;
      out.set(k, new SectionKey(v.value, source, loc));
    }
  });
  return out;
}

export function unannotateSection(section: AnnotatedSection): Map<string, string> {
  const out = new Map<string, string>();
  section.forEach((v, k) => out.set(k, v.value));
  return out;
}

export function cloneSection(section: AnnotatedSection): AnnotatedSection {
  const out: AnnotatedSection = new Map();
  section.forEach((v, k) => out.set(k, v.clone()));
  return out;
}

export function cloneData(data: AnnotatedData): AnnotatedData {
  const out: AnnotatedData = new Map();
  data.forEach((v, k) => out.set(k, cloneSection(v)));
  return out;
}

const isOperatorKey = (k: string): boolean => k.endsWith('+') || k.endsWith('-');

/** The `+=`/`-=` keys of a section in the order Python processes them (most sections have none: no sort then). */
function operatorKeysInOrder(section: Map<string, unknown>): string[] {
  const ops: string[] = [];
  section.forEach((_, k) => {
    if (isOperatorKey(k)) ops.push(k);
  });
  if (ops.length < 2) return ops;
  return ops.length <= SHORT_SORT ? insertionSort(ops, compareOperatorKeys) : ops.sort(compareOperatorKeys);
}

/** The sort key Python uses: (k.rstrip(' +'), k[-1]). */
function compareOperatorKeys(a: string, b: string): number {
  const c = pyCompare(pyRstripChars(a, ' +'), pyRstripChars(b, ' +'));
  return c !== 0 ? c : pyCompare(a[a.length - 1], b[b.length - 1]);
}

/** Python's sort key indexes k[-1], so an empty option name (only possible from the command line) crashes it. */
function refuseEmptyName(where: SourceLocation | undefined): never {
  throw new BuildoutUserError(
    'an option with an empty name cannot be merged into an existing section (buildout fails with IndexError)',
    where ?? { file: 'a command-line assignment such as s:=1' },
  );
}

/** `_update_section(s1, s2)`: mutates and returns s1; s2 is left as it was. */
export function updateSection(s1: AnnotatedSection, s2: AnnotatedSection): AnnotatedSection {
  return mergeGivenSection(s1, cloneSection(s2));
}

/**
 * `_update_section(s1, s2)` for an s2 the caller gives away: its keys move
 * into s1 (or are changed and dropped). Python's deepcopy of s2 only keeps the
 * caller's s2 intact, so it is skipped here: that was a clone of every option
 * at every extends level.
 */
function mergeGivenSection(s1: AnnotatedSection, s2: AnnotatedSection): AnnotatedSection {
  if (s2.has('')) refuseEmptyName(s2.get('')!.location);
  const ops = operatorKeysInOrder(s2);
  for (let i = 0; i < ops.length; i++) {
    const k = ops[i];
    const v = s2.get(k)!;
    const adding = k.endsWith('+');
    const key = pyRstripChars(k, adding ? ' +' : ' -');
    const sk = s2.get(key) ?? s1.get(key) ?? new SectionKey('', IMPLICIT_VALUE);
    if (adding) sk.addToValue(v.value, v.source, v.location);
    else sk.removeFromValue(v.value, v.source, v.location);
    s2.set(key, sk);
    s2.delete(k);
  }
  s2.forEach((v2, key) => {
    const v1 = s1.get(key);
    if (v1) v1.overrideValue(v2);
    else s1.set(key, v2);
  });
  return s1;
}

/**
 * `_update(d1, d2)`: mutates and returns d1; new sections are taken as they
 * are (no +=/- processing). d2 is given away: its sections and keys end up in
 * d1, so the caller must not use it afterwards.
 */
export function updateData(d1: AnnotatedData, d2: AnnotatedData): AnnotatedData {
  d2.forEach((section, name) => {
    const existing = d1.get(name);
    d1.set(name, existing ? mergeGivenSection(existing, section) : section);
  });
  return d1;
}

/**
 * `_update_section` on plain string values (no history), as macro expansion
 * uses it (it annotates with source "" and throws the history away).
 * Same semantics as updateSection for the values; mutates and returns s1.
 */
export function updateRawSection(s1: Map<string, string>, s2in: Map<string, string>): Map<string, string> {
  if (s2in.has('')) refuseEmptyName(undefined);
  const ops = operatorKeysInOrder(s2in);
  if (!ops.length) {
    // Nothing to process: no working copy of s2 needed.
    s2in.forEach((v2, key) => s1.set(key, v2));
    return s1;
  }
  // Copied with forEach: new Map(map) steps an iterator (an entry array per option) without TurboFan.
  const s2 = new Map<string, string>();
  s2in.forEach((v, k) => s2.set(k, v));
  for (let i = 0; i < ops.length; i++) {
    const k = ops[i];
    const v = s2.get(k)!;
    const adding = k.endsWith('+');
    const key = pyRstripChars(k, adding ? ' +' : ' -');
    const base = s2.get(key) ?? s1.get(key) ?? '';
    let value: string;
    if (adding) value = base.split('\n').concat(v.split('\n')).join('\n');
    else {
      const gone = new Set(v.split('\n'));
      value = base
        .split('\n')
        .filter((l) => !gone.has(l))
        .join('\n');
    }
    s2.set(key, value);
    s2.delete(k);
  }
  s2.forEach((v2, key) => s1.set(key, v2));
  return s1;
}

/**
 * `buildout annotate` and `buildout query` output, byte for byte: sorted sections and keys, raw values, terse or verbose history with
 * sources shown relative to the buildout directory by a plain prefix test.
 */
import type { AnnotatedData } from './merge';
import type { HistoryItem, SectionKey } from './section-key';
import { pyRepr, pySorted, pySplitlines, pyStrip, pathRelpath } from './pywhitespace';
import { BuildoutUserError } from './user-error';

function sourceForHuman(source: string, basedir: string, cwd: string): string {
  return source.startsWith(basedir) ? pathRelpath(source, basedir, cwd) : source;
}

function keyAndValue(key: string, sk: SectionKey, out: string[]): void {
  const lines = pySplitlines(sk.value);
  if (lines.length <= 1) out.push(sk.value ? `${key}= ${sk.value}` : `${key}=`);
  else {
    out.push(`${key}= ${lines[0]}`);
    for (const line of lines.slice(1)) out.push(line);
  }
}

function terse(sk: SectionKey, basedir: string, cwd: string, out: string[]): void {
  const collected: string[] = [];
  for (let i = sk.history.length - 1; i >= 0; i--) {
    const item = sk.history[i];
    const src = sourceForHuman(item.source, basedir, cwd);
    if (item.operation === 'ADD') collected.push('+=  ' + src);
    else if (item.operation === 'REMOVE') collected.push('-=  ' + src);
    else {
      collected.push('    ' + src);
      break;
    }
  }
  for (const line of collected.reverse()) if (pyStrip(line) !== '') out.push(line);
}

function verboseItem(item: HistoryItem, basedir: string, cwd: string, out: string[]): void {
  const prefix = ['DEFAULT_VALUE', 'COMPUTED_VALUE', 'COMMAND_LINE_VALUE'].includes(item.source) ? 'AS' : 'IN';
  out.push(`   ${prefix} ${sourceForHuman(item.source, basedir, cwd)}`);
  const lines = pySplitlines(item.value);
  if (lines.length <= 1) out.push(`   ${item.operation} VALUE = ${item.value}`);
  else {
    out.push(`   ${item.operation} VALUE =`);
    for (const line of lines) out.push(`      ${line}`);
  }
}

/** The whole `buildout annotate [sections…]` stdout. */
export function renderAnnotate(
  data: AnnotatedData,
  verbose: boolean,
  chosen: string[],
  basedir: string,
  cwd: string,
): string {
  const out: string[] = ['', 'Annotated sections', '=================='];
  for (const section of pySorted(data.keys())) {
    if (chosen.length && !chosen.includes(section)) continue;
    out.push('', `[${section}]`);
    const options = data.get(section)!;
    for (const key of pySorted(options.keys())) {
      const sk = options.get(key)!;
      keyAndValue(key, sk, out);
      if (verbose) {
        out.push('');
        for (let i = sk.history.length - 1; i >= 0; i--) verboseItem(sk.history[i], basedir, cwd, out);
        out.push('');
      } else terse(sk, basedir, cwd, out);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * `buildout query [section:]option`: the raw value, or the buildout error.
 * Returns the text buildout prints (with a final newline).
 */
export function renderQuery(raw: Map<string, Map<string, string>>, arg: string, verbose: boolean): string {
  const parts = arg.split(':');
  if (parts.length > 2) throw new BuildoutUserError(`Invalid option: ${arg}`);
  const [section, option] = parts.length === 1 ? ['buildout', parts[0]] : parts;
  const head = verbose ? `\${${section}:${option}}\n` : '';
  const s = raw.get(section);
  if (!s) throw new BuildoutUserError(`Section not found: ${section}`);
  const v = s.get(option);
  if (v === undefined) throw new BuildoutUserError(`Key not found: ${option}`);
  return head + v + '\n';
}

export { pyRepr };

/**
 * The line grammar of zc.buildout 2.13.2's configparser.py,
 * reproduced statement by statement, including its quirks: only `=`
 * separates a name from its value, comments only in column 0, block-mode
 * values (first line empty) keep relative indentation, repeated sections
 * merge and repeated options replace, conditional headers `[name:expr]`.
 *
 * Where Python raises ParsingError / MissingSectionHeaderError (a traceback
 * in buildout) we raise a ConfigError that names the file and line.
 */
import { ConfigError } from '../errors';
import type * as PythonExpr from './python-expr';
import {
  PY_WS_CLASS,
  isPySpace,
  isPySpaceCode,
  pyDedent,
  pyRepr,
  pyRstrip,
  pyStrip,
  stripLeadingBlankLines,
} from './pywhitespace';

// The expression evaluator is loaded on first use: most configurations have
// no conditional headers, and loading it costs a noticeable part of start-up.
let pythonExpr: typeof PythonExpr | undefined;
function expressionEvaluator(): typeof PythonExpr {
  return (pythonExpr ??= require('./python-expr') as typeof PythonExpr);
}

/** One option as the parser saw it: its value and the line where it started. */
export interface ParsedOption {
  value: string;
  line: number;
}
/** section name → option name → value; Maps keep Python's dict insertion order. */
export type ParsedConfig = Map<string, Map<string, ParsedOption>>;

const W = PY_WS_CLASS;
// Python's `$` (end, or before a final \n) is `(?=\n?$)` in JS; `.` is [^\n].
const SECTION_HEADER = new RegExp(
  `^(\\[)[${W}]*([^${W}#[\\]:;{}]+)[${W}]*(:([^#;]*))?[${W}]*(\\][${W}]*([#;][^\\n]*)?(?=\\n?$))`,
);
/**
 * configparser's option line is `^([^\s{}[\]=:]+\s*[-+]?)=(.*)$`. The name
 * part cannot contain `=`, so it is all that precedes the first `=`; testing
 * just that part saves the match array and substrings of an exec per line.
 */
const OPTION_NAME = new RegExp(`^[^${W}{}[\\]=:]+[${W}]*[-+]?$`);

/** Split text the way Python iterates a universal-newlines text file. */
export function splitPythonLines(text: string): string[] {
  const normalized = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = normalized.indexOf('\n', start);
    if (nl < 0) break;
    lines.push(normalized.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < normalized.length) lines.push(normalized.slice(start));
  return lines;
}

/**
 * A configuration line as an error quotes it: Python's repr (control characters
 * escaped, nothing reaches the terminal raw), at most 80 characters. Only lines
 * after a section header are quoted (see parseConfig).
 */
function shown(line: string): string {
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  return pyRepr(body.length > 80 ? body.slice(0, 77) + '...' : body);
}

/** Why configparser would reject `line`, in words a buildout user knows. */
function explainBadLine(line: string, hasOption: boolean): string {
  const body = line.replace(/\n$/, '');
  if (isPySpace(body[0] ?? '') && !hasOption) {
    return 'an indented line must continue an option, but no option precedes it in this section';
  }
  if (body.startsWith('[')) {
    return "not a valid section header (a name cannot contain whitespace or # ; : { } [ ]; only a # or ; comment may follow ']'; inside a condition write \\x23 for # and \\x3b for ;)";
  }
  const eq = body.indexOf('=');
  if (eq < 0) return body.includes(':') ? "an option needs '=' (':' is not a separator in buildout)" : "an option needs '='";
  return 'invalid option name (a name cannot contain whitespace, { } [ ] : or =, and only one + or - may precede =)';
}

/**
 * Parse one configuration file's text. `fileLabel` is what errors name.
 * Throws ConfigError with the file and line of the first problem.
 */
export function parseConfig(text: string, fileLabel: string): ParsedConfig {
  const sections: ParsedConfig = new Map();
  let cursect: Map<string, ParsedOption> | undefined;
  let optname: string | undefined;
  let blockmode = false;
  let sectionCondition = true;
  const badLines: { line: number; why: string; text: string }[] = [];

  const lines = splitPythonLines(text);
  for (let idx = 0; idx < lines.length; idx++) {
    const lineno = idx + 1;
    let line = lines[idx];
    if (line[0] === '#' || line[0] === ';') continue;

    if (cursect !== undefined && optname !== undefined && isPySpaceCode(line.charCodeAt(0))) {
      if (!sectionCondition) continue;
      if (blockmode) line = pyRstrip(line);
      else {
        line = pyStrip(line);
        if (!line) continue;
      }
      const opt = cursect.get(optname)!;
      opt.value = opt.value + '\n' + line;
      continue;
    }

    const header = line[0] === '[' ? SECTION_HEADER.exec(line) : null;
    if (header) {
      sectionCondition = true;
      const name = header[2];
      const expression = header[4];
      if (expression) {
        const tail = header[5].replace(/;/g, '#');
        const expr = expression.replace(/\\x23/g, '#').replace(/\\x3b/g, ';');
        const { evaluateSectionCondition, PythonExprError } = expressionEvaluator();
        try {
          sectionCondition = evaluateSectionCondition(header[1] + expr + tail);
        } catch (err) {
          if (err instanceof PythonExprError) {
            throw new ConfigError(
              `cannot evaluate the condition of section header ${shown(line)}: ${err.message}`,
              { file: fileLabel, line: lineno },
            );
          }
          throw err;
        }
        if (!sectionCondition) continue;
      }
      cursect = sections.get(name);
      if (!cursect) {
        cursect = new Map();
        sections.set(name, cursect);
      }
      optname = undefined;
    } else if (cursect === undefined) {
      if (!pyStrip(line)) continue;
      // Before its first section header a file has not shown that it is configuration at all
      // (`extends = /proc/self/environ`, a .env file, a key): its text is never quoted.
      let why = 'the file has no [section] header before this line';
      if (lineno === 1 && line.startsWith('\ufeff')) {
        why = 'the file starts with a UTF-8 byte order mark (BOM), which buildout does not accept; save it without the BOM';
      } else if (line.startsWith('[')) why = explainBadLine(line, false);
      else if (!sectionCondition) why += ' (the only header above has a false condition, so its options have no section)';
      throw new ConfigError(`cannot parse this line (not shown: nothing before it says the file is configuration): ${why}`, {
        file: fileLabel,
        line: lineno,
      });
    } else {
      if (line.startsWith('=>')) line = '<part-dependencies> = ' + line.slice(2);
      const eq = line.indexOf('=');
      const name = eq > 0 ? line.slice(0, eq) : '';
      if (eq > 0 && OPTION_NAME.test(name)) {
        if (!sectionCondition) continue;
        optname = pyRstrip(name);
        const optval = pyStrip(line.slice(eq + 1)); // strips the line's \n too
        cursect.set(optname, { value: optval, line: lineno });
        blockmode = optval === '';
      } else if (!(optname !== undefined || pyStrip(line))) {
        continue;
      } else {
        badLines.push({ line: lineno, why: explainBadLine(line, optname !== undefined), text: line });
      }
    }
  }

  if (badLines.length) {
    const first = badLines[0];
    const more = badLines.length > 1 ? ` (also lines ${badLines.slice(1, 6).map((b) => b.line).join(', ')}${badLines.length > 6 ? ', …' : ''})` : '';
    throw new ConfigError(`cannot parse ${shown(first.text)}: ${first.why}${more}`, { file: fileLabel, line: first.line });
  }

  sections.forEach((section) => section.forEach(dedentBlockValue));
  return sections;
}

/** A value whose first line was empty keeps its lines' relative indentation. */
function dedentBlockValue(opt: ParsedOption): void {
  if (isPySpaceCode(opt.value.charCodeAt(0))) {
    opt.value = stripLeadingBlankLines(pyDedent(pyRstrip(opt.value)));
  }
}

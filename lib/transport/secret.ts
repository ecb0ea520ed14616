/**
 * Secrets masked by construction (the idea of pyinfra's MaskString).
 *
 * A `Secret` holds a value that must reach a process but never a person: it
 * prints as ******** wherever it ends up by accident (string conversion,
 * JSON, util.inspect). A `Line` is a command line built in two renderings at
 * once: `actual`, what runs, and `shown`, what logs, records, `--dry-run`,
 * `--json` and error messages may print. Every builder in command-line.ts
 * works on Lines, so a secret put into a command by `secret()` or an `env`
 * value can only ever appear in `actual`. The host's password options are
 * masked in `shown` as well (a plugin may have written one into a plain
 * string), and in every output line of a command that carried them.
 */
import { inspect } from 'node:util';
import { shellQuote } from './quote';

export const MASK = '********';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The real value: only the transport calls this, to hand it to a process. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return MASK;
  }
}

/** Mark a value as secret: `ctx.remote.run(sh\`mysql -p${secret(pw)}\`)`, or an `env` value. */
export function secret(value: string): Secret {
  return new Secret(value);
}

/** A command line in its two renderings. */
export interface Line {
  readonly actual: string;
  readonly shown: string;
  /** The secret values inside `actual`, so their output can be masked too. */
  readonly secrets: readonly string[];
}

/** What the primitives accept as a command: plain text, or a Line made by `sh` or the builders. */
export type CommandText = string | Line;

export function isLine(value: unknown): value is Line {
  return typeof value === 'object' && value !== null && typeof (value as Line).actual === 'string' && typeof (value as Line).shown === 'string';
}

/** Plain text (no secret of its own), or a Line as it is. */
export function toLine(text: CommandText): Line {
  return typeof text === 'string' ? { actual: text, shown: text, secrets: [] } : text;
}

/** A value as one shell word in both renderings. */
export function quoteValue(value: string | Secret): Line {
  if (value instanceof Secret) return { actual: shellQuote(value.reveal()), shown: MASK, secrets: [value.reveal()] };
  const q = shellQuote(value);
  return { actual: q, shown: q, secrets: [] };
}

/** A Line quoted as one shell word (`sh -c '<line>'`). */
export function quoteLine(line: Line): Line {
  return { actual: shellQuote(line.actual), shown: shellQuote(line.shown), secrets: line.secrets };
}

/** Concatenate pieces (plain text is taken as written, not quoted). */
export function joinLines(pieces: readonly CommandText[], separator = ''): Line {
  const lines = pieces.map(toLine);
  return {
    actual: lines.map((l) => l.actual).join(separator),
    shown: lines.map((l) => l.shown).join(separator),
    secrets: lines.flatMap((l) => l.secrets),
  };
}

/**
 * A command line from a template, every interpolated value quoted as one
 * shell word (a Secret masked, a Line inserted as it is):
 * sh`cp ${src} ${dest}` → `cp 'my file' /tmp`.
 */
export function sh(strings: TemplateStringsArray, ...values: (string | number | Secret | Line)[]): Line {
  const pieces: CommandText[] = [strings[0]];
  values.forEach((v, i) => {
    pieces.push(isLine(v) ? v : quoteValue(typeof v === 'number' ? String(v) : v), strings[i + 1]);
  });
  return joinLines(pieces);
}

/**
 * The spellings a secret may take in printed text: as it is, inside single
 * quotes as shellQuote writes it (`'` → `'\''`), and inside a JSON string.
 */
function spellings(value: string): string[] {
  return [value, value.replace(/'/g, `'\\''`), JSON.stringify(value).slice(1, -1)];
}

/**
 * Option names whose values are secrets: the password options (`password`,
 * `buildout-password`, `sudo-password`), `identity-passphrase`, and any a
 * plugin reads (`api-token`, `deploy-secret`).
 */
const SECRET_OPTION = /password|passphrase|secret|token/i;

/**
 * The one list of a host's secrets, which every output path masks (the
 * front's lines, the step events, the run log, the CLI's output mask): the
 * values of its secret-named options, and `extra` values that come from
 * elsewhere (the key passphrase from $HOSTOUT_IDENTITY_PASSPHRASE). A value of
 * white space only is no secret (masking it would mangle every line).
 */
export function secretsOf(options: Readonly<Record<string, string | undefined>>, extra: readonly (string | undefined)[] = []): string[] {
  const values = [...Object.entries(options).filter(([k]) => SECRET_OPTION.test(k)).map(([, v]) => v), ...extra];
  return [...new Set(values.filter((v): v is string => v !== undefined && v.trim().length > 0))];
}

/** Replace every occurrence of each non-empty secret in `text` (in any of its spellings) with MASK. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  const list = [...new Set(secrets.filter((s): s is string => !!s && s.length > 0).flatMap(spellings))].sort((a, b) => b.length - a.length);
  for (const value of list) out = out.split(value).join(MASK);
  return out;
}

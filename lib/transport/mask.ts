/**
 * Secret masking for everything the transport prints, records or puts in an
 * error: passwords must never appear in logs, --dry-run output or messages.
 */

export const MASK = '********';

/** Replace every occurrence of each non-empty secret in `text` with MASK. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  const list = secrets.filter((s): s is string => !!s && s.length > 0).sort((a, b) => b.length - a.length);
  for (const secret of list) out = out.split(secret).join(MASK);
  return out;
}

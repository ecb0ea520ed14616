/**
 * Reading what the phases of an all-or-nothing run return (the contract is
 * PreparedRelease and FlipOutcome in types.ts, the public plugin API). A phase
 * command's value reaches hostout as `unknown`: these turn it into the typed
 * result, or nothing when it holds none.
 */
import type { FlipOutcome, PreparedRelease } from './types';

/** `prepare`'s value as a PreparedRelease (a bare string is the release), or undefined when it names no release. */
export function preparedRelease(value: unknown): PreparedRelease | undefined {
  if (typeof value === 'string') return { release: value };
  const v = value as { release?: unknown; live?: unknown } | null | undefined;
  if (typeof v?.release !== 'string') return undefined;
  return { release: v.release, ...(typeof v.live === 'string' ? { live: v.live } : {}) };
}

/** `flip`'s value as a FlipOutcome (a bare string is the release live before). */
export function flipOutcome(value: unknown): FlipOutcome {
  if (typeof value === 'string') return { from: value };
  const from = (value as { from?: unknown } | null | undefined)?.from;
  return typeof from === 'string' ? { from } : {};
}

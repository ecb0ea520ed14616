/**
 * Work and size limits. A section header is configuration, not a program: we
 * refuse (cleanly) anything that would take real Python noticeable time or
 * memory, instead of hanging or running out of memory ourselves.
 */
import { unsupported } from './errors';

export const LIMITS = {
  /** Evaluation steps (node evaluations plus iterated items) per expression. */
  steps: 1_000_000,
  /** Longest str/bytes/list/tuple an expression may build. */
  maxLength: 1_000_000,
  /** Largest int, in bits (Python would manage more, slowly; nobody needs it here). */
  maxIntBits: 65_536,
  /** Nested Python-level calls (lambdas); deeper is Python's RecursionError. */
  maxCallDepth: 100,
  /** Parser recursion (operators and brackets nested in one another). */
  maxParseDepth: 400,
} as const;

let steps = 0;

export function resetBudget(): void {
  steps = 0;
}

/** Counts `n` units of work; throws once the expression has done too much. */
export function tick(n = 1): void {
  steps += n;
  if (steps > LIMITS.steps) {
    throw unsupported(`the expression does too much work (more than ${LIMITS.steps} steps)`);
  }
}

export function checkLength(length: number | bigint, what: string): void {
  if (length > LIMITS.maxLength) {
    throw unsupported(`the expression builds a ${what} longer than ${LIMITS.maxLength} items`);
  }
}

export function checkInt(value: bigint): bigint {
  const abs = value < 0n ? -value : value;
  // Cheap size test: the hex string length is bits/4.
  if (abs > 0xffffn && abs.toString(16).length * 4 > LIMITS.maxIntBits) {
    throw unsupported(`integers larger than ${LIMITS.maxIntBits} bits`);
  }
  return value;
}

/**
 * A dry run says what it is, first and last: `DRY RUN: nothing will be
 * changed` before the plan, and after it what was asked (the command line),
 * what was assumed (answers `--offline` could not read or ask: each
 * reported once, by the recorder or a command's ctx.assume) and what would change (the plan's other lines that
 * follow no question: commands, transfers; offline, reads are listed too).
 *
 * The tally reads the plan lines as the recorder prints them (`[host] …`), so it
 * counts whatever a command records, built-in or plugin.
 */
import type { Paint } from '../io';
import { shellJoin } from '../../transport/quote';

export const DRY_RUN_BANNER = 'DRY RUN: nothing will be changed';

/** A plan line that marks the line before it as a question answered by assumption. */
const ASSUMED = /^\[([^\]]+)\] +\(assumed, not /;
const HOST = /^\[([^\]]+)\] /;

export class DryRunTally {
  assumed = 0;
  /** Per host, the plan lines that would change something. */
  private readonly changes = new Map<string, number>();
  private lastHost: string | undefined;

  /** One plan line, as printed. */
  record(line: string): void {
    const assumed = ASSUMED.exec(line);
    if (assumed) {
      // Counted by assume() (every assumption is reported once there); the line before was the question, not a change.
      const host = assumed[1];
      if (host === this.lastHost) this.changes.set(host, Math.max(0, (this.changes.get(host) ?? 1) - 1));
      this.lastHost = undefined;
      return;
    }
    const host = HOST.exec(line)?.[1];
    if (host === undefined) return;
    this.changes.set(host, (this.changes.get(host) ?? 0) + 1);
    this.lastHost = host;
  }

  /** One answer the plan assumed (the transport's or a command's own, ctx.assume). */
  assume(): void {
    this.assumed++;
  }

  get changeCount(): number {
    return [...this.changes.values()].reduce((a, b) => a + b, 0);
  }

  get hostsChanged(): number {
    return [...this.changes.values()].filter((n) => n > 0).length;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The lines that end a dry run. */
export function dryRunEnd(tally: DryRunTally, argv: readonly string[], offline: boolean, p: Paint): string[] {
  const assumed = tally.assumed === 0
    ? 'nothing'
    : `${plural(tally.assumed, 'answer')} (the "assumed, not …" lines above)`;
  const steps = tally.changeCount === 0
    ? 'nothing'
    : `${plural(tally.changeCount, 'step')} on ${plural(tally.hostsChanged, 'host')} (listed above)`;
  return [
    p.strong('DRY RUN done: nothing was changed.'),
    `  asked:        hostout ${shellJoin([...argv])}`,
    `  assumed:      ${assumed}`,
    // A connecting dry run reads for real and lists only what would change;
    // offline nothing is read, so the list holds the reads too.
    offline ? `  would run:    ${steps}${tally.changeCount ? ', reads included' : ''}` : `  would change: ${steps}`,
  ];
}

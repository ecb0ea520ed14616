/**
 * What the live views (plain lines, listr2) have in common: each renders the
 * lines every layer logs and a running command's passing state, and may
 * follow a plan's events (schedule.ts) to draw it.
 */
import type { Logger } from '../../log';
import type { PlanObserver, PlannedHost, RunPolicy } from '../schedule';

export type LineLevel = 'info' | 'debug' | 'warn' | 'error';

export interface LiveView {
  /** The logger every layer writes to during the run. */
  readonly log: Logger;
  /** A passing state of a host's running command (a transfer's progress); a view may skip it. */
  status(host: string, line: string): void;
  /**
   * Show a prompt's question (a sudo password, a key's passphrase) where the
   * person looks; absent when stderr is that place (the question is written
   * there, the answer typed after it).
   */
  showPrompt?(question: string): void;
  /** Start every line with its host (runs of several hosts); only plain lines have a prefix. */
  prefixHosts: boolean;
  /**
   * Draw a plan: the observer gets the plan's events (and holds each command
   * until it is shown); `drawn` resolves once the view finished drawing it.
   */
  follow?(plan: readonly PlannedHost[], policy: RunPolicy): PlanObserver & { drawn: Promise<void> };
}

export interface LiveViewOptions {
  /** One whole line to stdout or stderr (the CLI's writers, masked). */
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Every line, whatever the verbosity, with the host it belongs to (the run log). */
  tap: (level: LineLevel, host: string | undefined, message: string) => void;
  /** The host a logged line belongs to: named at its start (`[web1] …`), else the running host's. */
  hostOf: (message: string) => string | undefined;
}

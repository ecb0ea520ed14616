/**
 * The plain view (a pipe, CI, -q, -v, --dry-run, --json): progress lines on
 * stdout (like the original's `Hostout:` lines), warnings and errors on
 * stderr; -q keeps only warnings and errors, -v adds debug lines. With more
 * than one host every line starts with its host (`[web1] …`), and each line
 * is written whole, in one write. It follows no plan: the lines are its
 * whole output, and a transfer's passing state is not one (the next replaces it).
 */
import type { Logger, Verbosity } from '../../log';
import { NO_PAINT, type Paint } from '../io';
import type { LineLevel, LiveView, LiveViewOptions } from './live';

export function plainView(opts: LiveViewOptions & { verbosity: Verbosity; paint?: Paint }): LiveView {
  const p = opts.paint ?? NO_PAINT;
  const quiet = opts.verbosity === 'quiet';
  let prefixHosts = false;
  /** Each line of a message, with its host in front when several hosts share the output. */
  const prefixed = (host: string | undefined, message: string): string[] =>
    message.split('\n').map((l) => {
      if (!host || !(prefixHosts || l.startsWith(`[${host}]`))) return l;
      // The host's name in colour (a line that names its host already keeps its words).
      const rest = l.startsWith(`[${host}]`) ? l.slice(host.length + 2) : ` ${l}`;
      return `${p.host(`[${host}]`)}${rest}`;
    });
  const line = (level: LineLevel, show: boolean, write: (l: string) => void, label: string) => (m: string) => {
    const host = opts.hostOf(m);
    opts.tap(level, host, m);
    if (!show) return;
    for (const l of prefixed(host, `${label}${m}`)) write(l);
  };
  const log: Logger = {
    info: line('info', !quiet, opts.stdout, ''),
    debug: line('debug', opts.verbosity === 'verbose', opts.stdout, ''),
    warn: line('warn', true, opts.stderr, p.warning('warning: ')),
    error: line('error', true, opts.stderr, p.error('error: ')),
  };
  return {
    log,
    status: () => undefined,
    // A property that changes during the run (set once the run knows it has several hosts).
    get prefixHosts() { return prefixHosts; },
    set prefixHosts(v: boolean) { prefixHosts = v; },
  };
}

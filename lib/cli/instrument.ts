/**
 * The run's view of the transport: every primitive a command calls on a host
 * (remote run/sudo/put/get/exists, local run, rsync) is timed and reported to
 * a StepSink, and the first one marks the run as having touched a host (the
 * run log is written only then). rsync also gets `--stats`, whose figures
 * become an rsync event.
 *
 * The transport itself may report its steps (with the exact, wrapped command
 * line) through the same StepSink; then `reportSteps: false` leaves that to it.
 */
import type { RsyncStats, StepSink } from '../events';
import { parseRsyncStats } from '../events';
import type { HostSettings } from '../transport/host-settings';
import { maskSecrets, secretsOf, type CommandText } from '../transport/secret';
import { TransportError } from '../errors';
import type { CommandResult, HostTransport, RsyncOptions, TransportFactory } from '../transport/types';

export interface InstrumentOptions {
  steps: StepSink;
  /**
   * Called when a step has reached its host (or ran a local command): once it ended, unless it
   * failed without reaching the host (no connection, no login, a refused host key).
   */
  onTouch(): void;
  /** Report each step (false when the transport reports them itself). */
  reportSteps?: boolean;
}

/** What a step line shows: a Line's masked rendering, or the plain text. */
const shown = (c: CommandText): string => (typeof c === 'string' ? c : c.shown);

function rsyncLine(o: RsyncOptions): string {
  const from = (Array.isArray(o.from) ? o.from : [o.from]).join(' ');
  return o.direction === 'push' ? `rsync ${from} -> ${o.to}` : `rsync ${from} <- ${o.to}`;
}

/** Whether a step that failed with `err` reached its host: not when it could not connect or log in. */
function reachedHost(err: unknown): boolean {
  return !(err instanceof TransportError && (err.kind === 'unreachable' || err.kind === 'auth' || err.kind === 'hostkey'));
}

export function instrumentTransport(factory: TransportFactory, opts: InstrumentOptions): TransportFactory {
  const wrapped = new Map<string, HostTransport>();
  const report = opts.reportSteps !== false;
  function forHost(host: HostSettings): HostTransport;
  function forHost(hostName: string, options: Readonly<Record<string, string>>): HostTransport;
  function forHost(host: HostSettings | string, options?: Readonly<Record<string, string>>): HostTransport {
      const hostName = typeof host === 'string' ? host : host.name;
      let t = wrapped.get(hostName);
      if (t) return t;
      const inner = typeof host === 'string' ? factory.forHost(host, options ?? {}) : factory.forHost(host);
      const secrets = typeof host === 'string' ? secretsOf(options ?? {}) : host.secrets;
      const timed = async <T>(kind: string, line: string, fn: () => Promise<T>, status: (r: T) => number | null): Promise<T> => {
        const started = Date.now();
        try {
          const r = await fn();
          opts.onTouch();
          if (report) opts.steps.step({ host: hostName, kind, line: maskSecrets(line, secrets), status: status(r), durationMs: Date.now() - started });
          return r;
        } catch (err) {
          if (reachedHost(err)) opts.onTouch();
          const code = (err as { status?: unknown }).status;
          if (report) opts.steps.step({ host: hostName, kind, line: maskSecrets(line, secrets), status: typeof code === 'number' ? code : null, durationMs: Date.now() - started });
          throw err;
        }
      };
      const code = (r: CommandResult) => r.code;
      const zero = () => 0;
      t = {
        remote: {
          run: (command, o) => timed('remote', shown(command), () => inner.remote.run(command, o), code),
          sudo: (command, o) => timed('sudo', shown(command), () => inner.remote.sudo(command, o), code),
          put: (from, to, o) => timed('put', `put ${from} -> ${to}`, () => inner.remote.put(from, to, o), zero),
          get: (from, to, o) => timed('get', `get ${from} -> ${to}`, () => inner.remote.get(from, to, o), zero),
          exists: (p, o) => timed('remote', `test -e ${p}`, () => inner.remote.exists(p, o), (yes) => (yes ? 0 : 1)),
          // Not a step: the first command's step includes whatever is left of the handshake.
          connect: (o) => inner.remote.connect(o),
          httpGet: (url, o) => timed('http', `GET ${url}`, () => inner.remote.httpGet(url, o), (r) => r.status),
          socketExchange: (p, text, o) => timed('socket', `${p} <- ${text.split('\n')[0]}`, () => inner.remote.socketExchange(p, text, o), zero),
        },
        local: {
          run: (command, o) => timed('local', shown(command), () => inner.local.run(command, o), code),
        },
        rsync: async (o) => {
          // --stats prints a block on stdout: only when that output is not shown (echo).
          // --no-human-readable: plain digits (the transport's -pthlrz has -h, which prints 821.43K).
          const withStats: RsyncOptions = o.echo ? o : { ...o, extra: [...(o.extra ?? []), '--stats', '--no-human-readable'] };
          // Progress when the run has someone to show it to (a terminal's view, --json), not over echoed lines.
          const follow = opts.steps.transferProgress && !o.echo ? opts.steps.transferProgress.bind(opts.steps) : undefined;
          const withProgress: RsyncOptions = follow ? { ...withStats, onProgress: (p) => { o.onProgress?.(p); follow(hostName, p); } } : withStats;
          const r = await timed('rsync', rsyncLine(o), () => inner.rsync(withProgress), code);
          const stats: RsyncStats | undefined = parseRsyncStats(r.stdout);
          if (stats) opts.steps.rsyncStats(hostName, stats);
          return r;
        },
      };
      wrapped.set(hostName, t);
      return t;
  }
  return { forHost, closeAll: () => factory.closeAll() };
}

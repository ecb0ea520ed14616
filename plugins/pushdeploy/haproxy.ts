/**
 * haproxy's runtime API (the admin socket, `stats socket … level admin`):
 * what the roll asks of the balancer. One command per connection, as haproxy
 * answers in its non-interactive mode: `show stat` for a backend's servers and
 * their current sessions, `set server BACKEND/SERVER state drain|ready`.
 */
import { CommandError, ConfigError } from 'hostout';

/** Sends one runtime API command and returns haproxy's answer ('' when a dry run assumed it). */
/** `cleanup`: the command undoes what an interrupted roll left (it runs even after Ctrl-C). */
export type HaproxySend = (command: string, readOnly: boolean, cleanup?: boolean) => Promise<string>;

export interface ServerStat {
  name: string;
  /** Current sessions. */
  scur: number;
  /** haproxy's status: UP, DOWN, DRAIN, MAINT, no check… */
  status: string;
}

export type ServerState = 'ready' | 'drain' | 'maint';

/** The servers of `backend` in a `show stat` answer (CSV with a `# pxname,svname,…` header); undefined when the backend is not there. */
export function parseShowStat(csv: string, backend: string): Map<string, ServerStat> | undefined {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return undefined;
  const cols = header.slice(2).split(',');
  const at = (name: string) => cols.indexOf(name);
  const [px, sv, scur, status] = [at('pxname'), at('svname'), at('scur'), at('status')];
  if (px < 0 || sv < 0 || scur < 0) return undefined;
  let found = false;
  const servers = new Map<string, ServerStat>();
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(',');
    if (f[px] !== backend) continue;
    if (f[sv] === 'BACKEND') found = true;
    if (f[sv] === 'BACKEND' || f[sv] === 'FRONTEND') continue;
    servers.set(f[sv], { name: f[sv], scur: Number(f[scur]) || 0, status: status >= 0 ? f[status] : '' });
  }
  return found ? servers : undefined;
}

export class Haproxy {
  /** `where`: how errors name the balancer, e.g. `haproxy (/run/haproxy/admin.sock on web1)`. */
  constructor(private readonly send: HaproxySend, readonly backend: string, readonly where: string, private readonly site: string) {}

  /** The backend's servers, or undefined when the answer was assumed (a dry run without a connection). */
  async servers(): Promise<Map<string, ServerStat> | undefined> {
    const answer = await this.send('show stat', true);
    if (answer === '') return undefined;
    const servers = parseShowStat(answer, this.backend);
    if (!servers) {
      throw new ConfigError(
        `${this.where} has no backend '${this.backend}'${/^# /m.test(answer) ? '' : ` (it answered: ${answer.trim().slice(0, 80)})`}: set haproxy-backend to the backend of the site in haproxy.cfg`,
        { host: this.site },
      );
    }
    return servers;
  }

  /** Refuses (ConfigError) unless the backend has a server for every name: checked before anything changes. */
  async check(servers: readonly string[]): Promise<void> {
    const known = await this.servers();
    if (!known) return;
    const missing = servers.filter((s) => !known.has(s));
    if (missing.length) {
      throw new ConfigError(
        `${this.where}: backend '${this.backend}' has no server ${missing.join(', ')} (it has ${[...known.keys()].join(', ') || 'none'}): ` +
          `name the servers in instances as NAME:PORT:SERVER`,
        { host: this.site },
      );
    }
  }

  async setState(server: string, state: ServerState, o: { cleanup?: boolean } = {}): Promise<void> {
    const answer = (await this.send(`set server ${this.backend}/${server} state ${state}`, false, o.cleanup)).trim();
    // Success is an empty answer; anything else is haproxy's reason.
    if (answer !== '') {
      throw new CommandError(`${this.where}: set server ${this.backend}/${server} state ${state}: ${answer}`, { host: this.site, command: `set server ${this.backend}/${server} state ${state}` });
    }
  }

  /** The server's current sessions (0 when the answer was assumed). */
  async sessions(server: string): Promise<number> {
    return (await this.servers())?.get(server)?.scur ?? 0;
  }
}

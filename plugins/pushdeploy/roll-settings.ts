/**
 * The options of a rolling restart (docs/pushdeploy.md, "Zero-downtime
 * deploys"): the site's instances, how one is restarted and checked, and
 * haproxy's runtime API. Read once per command; absent `instances` means no
 * roll (the `restart` lines run as before).
 */
import { ConfigError, shellQuote, validatePath, type HostOptions } from 'hostout';

export interface Instance {
  /** The supervisor program (in the group named by `hostname`). */
  name: string;
  /** The HTTP port it listens on, on its host. */
  port: number;
  /** Its server name in haproxy's backend (default: `name`). */
  server: string;
}

export interface Balancer {
  /** haproxy's admin socket (`stats socket … level admin`), on this host or on `part`'s. */
  socket?: string;
  backend: string;
  /** `haproxy-host`: the hostout part whose host runs haproxy (its own `haproxy-socket` is used). */
  part?: string;
}

export interface RollSettings {
  instances: Instance[];
  /** `restart-instance` with `{group}` filled in; `{name}`, `{port}` are the instance's. */
  restartTemplate: string;
  healthUrlTemplate: string;
  /** Seconds an instance may take to answer its health URL after its restart (default 120). */
  healthTimeout: number;
  /** Seconds to wait for a drained instance's sessions to end (default 30); then it is restarted anyway. */
  drainTimeout: number;
  balancer?: Balancer;
  /** Instances restarted at once on a host (default 1). */
  batch: number;
  canary: boolean;
  /** Seconds the canary host stays under watch before the other hosts go live (default 30). */
  canaryWait: number;
  group: string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function nonEmpty(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  return v === '' ? undefined : v;
}

function seconds(site: string, options: Readonly<HostOptions>, option: string, fallback: number, min: number): number {
  const raw = nonEmpty(options[option]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ConfigError(`${option} = ${raw} must be a whole number of at least ${min}`, { host: site });
  return Number(raw);
}

/** `instances = instance1:8081 instance2:8082 [NAME:PORT:SERVER]`. */
export function parseInstances(site: string, raw: string): Instance[] {
  const seen = new Set<string>();
  return raw.split(/\s+/).filter(Boolean).map((word) => {
    const [name, port, server, ...rest] = word.split(':');
    const n = Number(port);
    if (rest.length || !NAME.test(name ?? '') || !/^\d+$/.test(port ?? '') || n < 1 || n > 65535 || (server !== undefined && !NAME.test(server))) {
      throw new ConfigError(
        `instances: '${word}' is not NAME:PORT or NAME:PORT:SERVER (a supervisor program, its HTTP port, and its server name in haproxy), e.g. instances = instance1:8081 instance2:8082`,
        { host: site },
      );
    }
    if (seen.has(name)) throw new ConfigError(`instances: '${name}' is listed twice`, { host: site });
    seen.add(name);
    return { name, port: n, server: server ?? name };
  });
}

/** The roll's settings, or undefined when `instances` is empty or absent. `group` is pushdeploy's `hostname`. */
export function readRollSettings(site: string, options: Readonly<HostOptions>, group: string): RollSettings | undefined {
  const raw = nonEmpty(options.instances);
  if (!raw) return undefined;
  const instances = parseInstances(site, raw);
  const socket = nonEmpty(options['haproxy-socket']);
  const backend = nonEmpty(options['haproxy-backend']);
  const part = nonEmpty(options['haproxy-host']);
  if (socket) validatePath(socket, { option: 'haproxy-socket', host: site });
  if (socket && !socket.startsWith('/')) throw new ConfigError(`haproxy-socket = ${socket} must be the absolute path of haproxy's admin socket (stats socket … level admin)`, { host: site });
  if ((socket || part) && !backend) {
    throw new ConfigError(`haproxy-${socket ? 'socket' : 'host'} is set but haproxy-backend is not: set it to the backend of the site in haproxy.cfg, e.g. haproxy-backend = plone`, { host: site });
  }
  if (backend && !NAME.test(backend)) throw new ConfigError(`haproxy-backend = ${backend} is not a haproxy backend name`, { host: site });
  if (backend && !socket && !part) {
    throw new ConfigError(`haproxy-backend is set but haproxy-socket is not: set it to haproxy's admin socket (stats socket … level admin), e.g. haproxy-socket = /run/haproxy/admin.sock`, { host: site });
  }
  const batch = seconds(site, options, 'rolling-batch', 1, 1);
  if (batch >= instances.length && instances.length > 1) {
    throw new ConfigError(`rolling-batch = ${batch} would restart every instance at once (${instances.length} in instances): at most ${instances.length - 1}`, { host: site });
  }
  const restart = nonEmpty(options['restart-instance']) ?? 'supervisorctl restart {group}:{name}';
  return {
    instances,
    restartTemplate: restart.replace(/\{group\}/g, shellQuote(group)),
    healthUrlTemplate: nonEmpty(options['health-url']) ?? 'http://127.0.0.1:{port}/',
    healthTimeout: seconds(site, options, 'health-timeout', 120, 1),
    drainTimeout: seconds(site, options, 'drain-timeout', 30, 0),
    balancer: backend ? { socket, backend, part } : undefined,
    batch,
    canary: /^(true|yes|on|1)$/i.test((options.canary ?? '').trim()),
    canaryWait: seconds(site, options, 'canary-wait', 30, 0),
    group,
  };
}

/** `restart-instance` for one instance (its values are checked names and a number: safe words of a shell line). */
export function restartLine(r: RollSettings, i: Instance): string {
  return r.restartTemplate.replace(/\{name\}/g, shellQuote(i.name)).replace(/\{port\}/g, String(i.port));
}

export function healthUrl(r: RollSettings, i: Instance): string {
  return r.healthUrlTemplate.replace(/\{name\}/g, i.name).replace(/\{port\}/g, String(i.port)).replace(/\{group\}/g, encodeURIComponent(r.group));
}

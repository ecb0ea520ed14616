/**
 * pushdeploy's options: the recipe-time normalisation of the original recipe and the
 * typed view every command reads. One place decides defaults,
 * so the commands never re-read raw strings.
 */
import { ConfigError, ON_UNLESS_FALSE, flagValue, isTrue, readFlag, validatePath, validateUser, type HostOptions } from 'hostout';


/** The flags the original recipe rewrote to the strings 'true'/'false' at buildout time. */
export const NORMALISED_FLAGS = ['local-sudo', 'remote-sudo', 'local-restart'] as const;

/** `defaults` hook: exactly the original recipe's rewrite, absent values included (they become 'false'). */
export function normaliseFlags(options: HostOptions): HostOptions {
  for (const key of NORMALISED_FLAGS) {
    options[key] = flagValue(options[key]);
  }
  return options;
}

export interface SiteSettings {
  /** Host (part) name. */
  site: string;
  /** The buildout directory: the same absolute path on staging and production. */
  path: string;
  /** The staging buildout's config file, absolute. */
  buildoutConfig: string;
  buildoutUser: string;
  effectiveUser: string;
  localSudo: boolean;
  remoteSudo: boolean;
  localRestart: boolean;
  /** Non-empty lines of `restart`, trimmed. */
  restartLines: string[];
  /** `hostname` (the supervisor group name), default the part name. */
  hostname: string;
  /** `bootstrap-python`, else `executable`; undefined when neither is set. */
  python?: string;
  /** `supervisor-conf`, when set. */
  supervisorConf?: string;
  /** `keep-releases`: how many releases stay on production, the live one included (default 3). */
  keepReleases: number;
  /** `healthcheck`: a shell line run on production after the restart lines, when set. */
  healthcheck?: string;
  /** `healthcheck-timeout` in seconds (default 60). */
  healthcheckTimeout: number;
  /** `lock-wait` (or --lock-wait) in seconds: how long to wait for another deploy's lock (default 0). */
  lockWait: number;
  /** `lock-lease` in seconds: a lock not renewed for this long is stale (default 120). */
  lockLease: number;
  /** `auto-rollback` (false with --no-rollback): flip back when a restart line or the health check fails. */
  autoRollback: boolean;
}

/** A whole number of seconds (or count) for `option`, at least `min`; `fallback` when unset. */
function wholeNumber(site: string, options: Readonly<HostOptions>, option: string, fallback: number, min: number): number {
  const raw = nonEmpty(options[option]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new ConfigError(`${option} = ${raw} must be a whole number of at least ${min}`, { host: site });
  }
  return Number(raw);
}

function flag(options: Readonly<HostOptions>, key: string): boolean {
  // The runtime normally ran `defaults` already ('true'/'false'); a raw value reads the same.
  return isTrue(options[key]);
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  return v === '' ? undefined : v;
}

export function readSettings(site: string, options: Readonly<HostOptions>): SiteSettings {
  const rawPath = nonEmpty(options.path);
  if (!rawPath) {
    throw new ConfigError(
      `the option 'path' is empty: pushdeploy needs the buildout directory, the same on staging and production (e.g. path = /var/buildout/${site})`,
      { host: site },
    );
  }
  validatePath(rawPath, { option: 'path', host: site });
  if (!rawPath.startsWith('/')) {
    throw new ConfigError(`path = ${rawPath} must be an absolute directory (it is used on staging and on production)`, { host: site });
  }
  const path = rawPath.replace(/\/+$/, '') || '/';
  const user = nonEmpty(options.user);
  // `buildout` may list several words (the core splits it); the first is the config file annotate reads.
  const cfg = nonEmpty(options.buildout)?.split(/\s+/)[0] ?? 'buildout.cfg';
  const buildoutUser = nonEmpty(options['buildout-user']) ?? user ?? 'root';
  const effectiveUser = nonEmpty(options['effective-user']) ?? user ?? 'root';
  const hostname = nonEmpty(options.hostname) ?? site;
  const supervisorConf = nonEmpty(options['supervisor-conf']);
  // Every value below that becomes a word of su, chown, rsync or supervisorctl, checked once here.
  const source = (option: string) => ({ option, host: site });
  validateUser(buildoutUser, source(nonEmpty(options['buildout-user']) ? 'buildout-user' : 'user'));
  validateUser(effectiveUser, source(nonEmpty(options['effective-user']) ? 'effective-user' : 'user'));
  validatePath(cfg, source('buildout'));
  // `supervisorctl restart HOSTNAME:*`: a leading '-' would be one of supervisorctl's options.
  validatePath(hostname, source('hostname'));
  if (supervisorConf) validatePath(supervisorConf, source('supervisor-conf'));
  return {
    site,
    path,
    buildoutConfig: cfg.startsWith('/') ? cfg : `${path}/${cfg}`,
    buildoutUser,
    effectiveUser,
    localSudo: flag(options, 'local-sudo'),
    remoteSudo: flag(options, 'remote-sudo'),
    localRestart: flag(options, 'local-restart'),
    restartLines: (options.restart ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== ''),
    hostname,
    python: nonEmpty(options['bootstrap-python']) ?? nonEmpty(options.executable),
    supervisorConf,
    keepReleases: wholeNumber(site, options, 'keep-releases', 3, 1),
    healthcheck: nonEmpty(options.healthcheck),
    healthcheckTimeout: wholeNumber(site, options, 'healthcheck-timeout', 60, 1),
    lockWait: wholeNumber(site, options, 'lock-wait', 0, 0),
    lockLease: wholeNumber(site, options, 'lock-lease', 120, 3),
    autoRollback: readFlag(options['auto-rollback'], ON_UNLESS_FALSE),
  };
}

/** The clear error where the original failed with AttributeError/AssertionError. */
export function requireRestartLines(s: SiteSettings, command: string): string[] {
  if (s.restartLines.length === 0) {
    throw new ConfigError(
      `'${command}' runs the 'restart' option's lines, but 'restart' is empty or missing. ` +
        `Set it in the [${s.site}] part, e.g. restart = supervisorctl restart ${s.hostname}:*`,
      { host: s.site },
    );
  }
  return s.restartLines;
}

export function requireSupervisorConf(s: SiteSettings, command: string): string {
  if (!s.supervisorConf) {
    throw new ConfigError(
      `'${command}' needs the option 'supervisor-conf': the supervisor program file it installs, e.g. supervisor-conf = /etc/supervisor/conf.d/${s.site}.conf`,
      { host: s.site },
    );
  }
  return s.supervisorConf;
}

export function requirePython(s: SiteSettings): string {
  if (!s.python) {
    throw new ConfigError(
      `no Python to run bootstrap.py with: set 'bootstrap-python' (e.g. bootstrap-python = /usr/bin/python3) or 'executable' in the [${s.site}] part`,
      { host: s.site },
    );
  }
  return s.python;
}

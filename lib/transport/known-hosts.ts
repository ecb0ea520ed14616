/**
 * Host key checking like OpenSSH: known_hosts files with plain and hashed
 * (`|1|salt|hash`) host names, `[host]:port` for other ports than 22,
 * wildcard and negated patterns, several keys per host, `@revoked` markers
 * (`@cert-authority` lines are skipped: no certificates here). A changed key
 * is always refused; an unknown one follows StrictHostKeyChecking.
 * Hand-written because no maintained npm package verifies hashed entries and
 * markers against ssh2's raw key blobs; the format is small and stable (sshd(8)).
 */
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { FileRefused, configuredFileError, readNamedFile } from '../named-file';
import * as path from 'node:path';
import type { HostKeyPolicy } from './host-settings';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  patterns: string;
  keyType: string;
  keyBase64: string;
}

export type HostKeyCheck =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entries: KnownHostEntry[] }
  | { status: 'unknown'; otherTypes: KnownHostEntry[] };

/** How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type inside an ssh public key blob (first length-prefixed string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` as OpenSSH prints fingerprints. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const hmac = createHmac('sha1', Buffer.from(parts[2], 'base64')).update(name).digest('base64');
  return hmac === parts[3];
}

/** Whether a known_hosts host field matches `name` (OpenSSH match_hostname semantics). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (wildcardMatch(pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function parseKnownHosts(file: string, text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift() as string;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    if (fields.length < 3) return;
    entries.push({ file, line: i + 1, marker, patterns: fields[0], keyType: fields[1], keyBase64: fields[2] });
  });
  return entries;
}

function readEntries(files: readonly string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readNamedFile(file).toString('utf8');
    } catch (e) {
      // A missing (or unreadable) known_hosts file is simply empty; a device, a FIFO or a huge file is a configuration error.
      if (!(e instanceof FileRefused)) throw e;
      if (['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM'].includes(e.code ?? '')) continue;
      throw configuredFileError(file, e, { option: 'known-hosts-file' });
    }
    out.push(...parseKnownHosts(file, text));
  }
  return out;
}

/** RSA keys are recorded as ssh-rsa but negotiated as rsa-sha2-*. */
function sameKeyFamily(a: string, b: string): boolean {
  const norm = (t: string) => (t.startsWith('rsa-sha2-') ? 'ssh-rsa' : t);
  return norm(a) === norm(b);
}

export function checkHostKey(files: readonly string[], host: string, port: number, blob: Buffer): HostKeyCheck {
  const name = knownHostsName(host, port);
  const keyType = keyTypeOfBlob(blob);
  const keyBase64 = blob.toString('base64');
  const forHost = readEntries(files).filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.patterns, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.keyBase64 === keyBase64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => !e.marker);
  const match = plain.find((e) => e.keyBase64 === keyBase64);
  if (match) return { status: 'match', entry: match };
  const sameType = plain.filter((e) => sameKeyFamily(e.keyType, keyType));
  if (sameType.length > 0) return { status: 'changed', entries: sameType };
  return { status: 'unknown', otherTypes: plain };
}

/** Key types already recorded for a host, so we can ask the server for one of those first (as OpenSSH does). */
export function knownKeyTypes(files: readonly string[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [...new Set(readEntries(files).filter((e) => !e.marker && hostFieldMatches(e.patterns, name)).map((e) => e.keyType))];
}

/** Append a host key (accept-new). Plain host name, like OpenSSH without HashKnownHosts. */
export function recordHostKey(file: string, host: string, port: number, blob: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = readNamedFile(file).toString('utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch {
    // new file
  }
  fs.appendFileSync(file, `${prefix}${knownHostsName(host, port)} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

export interface HostKeyDecision {
  accept: boolean;
  /** Why not (or what we did), for the user. */
  message?: string;
  /** Print as a warning even when accepted (e.g. key added). */
  warning?: string;
}

/** Apply the policy to one presented host key. Pure apart from accept-new's append. */
export function decideHostKey(
  policy: HostKeyPolicy,
  userFiles: readonly string[],
  globalFiles: readonly string[],
  host: string,
  port: number,
  blob: Buffer,
): HostKeyDecision {
  const name = knownHostsName(host, port);
  const fp = `${keyTypeOfBlob(blob)} ${fingerprint(blob)}`;
  const result = checkHostKey([...userFiles, ...globalFiles], host, port, blob);
  switch (result.status) {
    case 'match':
      return { accept: true };
    case 'revoked':
      return {
        accept: false,
        message: `the host key of ${name} (${fp}) is marked @revoked in ${result.entry.file}:${result.entry.line}; refusing to connect`,
      };
    case 'changed': {
      const where = result.entries.map((e) => `${e.file}:${e.line}`).join(', ');
      const first = result.entries[0];
      return {
        accept: false,
        message:
          `WARNING: the host key of ${name} has CHANGED (it now presents ${fp}). ` +
          `Someone could be eavesdropping on you (man-in-the-middle), or the host was reinstalled. ` +
          `The offending key is at ${where}. If you are sure the new key is right, remove the old one with: ` +
          `ssh-keygen -f '${first.file}' -R '${name}'`,
      };
    }
    case 'unknown': {
      if (policy === 'no') return { accept: true, warning: `not checking the unknown host key of ${name} (${fp}): StrictHostKeyChecking is no` };
      if (policy === 'accept-new') {
        const file = userFiles[0];
        recordHostKey(file, host, port, blob);
        return { accept: true, warning: `permanently added the host key of ${name} (${fp}) to ${file}` };
      }
      const portArg = port === 22 ? '' : `-p ${port} `;
      const others = result.otherTypes.length
        ? ` (keys of other types are known for it: ${result.otherTypes.map((e) => `${e.keyType} at ${e.file}:${e.line}`).join(', ')})`
        : '';
      return {
        accept: false,
        message:
          `the host key of ${name} is not known${others}; it presents ${fp}. Looked in ${[...userFiles, ...globalFiles].join(', ')}. ` +
          `To trust this host, check that fingerprint and add the key: ssh-keyscan ${portArg}${host} >> ${userFiles[0] ?? '~/.ssh/known_hosts'} ` +
          `(or set StrictHostKeyChecking accept-new in ~/.ssh/config, or strict-host-key-checking = accept-new for the host, to record it on first use)`,
      };
    }
  }
}

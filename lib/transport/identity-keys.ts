/**
 * Reading the identity files a login offers, passphrase-protected ones
 * included (OpenSSH's own format and PEM, as `ssh-keygen -N` / `-m PEM`
 * write them). For an encrypted key the passphrase comes, in this order:
 * - from ssh-agent, in effect: when the agent holds that key (compared by
 *   public key, from `<file>.pub` or the OpenSSH file's unencrypted header),
 *   the file is left to the agent and no passphrase is needed;
 * - the host's `identity-passphrase` option, else `$HOSTOUT_IDENTITY_PASSPHRASE`
 *   (host-settings.ts; masked like passwords);
 * - asked on the terminal, not echoed, once per file and run;
 * - else the key is skipped, and the error says plainly that it is encrypted
 *   and how to give its passphrase.
 * A passphrase that does not decrypt the key fails at once (no retry loop).
 */
import { OpenSSHAgent, utils, type ParsedKey } from 'ssh2';
import { TransportError } from '../errors';
import { FileRefused, configuredFileError, readNamedFile } from '../named-file';
import type { Logger } from '../log';
import { isEncryptedKeyError } from './ssh-errors';

export type AskPassphrase = (question: string) => Promise<string>;

export interface IdentityKey {
  file: string;
  data: Buffer;
  /** An encrypted key, decrypted (bcrypt makes that take seconds: done once, here). */
  decrypted?: ParsedKey;
}

export interface LoadedKeys {
  keys: IdentityKey[];
  /** Encrypted keys skipped for want of a passphrase (the agent did not hold them either). */
  lockedKeys: string[];
}

/** The public key blob of an OpenSSH-format private key, readable without the passphrase. */
function openSshPublicBlob(data: Buffer): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(data.toString('latin1'));
  if (!m) return undefined;
  const raw = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.subarray(0, magic.length).toString('latin1') !== magic) return undefined;
  let off = magic.length;
  const str = (): Buffer | undefined => {
    if (off + 4 > raw.length) return undefined;
    const len = raw.readUInt32BE(off);
    const s = raw.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return s;
  };
  str(); // cipher
  str(); // kdf
  str(); // kdf options
  if (off + 4 > raw.length || raw.readUInt32BE(off) < 1) return undefined;
  off += 4;
  return str();
}

/** The key's public blob without decrypting it: from `<file>.pub`, else the OpenSSH header. */
export function publicBlobOf(file: string, data: Buffer): Buffer | undefined {
  try {
    const pub = utils.parseKey(readNamedFile(`${file}.pub`));
    if (!(pub instanceof Error)) return (Array.isArray(pub) ? pub[0] : pub).getPublicSSH();
  } catch {
    // no .pub beside it
  }
  return openSshPublicBlob(data);
}

/** The public blobs of the keys the agent holds (empty when it cannot be asked). */
export function agentPublicBlobs(agentSocket: string): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), 5000);
    try {
      new OpenSSHAgent(agentSocket).getIdentities((err, keys) => {
        clearTimeout(timer);
        // Entries are parsed keys, or { pubKey } wrappers (agent forwarding).
        const blob = (k: ParsedKey | { pubKey: ParsedKey }): Buffer => ('pubKey' in k ? k.pubKey : k).getPublicSSH();
        resolve(err || !keys ? [] : keys.map((k) => blob(k as ParsedKey | { pubKey: ParsedKey })));
      });
    } catch {
      clearTimeout(timer);
      resolve([]);
    }
  });
}

export interface LoadKeysRequest {
  /** The host (part) name and `user@host:port`, for errors. */
  hostName: string;
  target: string;
  files: string[];
  passphrase?: { value: string; source: string };
  /** The agent the login will also use, if any. */
  agentSocket?: string;
  ask?: AskPassphrase;
  /** Passphrases typed this run, per key file, so each is asked once (the connection pool keeps it). */
  typed: Map<string, Promise<string>>;
  log: Logger;
}

export async function loadIdentityKeys(req: LoadKeysRequest): Promise<LoadedKeys> {
  const keys: IdentityKey[] = [];
  const lockedKeys: string[] = [];
  let agentBlobs: Buffer[] | undefined;
  for (const file of req.files) {
    let data: Buffer;
    try {
      data = readNamedFile(file);
    } catch (e) {
      // A key that is gone or unreadable is skipped, as ssh does; one that is no key file at
      // all (a device, a FIFO, a huge file) is a configuration error, said at once.
      if (!(e instanceof FileRefused)) throw e;
      if (!['ENOENT', 'EACCES', 'EPERM'].includes(e.code ?? '')) throw configuredFileError(file, e, { option: 'identity-file', host: req.hostName });
      req.log.debug(`cannot read identity file ${file}: ${e.message}`);
      continue;
    }
    const plain = utils.parseKey(data);
    if (!(plain instanceof Error) || !isEncryptedKeyError(plain)) {
      keys.push({ file, data }); // unencrypted (or unreadable: ssh2 skips it as before)
      continue;
    }
    if (req.agentSocket) {
      agentBlobs ??= await agentPublicBlobs(req.agentSocket);
      const blob = publicBlobOf(file, data);
      if (blob && agentBlobs.some((b) => b.equals(blob))) {
        req.log.debug(`[${req.hostName}] identity file ${file} is encrypted; ssh-agent holds it, so the agent offers it`);
        continue;
      }
    }
    let passphrase: string;
    let source: string;
    if (req.passphrase) {
      ({ value: passphrase, source } = req.passphrase);
    } else if (req.ask) {
      let answer = req.typed.get(file);
      if (!answer) {
        answer = req.ask(`[${req.hostName}] passphrase for identity file ${file}: `);
        req.typed.set(file, answer);
      }
      passphrase = await answer;
      source = 'typed';
    } else {
      lockedKeys.push(file);
      continue;
    }
    const decrypted = utils.parseKey(data, passphrase);
    if (decrypted instanceof Error) {
      req.typed.delete(file);
      throw new TransportError(`the passphrase (${source}) does not decrypt identity file ${file}`, { host: req.hostName, target: req.target, kind: 'auth' });
    }
    keys.push({ file, data, decrypted: Array.isArray(decrypted) ? decrypted[0] : decrypted });
  }
  return { keys, lockedKeys };
}

/** What to tell a person whose encrypted keys could not be used. */
export function lockedKeysAdvice(files: string[]): string {
  const list = files.join(', ');
  return (
    `identity file ${list} ${files.length > 1 ? 'are' : 'is'} encrypted (passphrase-protected) and no passphrase was given: ` +
    `set identity-passphrase for the host or HOSTOUT_IDENTITY_PASSPHRASE, add the key to ssh-agent (ssh-add ${files[0]}), ` +
    `or run hostout on a terminal to be asked`
  );
}

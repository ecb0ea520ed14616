/**
 * The one reading of the errors ssh2 (through node-ssh) and node's socket give
 * when an ssh connection opens or drops: which failure it was, told by the
 * error's `level` (ssh2's: client-authentication, client-timeout,
 * client-socket, client-dns, protocol) and `code` (node's errno names, and
 * node-ssh's), and by message text only where they give nothing else
 * (ssh2 uses the level client-timeout both for the handshake timeout and for
 * a keepalive timeout, and marks an encrypted key only in the message).
 * connection.ts turns a failure into hostout's error kind and message.
 */
import type { TransportErrorKind } from '../errors';

export type SshFailure =
  /** Nothing listens on the port (ECONNREFUSED). */
  | 'refused'
  /** The host name does not resolve. */
  | 'unknown-host'
  /** No route to the host or its network. */
  | 'no-route'
  /** No ssh handshake within the connect timeout. */
  | 'timeout'
  /** Every authentication method was refused. */
  | 'auth'
  /** The server closed the connection during the handshake. */
  | 'closed'
  /** An open connection stopped answering keepalives. */
  | 'keepalive'
  /** Anything else: the message says what. */
  | 'other';

/** The fields of an error that tell the failure apart. */
export interface SshErrorLike {
  message: string;
  code?: unknown;
  level?: unknown;
}

/**
 * The hostout error kind (and so the exit status) of each failure while a
 * connection opens (one that drops later is always 'lost'): a host that goes
 * silent during the handshake was not reached.
 */
export const SSH_FAILURE_KIND: Readonly<Record<SshFailure, TransportErrorKind>> = {
  refused: 'unreachable',
  'unknown-host': 'unreachable',
  'no-route': 'unreachable',
  timeout: 'unreachable',
  auth: 'auth',
  closed: 'unreachable',
  keepalive: 'unreachable',
  other: 'other',
};

/** ssh2 says 'Keepalive timeout' with the same level as the handshake timeout. */
const KEEPALIVE_MESSAGE = /keepalive/i;
/**
 * The server went away during the handshake: node-ssh rejects with 'No
 * response from server' (and, misleadingly, the code ETIMEDOUT) when the
 * socket closes before ssh2 is ready; ssh2 says 'Connection lost before
 * handshake' (level protocol, like every protocol error) when it closes
 * before the server's banner.
 */
const CLOSED_MESSAGE = /No response from server|Connection lost before handshake/;
/** The timeout of the TCP connect we open ourselves, and other "timed out" errors without a level. */
const TIMED_OUT_MESSAGE = /timed out/i;

/** Which failure `e` is. The order matters: the first match wins. */
export function classifySshError(e: SshErrorLike): SshFailure {
  const { code, level, message } = e;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || level === 'client-dns') return 'unknown-host';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no-route';
  if (level === 'client-timeout' && KEEPALIVE_MESSAGE.test(message)) return 'keepalive';
  if (level === 'client-authentication') return 'auth';
  if (code === 'ECONNRESET' || CLOSED_MESSAGE.test(message)) return 'closed';
  if (level === 'client-timeout' || code === 'ETIMEDOUT' || TIMED_OUT_MESSAGE.test(message)) return 'timeout';
  return 'other';
}

/** ssh2's refusal of an encrypted private key it got no passphrase for (it has no code for it). */
export function isEncryptedKeyError(e: SshErrorLike): boolean {
  return /encrypted .*detected, but no passphrase given/i.test(e.message);
}

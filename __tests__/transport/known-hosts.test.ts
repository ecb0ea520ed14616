/** known_hosts parsing and matching rules (the end-to-end checks are in hostkeys.test.ts). */
import { createHmac, randomBytes } from 'node:crypto';
import { hostFieldMatches, knownHostsName, parseKnownHosts } from '../../lib/transport/known-hosts';
import { splitHostPort } from '../../lib/transport/host-settings';

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts host fields', () => {
  it('names hosts like OpenSSH', () => {
    expect(knownHostsName('example.com', 22)).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches lists, wildcards, negations and hashes', () => {
    expect(hostFieldMatches('a.example,b.example', 'b.example')).toBe(true);
    expect(hostFieldMatches('*.example', 'web1.example')).toBe(true);
    expect(hostFieldMatches('web?.example', 'web12.example')).toBe(false);
    expect(hostFieldMatches('*.example,!db.example', 'db.example')).toBe(false);
    expect(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('127.0.0.1', '[127.0.0.1]:2222')).toBe(false);
    expect(hostFieldMatches('a.b', 'aXb')).toBe(false); // dots are literal
    expect(hostFieldMatches(hashed('[h]:22022'), '[h]:22022')).toBe(true);
    expect(hostFieldMatches(hashed('[h]:22022'), 'h')).toBe(false);
  });

  it('parses markers, comments and line numbers', () => {
    const entries = parseKnownHosts('/kh', '# c\n\n@revoked * ssh-ed25519 AAAA\nhost ssh-rsa BBBB comment here\n@cert-authority *.x ssh-ed25519 CCCC\nbroken\n');
    expect(entries.map((e) => [e.line, e.marker, e.patterns, e.keyType, e.keyBase64])).toEqual([
      [3, 'revoked', '*', 'ssh-ed25519', 'AAAA'],
      [4, undefined, 'host', 'ssh-rsa', 'BBBB'],
      [5, 'cert-authority', '*.x', 'ssh-ed25519', 'CCCC'],
    ]);
  });

  it('splits host[:port] and [v6]:port', () => {
    expect(splitHostPort('example.com:2222')).toEqual({ host: 'example.com', port: 2222 });
    expect(splitHostPort('example.com')).toEqual({ host: 'example.com' });
    expect(splitHostPort('[::1]:2200')).toEqual({ host: '::1', port: 2200 });
  });
});

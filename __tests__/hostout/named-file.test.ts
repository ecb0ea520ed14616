/**
 * The one reader of files a configuration names (lib/named-file.ts) and the
 * transport readers that use it: a regular file of bounded size, else a
 * refusal at once (a FIFO must not block, /dev/zero must not be read on,
 * /proc/self/mem's EIO is a refusal like the others), which becomes a
 * ConfigError naming the option and the file. The command-line view of the
 * same cases is __tests__/cli/configured-files.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../lib/errors';
import { FileRefused, MAX_NAMED_FILE_BYTES, readConfiguredFile, readNamedFile } from '../../lib/named-file';
import { loadIdentityKeys } from '../../lib/transport/identity-keys';
import { checkHostKey } from '../../lib/transport/known-hosts';
import { lookupSshConfig } from '../../lib/transport/ssh-config';
import { createRecordingLogger } from '../../lib/log';
import { useDirWithFifo } from '../support/fifo-dir';

const scratch = useDirWithFifo('hostout-named-file-');

function refusal(file: string): FileRefused {
  try {
    readNamedFile(file);
  } catch (err) {
    if (err instanceof FileRefused) return err;
    throw err;
  }
  throw new Error(`${file} was read`);
}

describe('readNamedFile', () => {
  test('a regular file: its bytes; a /proc file that says it is empty: read to its end', () => {
    const f = path.join(scratch.dir, 'a.cfg');
    fs.writeFileSync(f, '[buildout]\nparts =\n');
    expect(readNamedFile(f).toString()).toBe('[buildout]\nparts =\n');
    expect(fs.statSync('/proc/self/status').size).toBe(0);
    expect(readNamedFile('/proc/self/status').toString()).toMatch(/^Name:/);
  });

  test.each([
    ['/dev/zero', 'it is a character device, not a regular file', undefined],
    ['/dev/null', 'it is a character device, not a regular file', undefined],
    ['/proc/self/mem', 'reading it failed (EIO)', 'EIO'],
    ['/nonexistent/x.cfg', 'opening it failed (ENOENT)', 'ENOENT'],
    ['/tmp', 'it is a directory, not a regular file', 'EISDIR'],
  ])('%s is refused: %s', (file, message, code) => {
    const err = refusal(file);
    expect({ message: err.message, code: err.code }).toEqual({ message, code });
  });

  test('a FIFO nobody writes to is refused at once (the read would block forever)', () => {
    const started = Date.now();
    expect(refusal(scratch.fifo).message).toBe('it is a FIFO (named pipe), not a regular file');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a file over the bound is refused without reading it', () => {
    const big = path.join(scratch.dir, 'big.cfg');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_NAMED_FILE_BYTES + 1); // sparse: nothing written
    expect(refusal(big).message).toBe('it is larger than 16 MiB, the most hostout reads of one configuration file');
    fs.truncateSync(big, MAX_NAMED_FILE_BYTES);
    expect(readNamedFile(big).length).toBe(MAX_NAMED_FILE_BYTES);
    fs.rmSync(big);
  });
});

describe('readConfiguredFile: a ConfigError naming the option, the file and the host', () => {
  test('a device', () => {
    expect(() => readConfiguredFile('/dev/zero', { option: 'identity-file', host: 'web' })).toThrow(
      new ConfigError('identity-file = /dev/zero: it is a character device, not a regular file', { host: 'web', option: 'identity-file' }),
    );
    let err: unknown;
    try {
      readConfiguredFile('/dev/zero', { option: 'identity-file', host: 'web' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ message: '[web] identity-file = /dev/zero: it is a character device, not a regular file', option: 'identity-file', exitCode: 2 });
  });

  test('a missing file: undefined when that is fine, else an error', () => {
    expect(readConfiguredFile(path.join(scratch.dir, 'none'), { option: 'known-hosts-file', missingIsFine: true })).toBeUndefined();
    expect(() => readConfiguredFile(path.join(scratch.dir, 'none'), { option: 'fabfiles' })).toThrow(/fabfiles = .*\/none: no such file$/);
  });
});

describe('the transport readers', () => {
  const log = createRecordingLogger();

  test('an identity file that is a FIFO (from ~/.ssh/config or a default key): a ConfigError at once; a missing one is skipped', async () => {
    const started = Date.now();
    await expect(
      loadIdentityKeys({ hostName: 'web', target: 'u@h:22', files: [path.join(scratch.dir, 'gone'), scratch.fifo], typed: new Map(), log }),
    ).rejects.toThrow(new ConfigError(`identity-file = ${scratch.fifo}: it is a FIFO (named pipe), not a regular file`, { host: 'web' }));
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(loadIdentityKeys({ hostName: 'web', target: 'u@h:22', files: [path.join(scratch.dir, 'gone')], typed: new Map(), log })).resolves.toEqual({
      keys: [],
      lockedKeys: [],
    });
  });

  test('a known_hosts file that is /dev/zero: a ConfigError; a missing one is empty', () => {
    const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIByTuPaFo1bO5ceDgHfT4Vtp6xBc6K6gTqdi3Tr4LKOW', 'base64');
    expect(() => checkHostKey(['/dev/zero'], 'h', 22, blob)).toThrow(/^known-hosts-file = \/dev\/zero: it is a character device, not a regular file$/);
    expect(checkHostKey([path.join(scratch.dir, 'no_known_hosts')], 'h', 22, blob).status).toBe('unknown');
  });

  test('an ssh config that is a FIFO: a ConfigError at once; a missing one means no ssh config', () => {
    const env = { home: scratch.dir, localUser: 'u' };
    expect(() => lookupSshConfig('web', { ...env, configPath: scratch.fifo })).toThrow(/^ssh config file = .*\/pipe: it is a FIFO/);
    expect(lookupSshConfig('web', { ...env, configPath: path.join(scratch.dir, 'no_config') })).toEqual({ identityFiles: [] });
  });
});

/** The one "is this pid alive" (lib/pid.ts), shared by the private temp dirs, pushdeploy's lock and the test harness. */
import { spawnSync } from 'node:child_process';
import { isPidAlive } from '../../lib/pid';
import * as api from '../../lib';

describe('isPidAlive', () => {
  it('is true for a running process and false once it has exited and been reaped', () => {
    expect(isPidAlive(process.pid)).toBe(true);
    const child = spawnSync('/bin/sh', ['-c', 'echo $$']);
    expect(isPidAlive(Number(String(child.stdout).trim()))).toBe(false);
  });

  it('counts a process of another user (EPERM) as alive', () => {
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    });
    try {
      expect(isPidAlive(4242)).toBe(true);
      expect(kill).toHaveBeenCalledWith(4242, 0);
    } finally {
      kill.mockRestore();
    }
  });

  it('is the one plugins get from the public API', () => {
    expect(api.isPidAlive).toBe(isPidAlive);
  });
});

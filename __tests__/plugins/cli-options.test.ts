/**
 * The plugin API's command-line options and phase results, through the plugin
 * test harness (hostout/testing), as a third-party plugin's tests would use them.
 */
import { definePlugin, type FlipResult, type PrepareResult } from '../../lib/index';
import { loadPluginForTest } from '../../lib/testing';
import { flipOutcome, preparedRelease } from '../../lib/hostout/phases';
import pushdeploy from '../../plugins/pushdeploy';

const acme = definePlugin({
  name: 'acme.deploy',
  options: [
    { name: 'canary', type: 'boolean', description: 'one host first', sets: 'canary-first', value: 'yes' },
    { name: 'batch-size', type: 'number', placeholder: 'N', description: 'hosts per batch', sets: 'batch' },
  ],
  phases: { ship: { prepare: 'ship_prepare', flip: 'ship_flip', activate: 'ship_activate', rollback: 'ship_rollback' } },
  commands: {
    show: { description: 'what the command line set', run: (ctx) => ({ canary: ctx.options['canary-first'], batch: ctx.options.batch, rollback: ctx.rollback }) },
    ship_prepare: { description: 'prepare', run: (): PrepareResult => ({ release: 'r2', live: 'r1' }) },
    ship_flip: { description: 'flip', run: (): FlipResult => ({ from: 'r1' }) },
    ship_activate: { description: 'activate', run: () => undefined },
    ship_rollback: { description: 'rollback', run: () => undefined },
  },
});

test('a declared option given on the command line sets its host option for the commands; others keep the configuration\'s', async () => {
  const t = await loadPluginForTest(acme, { options: { batch: '1' }, commandLine: { canary: true, 'batch-size': '5', unrelated: 'x' }, rollback: false });
  try {
    expect(await t.run('show')).toEqual({ canary: 'yes', batch: '5', rollback: false });
    // The loaded definition stays as configured: the command line's values are the run's, not the host's.
    expect(t.options.batch).toBe('1');
    expect(t.options.unrelated).toBeUndefined();
  } finally {
    await t.close();
  }
  const plain = await loadPluginForTest(acme, { options: { batch: '1' } });
  try {
    expect(await plain.run('show')).toEqual({ canary: undefined, batch: '1', rollback: true });
  } finally {
    await plain.close();
  }
});

test('the phase results are read as the API types them (a bare string is shorthand)', async () => {
  const t = await loadPluginForTest(acme);
  try {
    expect(preparedRelease(await t.run('ship_prepare'))).toEqual({ release: 'r2', live: 'r1' });
    expect(flipOutcome(await t.run('ship_flip'))).toEqual({ from: 'r1' });
  } finally {
    await t.close();
  }
  expect(preparedRelease('r3')).toEqual({ release: 'r3' });
  expect(preparedRelease({ live: 'r1' })).toBeUndefined();
  expect(preparedRelease(undefined)).toBeUndefined();
  expect(flipOutcome('r1')).toEqual({ from: 'r1' });
  expect(flipOutcome(undefined)).toEqual({});
});

test('pushdeploy declares --lock-wait and --canary through the same API (lib/cli names no pushdeploy option)', () => {
  expect(pushdeploy.options).toEqual([
    expect.objectContaining({ name: 'lock-wait', type: 'number', sets: 'lock-wait' }),
    expect.objectContaining({ name: 'canary', type: 'boolean', sets: 'canary' }),
  ]);
});

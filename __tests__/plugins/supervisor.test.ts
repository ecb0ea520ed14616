/**
 * hostout.supervisor on the recording transport, through hostout/testing as a
 * plugin author would test it: what each command runs, as whom and where.
 * e2e-supervisor-plone.test.ts runs the same commands against a real supervisord.
 */
import { shellQuote } from 'hostout';
import { loadPluginForTest, type PluginTest } from 'hostout/testing';

const base = { host: 'www.example.com', user: 'root', 'buildout-user': 'plone', path: '/srv/site' };
const B = '[site] remote(plone@www.example.com:22)';
const L = '[site] remote(root@www.example.com:22)';
const inSite = (cmd: string) => `/bin/bash -l -c ${shellQuote(`cd /srv/site && ${cmd}`)}`;

let t: PluginTest | undefined;
afterEach(async () => { await t?.close(); t = undefined; });

async function load(options: Record<string, string> = {}, more: Parameters<typeof loadPluginForTest>[1] = {}) {
  t = await loadPluginForTest('hostout.supervisor', { options: { ...base, ...options }, ...more });
  return t;
}

describe('defaults (the recipe of the Python plugin)', () => {
  test('supervisor defaults to "supervisor", sudosupervisor to empty', async () => {
    const h = await load();
    expect(h.options.supervisor).toBe('supervisor');
    expect(h.options.sudosupervisor).toBe('');
  });
  test('with sudosupervisor, supervisor defaults to empty and the sudo one names the scripts', async () => {
    const h = await load({ sudosupervisor: 'rootsv' });
    expect(h.options.supervisor).toBe('');
    await h.run('supervisorctl');
    expect(h.records).toEqual([`${B}: ${inSite('/srv/site/bin/rootsvctl status')}`]);
  });
  test('a supervisor name that is not a plain prefix is a config error naming plugin, host and option', async () => {
    await expect(load({ supervisor: 'x; rm -rf /' })).rejects.toThrow(
      "[site] plugin 'hostout.supervisor' failed in defaults(): supervisor = x; rm -rf /: expected the name prefix",
    );
  });
});

describe('commands', () => {
  test('supervisorctl ARGS runs bin/supervisorctl as the buildout user in path, each argument quoted', async () => {
    const h = await load();
    await h.run('supervisorctl', 'stop', "it's");
    expect(h.records).toEqual([`${B}: ${inSite(`/srv/site/bin/supervisorctl stop ${shellQuote("it's")}`)}`]);
    expect(h.log).toEqual(["Hostout: Running command 'supervisorctl' from 'hostout.supervisor'"]);
  });
  test.each(['restart', 'start', 'stop', 'status', 'tail'])('%s ARGS is supervisorctl %s ARGS', async (verb) => {
    const h = await load();
    await h.run(verb, 'web');
    expect(h.records).toEqual([`${B}: ${inSite(`/srv/site/bin/supervisorctl ${verb} web`)}`]);
  });
  test('status exiting 3 (a program stopped) is a report; another failure of supervisorctl fails the command', async () => {
    const h = await load({}, { responses: [{ match: 'supervisorctl status', result: { code: 3, stdout: 'web STOPPED' } }, { match: 'supervisorctl start', result: { code: 7, stderr: 'web: ERROR (spawn error)' } }] });
    await expect(h.run('status')).resolves.toBeUndefined();
    await expect(h.run('start', 'web')).rejects.toThrow("'supervisorctl' (from hostout.supervisor) failed: /srv/site/bin/supervisorctl start web exited with status 7: web: ERROR (spawn error)");
  });
  test('supervisorshutdown stops all programs and ignores a supervisord that is not running', async () => {
    const h = await load({}, { responses: [{ match: 'stop all', result: { code: 4 } }] });
    await h.run('supervisorshutdown');
    expect(h.records).toEqual([`${B}: ${inSite('/srv/site/bin/supervisorctl stop all')}`]);
  });
  test('supervisorstartup: reload when supervisord answers, then status', async () => {
    const h = await load();
    await h.run('supervisorstartup');
    expect(h.records).toEqual([
      `${B}: ${inSite('/srv/site/bin/supervisorctl reload')}`,
      `${B}: ${inSite('/srv/site/bin/supervisorctl status')}`,
    ]);
  });
  test('supervisorstartup: reload fails, effective-user is the buildout user: bin/supervisord as the buildout user', async () => {
    const h = await load({}, { responses: [{ match: 'reload', result: { code: 1 } }] });
    await h.run('supervisorstartup');
    expect(h.records).toEqual([
      `${B}: ${inSite('/srv/site/bin/supervisorctl reload')}`,
      `${B}: ${inSite('/srv/site/bin/supervisord')}`,
      `${B}: ${inSite('/srv/site/bin/supervisorctl status')}`,
      `${B}: ${inSite('/srv/site/bin/supervisorctl status')}`,
    ]);
  });
  test('supervisorstartup: reload fails, another effective-user: sudo -u that user', async () => {
    const h = await load({ 'effective-user': 'zope' }, { responses: [{ match: 'reload', result: { code: 1 } }] });
    await h.run('supervisorstartup');
    expect(h.records[1]).toBe(`${L}: sudo -H -u zope -- /bin/bash -l -c 'cd /srv/site && /srv/site/bin/supervisord'`);
  });
  test('supervisorstartup with sudosupervisor: sudo shutdown (failure ignored), then sudo bin/<name>d', async () => {
    const h = await load({ sudosupervisor: 'supervisor' }, { responses: [{ match: /ctl (reload|shutdown)/, result: { code: 1 } }] });
    await h.run('supervisorstartup');
    expect(h.records.slice(0, 3)).toEqual([
      `${B}: ${inSite('/srv/site/bin/supervisorctl reload')}`,
      `${L}: sudo -H -- /bin/bash -l -c 'cd /srv/site && /srv/site/bin/supervisorctl shutdown'`,
      `${L}: sudo -H -- /bin/bash -l -c 'cd /srv/site && /srv/site/bin/supervisord'`,
    ]);
  });
  test('supervisorboot installs a boot script running supervisord as the effective user', async () => {
    const h = await load({ 'effective-user': 'zope' });
    await h.run('supervisorboot');
    expect(h.log).toContain("Hostout: Running command 'install_bootscript' from 'collective.hostout'");
    expect(h.records[0]).toContain('start) sudo -u zope bin/supervisord ;;');
    expect(h.records[0]).toContain('stop) sudo -u zope bin/supervisorctl shutdown ;;');
    expect(h.records[0]).toContain('/etc/init.d/buildout-site-supervisor');
  });
});

describe('around deploy', () => {
  const exists = (p: string) => p === '/srv/site/bin/buildout';
  test('predeploy: the usual predeploy first, then stop all; postdeploy: the usual, then startup', async () => {
    const h = await load({}, { exists });
    await h.run('predeploy');
    expect(h.log).toEqual([
      "Hostout: Running command 'predeploy' from 'hostout.supervisor'",
      "Hostout: Running command 'predeploy' from 'collective.hostout'",
      "Hostout: Running command 'precommands' from 'collective.hostout'",
      "Hostout: Running command 'supervisorshutdown' from 'hostout.supervisor'",
    ]);
    h.clear();
    await h.run('postdeploy');
    expect(h.log).toEqual([
      "Hostout: Running command 'postdeploy' from 'hostout.supervisor'",
      "Hostout: Running command 'postdeploy' from 'collective.hostout'",
      "Hostout: Running command 'supervisorstartup' from 'hostout.supervisor'",
      "Hostout: Running command 'supervisorctl' from 'hostout.supervisor'",
    ]);
  });
  test('rollingrestart: nothing stopped before, shutdown and startup after', async () => {
    const h = await load({ rollingrestart: 'true' }, { exists });
    await h.run('predeploy');
    expect(h.log).not.toContain("Hostout: Running command 'supervisorshutdown' from 'hostout.supervisor'");
    h.clear();
    await h.run('postdeploy');
    expect(h.log.filter((l) => /supervisor(shutdown|startup)/.test(l))).toEqual([
      "Hostout: Running command 'supervisorshutdown' from 'hostout.supervisor'",
      "Hostout: Running command 'supervisorstartup' from 'hostout.supervisor'",
    ]);
  });
  test('install-on-startup: predeploy installs the boot script (the original called a missing installonstartup)', async () => {
    const h = await load({ 'install-on-startup': 'true' }, { exists });
    await h.run('predeploy');
    expect(h.log).toContain("Hostout: Running command 'supervisorboot' from 'hostout.supervisor'");
    expect(h.records.some((r) => r.includes('/etc/init.d/buildout-site-supervisor'))).toBe(true);
  });
  test('extends order decides start/stop/restart against hostout.pushdeploy, as in the original', async () => {
    t = await loadPluginForTest('hostout.supervisor', { options: base, with: ['hostout.pushdeploy'] });
    for (const verb of ['start', 'stop', 'restart']) await t.run(verb);
    expect(t.log).toEqual(['start', 'supervisorctl', 'stop', 'supervisorctl', 'restart', 'supervisorctl'].map((c) => `Hostout: Running command '${c}' from 'hostout.supervisor'`));
    await t.close();
    t = await loadPluginForTest('hostout.pushdeploy', { options: { ...base, restart: 'true' }, with: ['hostout.supervisor'] });
    await t.run('stop').catch(() => undefined);
    expect(t.log[0]).toBe("Hostout: Running command 'stop' from 'hostout.pushdeploy'");
  });
});

/** Shared helpers of the runtime unit tests: hosts from plain objects, a recording transport, a recording logger. */
import * as os from 'node:os';
import * as path from 'node:path';
import { createRecordingLogger } from '../../lib/log';
import { Runtime } from '../../lib/hostout/dispatch';
import type { HostDefinition } from '../../lib/hostout/hosts';
import type { LoadedPlugin } from '../../lib/hostout/plugins';
import type { Plugin } from '../../lib/hostout/types';
import { RecordingTransportFactory, type RecordingOptions } from '../../lib/transport/recording';

/** An ssh environment that reads nothing of the real machine. */
export const NO_SSH = {
  home: path.join(os.tmpdir(), 'hostout-test-no-home'),
  configPath: path.join(os.tmpdir(), 'hostout-test-no-home', 'no-ssh-config'),
  localUser: 'tester',
};

export function set(id: string, plugin: Omit<Plugin, 'name'> & { name?: string }): LoadedPlugin {
  return { id, file: `/virtual/${id}`, plugin: { name: plugin.name ?? id, ...plugin } as Plugin };
}

export function host(name: string, sets: LoadedPlugin[], options: Record<string, string> = {}): HostDefinition {
  return { name, sets, options: { host: `${name}.example.com`, user: 'root', 'buildout-user': 'root', path: `/srv/${name}`, ...options } };
}

export function runtime(hosts: HostDefinition[], recording: RecordingOptions = {}) {
  const transport = new RecordingTransportFactory({ sshEnv: NO_SSH, ...recording });
  const log = createRecordingLogger();
  const rt = new Runtime(hosts, { transport, log, dryRun: true, buildoutDirectory: '/local/buildout' });
  return { rt, transport, log };
}

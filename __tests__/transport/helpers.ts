/** Shared set-up for the transport's end-to-end tests: a private HOME with known_hosts and ssh config. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRecordingLogger } from '../../lib/log';
import { RealTransportFactory } from '../../lib/transport/real';
import { clearSshConfigCache, type SshEnvironment } from '../../lib/transport/ssh-config';
import type { SshServer } from '../../fixtures/servers';

export interface TestHome {
  dir: string;
  sshEnv: SshEnvironment;
  knownHosts: string;
  sshConfig: string;
  trust(...servers: SshServer[]): void;
  writeSshConfig(text: string): void;
  cleanup(): void;
}

/** A fake HOME: nothing here reads or writes the real /root/.ssh. */
export function makeTestHome(): TestHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-home-'));
  fs.mkdirSync(path.join(dir, '.ssh'), { mode: 0o700 });
  const knownHosts = path.join(dir, '.ssh', 'known_hosts');
  const sshConfig = path.join(dir, '.ssh', 'config');
  return {
    dir,
    knownHosts,
    sshConfig,
    sshEnv: { home: dir, configPath: sshConfig, localUser: os.userInfo().username, agentSocket: undefined },
    trust: (...servers) => fs.appendFileSync(knownHosts, servers.map((s) => s.knownHostsLine + '\n').join('')),
    writeSshConfig: (text) => {
      fs.writeFileSync(sshConfig, text);
      clearSshConfigCache();
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export function realFactory(home: TestHome, extra: Partial<SshEnvironment> = {}, prompt?: (q: string) => Promise<string>) {
  const log = createRecordingLogger();
  const factory = new RealTransportFactory({ log, interactive: prompt !== undefined, sshEnv: { ...home.sshEnv, ...extra }, prompt });
  return { factory, log };
}

/** Host options for a harness server. */
export function hostOptions(server: SshServer, extra: Record<string, string> = {}): Record<string, string> {
  return { host: `${server.host}:${server.port}`, user: 'root', 'identity-file': server.clientKeyPath, ...extra };
}

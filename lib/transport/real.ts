/** The real transport (node-ssh + system rsync). Being built: see issue 4. */
import { TransportError } from '../errors';
import type { Logger } from '../log';
import type { SshEnvironment } from './ssh-config';
import type { HostTransport, TransportFactory } from './types';

export interface RealTransportOptions {
  log: Logger;
  interactive: boolean;
  sshEnv: SshEnvironment;
}

export class RealTransportFactory implements TransportFactory {
  constructor(readonly opts: RealTransportOptions) {}
  forHost(hostName: string): HostTransport {
    throw new TransportError(`the real transport is not finished yet (host ${hostName})`);
  }
  async closeAll(): Promise<void> {}
}

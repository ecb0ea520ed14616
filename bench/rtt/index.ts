/**
 * BENCH_RTT for the benches: every method's connections to a production
 * server go through the harness's TCP proxy (fixtures/servers/tcp-proxy.ts),
 * which holds each direction's bytes BENCH_RTT/2 ms and counts the
 * request/response exchanges (client sent, then server answered).
 *
 * Each server's proxy runs in a process of its own (this file, forked): the
 * benches block their own event loop while a method runs (spawnSync), and
 * 16 hosts' first deploys would otherwise all pass through one process.
 * Without BENCH_RTT there is no proxy and no count: methods connect to the
 * servers directly, as before.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { startTcpProxy } from '../../fixtures/servers/tcp-proxy';

/** The round trip to emulate in milliseconds, or undefined (BENCH_RTT unset): no proxy. */
export const RTT = process.env.BENCH_RTT === undefined || process.env.BENCH_RTT === '' ? undefined : Number(process.env.BENCH_RTT);
if (RTT !== undefined && !(RTT >= 0)) throw new Error(`BENCH_RTT must be a number of milliseconds, not ${process.env.BENCH_RTT}`);

export interface RttProxy {
  port: number;
  /** Exchanges counted so far on every connection through this proxy. */
  exchanges(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a proxy process in front of 127.0.0.1:targetPort that delays each direction by rttMs/2. */
export function startRttProxy(targetPort: number, rttMs: number): Promise<RttProxy> {
  const child: ChildProcess = fork(__filename, [String(targetPort), String(rttMs / 2)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const replies: Array<(n: number) => void> = [];
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the RTT proxy to port ${targetPort} exited (${code})`)));
    child.on('message', (m: { port?: number; exchanges?: number }) => {
      if (m.exchanges !== undefined) (replies.shift() as (n: number) => void)(m.exchanges);
      else if (m.port !== undefined) {
        resolve({
          port: m.port,
          exchanges: () => new Promise((res) => {
            replies.push(res);
            child.send('count');
          }),
          stop: () => new Promise((res) => {
            child.removeAllListeners('exit');
            child.once('exit', () => res());
            child.kill('SIGTERM');
          }),
        });
      }
    });
  });
}

/** Round trips of a method: the exchanges its run added, per host. */
export async function exchangesOf(proxies: RttProxy[]): Promise<number> {
  return (await Promise.all(proxies.map((p) => p.exchanges()))).reduce((a, b) => a + b, 0);
}

// Forked: serve one proxy until told to stop.
if (require.main === module && process.send) {
  const [target, delay] = process.argv.slice(2).map(Number);
  void startTcpProxy(target, '127.0.0.1', { delayMs: delay }).then((proxy) => {
    process.on('message', () => process.send?.({ exchanges: proxy.exchanges() }));
    process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
    process.on('disconnect', () => void proxy.close().then(() => process.exit(0)));
    process.send?.({ port: proxy.port });
  });
}

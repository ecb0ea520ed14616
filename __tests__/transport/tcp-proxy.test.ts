/**
 * The harness's TCP proxy as the benches use it (BENCH_RTT): it holds each
 * direction's bytes for the delay, keeps their order, and counts one
 * exchange each time the server answers what the client sent.
 */
import * as net from 'node:net';
import { startTcpProxy, type TcpProxy } from '../../fixtures/servers/tcp-proxy';

let echo: net.Server;
let proxy: TcpProxy | undefined;

/** A server that answers every chunk with the same bytes. */
beforeAll(async () => {
  echo = net.createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

const echoPort = () => (echo.address() as net.AddressInfo).port;

/** Sends each message and waits for its whole answer before the next; the milliseconds each round trip took. */
async function pingPong(port: number, messages: string[]): Promise<number[]> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const times: number[] = [];
  for (const m of messages) {
    const t = performance.now();
    socket.write(m);
    let got = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        got += d.toString();
        if (got.length >= m.length) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    expect(got).toBe(m);
    times.push(performance.now() - t);
  }
  socket.destroy();
  return times;
}

test('without a delay it passes bytes through and counts one exchange per request answered', async () => {
  proxy = await startTcpProxy(echoPort());
  await pingPong(proxy.port, ['a', 'bb', 'ccc']);
  expect(proxy.exchanges()).toBe(3);
  expect(proxy.connections()).toBe(1);
});

test('a delay of D ms makes every round trip take at least 2 D ms, in order, and the count is the same', async () => {
  proxy = await startTcpProxy(echoPort(), '127.0.0.1', { delayMs: 40 });
  const big = 'x'.repeat(1_000_000);
  const times = await pingPong(proxy.port, ['one', big, 'three', 'four']);
  for (const t of times) expect(t).toBeGreaterThanOrEqual(79);
  expect(proxy.exchanges()).toBeGreaterThanOrEqual(4);
  // A large answer may arrive in several chunks, a large request too; the count only grows on a turn.
  expect(proxy.exchanges()).toBeLessThanOrEqual(4 + 2 * Math.ceil(big.length / 16384));
});

test('the end of a stream arrives after the delayed bytes before it', async () => {
  const sink = net.createServer((s) => {
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => s.end(`got ${got.length}`));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  proxy = await startTcpProxy((sink.address() as net.AddressInfo).port, '127.0.0.1', { delayMs: 30 });
  const socket = net.connect(proxy.port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => (answer += d.toString()));
  socket.end('hello world');
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  expect(answer).toBe('got 11');
  expect(proxy.exchanges()).toBe(1);
  await new Promise<void>((resolve) => sink.close(() => resolve()));
});

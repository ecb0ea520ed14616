/**
 * The rolling restart of a site's instances (docs/pushdeploy.md,
 * "Zero-downtime deploys"): instead of `supervisorctl restart site:*`, which
 * stops every instance at once, each instance in turn (or `rolling-batch` at
 * once) is set to `drain` in haproxy, restarted once its sessions ended, asked
 * for its health URL on its own port (through the ssh connection, so
 * production needs no curl), and set back to `ready`. The other instances
 * serve meanwhile.
 */
import { CommandError, ConfigError, InterruptedError, type CommandContext } from 'hostout';
import { Haproxy } from './haproxy';
import { healthUrl, restartLine, type Instance, type RollSettings } from './roll-settings';
import { retryUntil } from './retry';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `work`, or a CommandError saying `what` once `ms` passed (the work is left to end with the run's connections). */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandError(what, {})), Math.max(0, ms));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** haproxy sends requests to a server in these states (`show stat`'s status; 'UP 1/3' is going down but still up). */
const serving = (status: string) => /^(UP|no check|OPEN)\b/.test(status);

/** The roll stopped at `instance`: it did not restart or become healthy. `restarted` went through a restart (it included). */
export class RollFailure extends CommandError {
  constructor(message: string, readonly instance: Instance, readonly restarted: Instance[], fields: { host: string; command?: string; status?: number | null; cause?: unknown }) {
    super(message, fields);
  }
}

export interface RollDeps {
  ctx: CommandContext;
  site: string;
  r: RollSettings;
  /** Runs a line on production as the restart lines run (sudo with remote-sudo, in `path`); `cleanup` runs it even after Ctrl-C. */
  run(line: string, o?: { cleanup?: boolean }): Promise<unknown>;
}

export class InstanceRoll {
  private readonly haproxy?: Haproxy;
  private interrupted = false;
  /** The instance whose restart line is running: an interrupt that cuts it finishes it (finishRestart). */
  private restarting?: Instance;

  /** Between two steps: an interrupted roll goes no further. */
  private stopIfInterrupted(): void {
    if (this.interrupted) throw new InterruptedError(`interrupted during the roll of ${this.d.site}`, { host: this.d.site });
  }

  constructor(private readonly d: RollDeps) {
    const b = d.r.balancer;
    if (b) {
      const { ctx } = d;
      const onPart = b.part && b.part !== d.site ? b.part : undefined;
      const where = `haproxy (${onPart ? `haproxy-socket of ${onPart}` : `${b.socket} on ${d.site}`})`;
      const send = onPart
        // The balancer's host is another part: its own `haproxy` command talks to its socket over its connection.
        ? async (command: string) => String((await ctx.hosts[onPart].call('haproxy', command)) ?? '')
        : (command: string, readOnly: boolean, cleanup?: boolean) => ctx.remote.socketExchange(b.socket as string, `${command}\n`, { readOnly, cleanup });
      this.haproxy = new Haproxy(send, b.backend, where, d.site);
    }
  }

  private info(message: string): void {
    this.d.ctx.log.info(`[${this.d.site}] ${message}`);
  }

  /**
   * One step of an instance's roll as a run event (`plugin-step` under
   * --json): `kind` is the label (roll or rollback), `since` when the step began.
   */
  private report(label: string, step: 'drain' | 'drained' | 'restart' | 'healthy' | 'ready' | 'undrain', i: Instance, since: number, fields: Record<string, string | number | boolean> = {}): void {
    const b = this.d.r.balancer;
    this.d.ctx.report({
      kind: label, step, subject: i.name, durationMs: Date.now() - since,
      fields: { ...(b ? { server: `${b.backend}/${i.server}` } : {}), port: i.port, ...fields },
    });
  }

  /**
   * Before anything changes: the balancer answers, and its backend has every
   * instance's server. A refusal is a ConfigError (exit 2) saying what to set.
   */
  async preflight(): Promise<void> {
    if (!this.haproxy) return;
    try {
      await this.haproxy.check(this.d.r.instances.map((i) => i.server));
    } catch (e) {
      if (e instanceof ConfigError || !(e instanceof CommandError)) throw e;
      throw new ConfigError(
        `cannot reach ${this.haproxy.where}: ${e.message}. Set haproxy-socket to haproxy's admin socket (stats socket PATH level admin in haproxy.cfg), ` +
          'readable by the login user, or haproxy-host to the part whose host runs haproxy',
        { host: this.d.site, cause: e },
      );
    }
  }

  /** Without a dry run's connection, what would happen to each instance. */
  plan(instances: readonly Instance[] = this.d.r.instances): void {
    const { r } = this.d;
    for (const i of instances) {
      const steps = [
        this.haproxy ? `drain ${r.balancer?.backend}/${i.server} (until 0 sessions, up to ${r.drainTimeout} s)` : undefined,
        `restart: ${restartLine(r, i)}`,
        `health: ${healthUrl(r, i)} (up to ${r.healthTimeout} s)`,
        this.haproxy ? `ready ${r.balancer?.backend}/${i.server}` : undefined,
      ].filter(Boolean);
      this.info(`roll ${i.name}: ${steps.join(', then ')}`);
    }
  }

  /**
   * Roll `instances` (default all) in batches of `rolling-batch`. Throws a
   * RollFailure naming the instance that did not come back; the instances of
   * its batch stay drained (the caller rolls them back), never the others.
   */
  async roll(instances: readonly Instance[] = this.d.r.instances, label = 'roll'): Promise<void> {
    const { r, ctx } = this.d;
    if (ctx.dryRun) {
      // Only what would change is recorded; the waits need a restarted instance.
      this.plan(instances);
      for (const i of instances) {
        await this.haproxy?.setState(i.server, 'drain');
        await this.d.run(restartLine(r, i));
        await this.haproxy?.setState(i.server, 'ready');
      }
      return;
    }
    const restarted: Instance[] = [];
    const started = Date.now();
    this.restarting = undefined;
    /** Drained and not ready again yet: what an interrupted roll must not leave behind. */
    const inHand = new Set<Instance>();
    // Ctrl-C (or SIGTERM): hostout's run closes the connections and ends the commands within a few
    // seconds; the roll stops at its next step and sets the instances in hand back to ready first.
    const onSignal = () => {
      this.interrupted = true;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await this.batches(instances, label, restarted, inHand);
    } catch (e) {
      // A failed instance is the caller's to roll back (or to leave drained with --no-rollback); anything
      // else (Ctrl-C closed the connection, the connection dropped) leaves no server drained by us.
      if (e instanceof RollFailure && !this.interrupted) throw e;
      // Ctrl-C cut an instance's restart: it may be stopped. Finished first, so that it serves again.
      const cut = this.interrupted ? this.restarting : undefined;
      const finished = cut && await this.finishRestart(cut, label);
      if (cut && finished) inHand.delete(cut);
      const where = this.whereEach(instances, restarted, inHand, cut && { instance: cut, finished: !!finished });
      await this.undrain([...inHand], label);
      // Ctrl-C: say where each instance stands, so the summary tells which release it runs.
      if (this.interrupted) throw new InterruptedError(`${label} of ${this.d.site} interrupted: ${where}`, { host: this.d.site, cause: e });
      throw e;
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    this.info(`${label}: ${instances.length} instance(s) restarted one batch at a time in ${secs(Date.now() - started)}`);
  }

  /** `instance1 restarted, instance2 set back to ready (its restart may not have finished), instance3 not restarted`. */
  private whereEach(instances: readonly Instance[], restarted: readonly Instance[], inHand: ReadonlySet<Instance>, cut?: { instance: Instance; finished: boolean }): string {
    return instances.map((i) => {
      if (!restarted.includes(i)) return `${i.name} not restarted`;
      if (cut?.instance === i) return cut.finished ? `${i.name} restarted (its restart, cut short, was run again)` : `${i.name} set back to ready (it may be stopped: its restart was cut short and did not finish)`;
      return inHand.has(i) ? `${i.name} set back to ready (its restart may not have finished)` : `${i.name} restarted`;
    }).join(', ');
  }

  private async batches(instances: readonly Instance[], label: string, restarted: Instance[], inHand: Set<Instance>): Promise<void> {
    const { r } = this.d;
    for (let at = 0; at < instances.length; at += r.batch) {
      const batch = instances.slice(at, at + r.batch);
      for (const i of batch) inHand.add(i);
      await Promise.all(batch.map((i) => this.drain(i, label)));
      // One instance at a time through supervisorctl (it serialises anyway), then their health together.
      for (const i of batch) {
        this.stopIfInterrupted();
        restarted.push(i);
        const t = Date.now();
        const line = restartLine(r, i);
        this.info(`${label} ${i.name}: restart: ${line}`);
        this.restarting = i;
        try {
          await this.d.run(line);
        } catch (e) {
          this.report(label, 'restart', i, t, { ok: false });
          // Ctrl-C closed the connection under it: not the instance's failure (the interrupt finishes it).
          if (this.interrupted) throw new InterruptedError(`interrupted during the restart of ${i.name}`, { host: this.d.site, cause: e });
          this.restarting = undefined;
          if (!(e instanceof CommandError)) throw e;
          const why = e.message;
          throw new RollFailure(`instance ${i.name} did not restart: ${why}`, i, [...restarted], { host: this.d.site, command: line, status: (e as CommandError).status, cause: e });
        }
        this.restarting = undefined;
        this.report(label, 'restart', i, t, { ok: true });
        this.info(`${label} ${i.name}: restarted in ${secs(Date.now() - t)}`);
      }
      const health = await Promise.allSettled(batch.map((i) => this.waitHealthy(i, label)));
      const failed = health.findIndex((h) => h.status === 'rejected');
      // The healthy ones of the batch serve again even when one did not come back.
      await Promise.all(batch.filter((_, k) => health[k].status === 'fulfilled').map(async (i) => {
        await this.ready(i, label);
        inHand.delete(i);
      }));
      if (failed >= 0) {
        const reason = (health[failed] as PromiseRejectedResult).reason as Error;
        // Not a failure of the instance: the connection went (Ctrl-C, a drop).
        if (!(reason instanceof CommandError)) throw reason;
        throw new RollFailure(reason.message, batch[failed], [...restarted], { host: this.d.site, command: healthUrl(r, batch[failed]), cause: reason });
      }
    }
  }

  /**
   * After an interrupt that cut `i`'s restart short. Its ssh channel closed
   * under the restart line: supervisorctl, killed by the hang-up or by writing
   * to the closed channel, may have stopped the instance and never started it.
   * So the restart line runs again (marked `cleanup`: it runs after Ctrl-C,
   * and the run waits for it), again a second later while it fails
   * (supervisord may still be stopping the instance), then the instance's
   * health is awaited on its own port and it is set back to `ready`: each of
   * the restart and the health check within `health-timeout`. True when it is
   * healthy and ready; false (said in a warning) otherwise.
   */
  private async finishRestart(i: Instance, label: string): Promise<boolean> {
    const { r, ctx } = this.d;
    const line = restartLine(r, i);
    const warn = (m: string) => ctx.log.warn(`[${this.d.site}] ${label} interrupted: ${m}`);
    warn(`the restart of ${i.name} was cut short; running it again: ${line}`);
    const t = Date.now();
    const deadline = t + r.healthTimeout * 1000;
    for (let done = false; !done;) {
      try {
        await withTimeout(this.d.run(line, { cleanup: true }), deadline - Date.now(), `${line} did not end within ${r.healthTimeout} s`);
        done = true;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        if (!(e instanceof CommandError) || Date.now() + 1000 >= deadline) {
          this.report(label, 'restart', i, t, { ok: false });
          warn(`${i.name} may be stopped: running its restart again failed (${why})`);
          return false;
        }
        await sleep(1000);
      }
    }
    this.report(label, 'restart', i, t, { ok: true });
    try {
      await this.waitHealthy(i, label, { cleanup: true });
      await this.haproxy?.setState(i.server, 'ready', { cleanup: true });
    } catch (e) {
      warn(`${i.name} was restarted again but ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    this.report(label, 'ready', i, t);
    warn(`${i.name} restarted again, healthy${this.haproxy ? ' and set back to ready in haproxy' : ''} in ${secs(Date.now() - t)}`);
    return true;
  }

  /**
   * After an interruption: set the instances in hand back to `ready` (over a
   * new connection when the old one was closed), whatever state their restart
   * reached: haproxy's own checks keep requests from one that is not up yet.
   */
  private async undrain(instances: readonly Instance[], label: string): Promise<void> {
    const b = this.d.r.balancer;
    for (const i of instances) {
      const t = Date.now();
      try {
        await this.haproxy?.setState(i.server, 'ready', { cleanup: true });
        this.report(label, 'undrain', i, t, { ok: true });
        this.d.ctx.log.warn(`[${this.d.site}] ${label} interrupted: ${i.name} set back to ready in haproxy (its restart may not have finished)`);
      } catch (e) {
        this.report(label, 'undrain', i, t, { ok: false });
        this.d.ctx.log.error(
          `[${this.d.site}] ${label} interrupted: ${i.name} is left drained in haproxy (${e instanceof Error ? e.message : String(e)}): ` +
            `hostout ${b?.part ?? this.d.site} haproxy set server ${b?.backend}/${i.server} state ready`,
        );
      }
    }
  }

  /**
   * The canary's watch: every instance's health URL, once a second for
   * `canary-wait` seconds; the first one that fails or answers 4xx/5xx fails it.
   */
  async watch(): Promise<void> {
    const { r, ctx } = this.d;
    if (ctx.dryRun) {
      this.info(`canary: would ask ${r.instances.map((i) => healthUrl(r, i)).join(' ')} every second for ${r.canaryWait} s`);
      return;
    }
    const started = Date.now();
    let rounds = 0;
    do {
      for (const i of r.instances) {
        const url = healthUrl(r, i);
        let why: string | undefined;
        try {
          const answer = await ctx.remote.httpGet(url, { timeoutMs: 10_000 });
          if (answer.status < 200 || answer.status >= 400) why = `it answered ${answer.status}`;
        } catch (e) {
          if (!(e instanceof CommandError)) throw e;
          why = e.message;
        }
        if (why) throw new CommandError(`canary: instance ${i.name} failed its health check after ${secs(Date.now() - started)} (${url}: ${why})`, { host: this.d.site, command: url });
      }
      rounds++;
      await sleep(1000);
    } while (Date.now() - started < r.canaryWait * 1000);
    this.info(`canary: every instance stayed healthy for ${secs(Date.now() - started)} (${rounds} rounds)`);
  }

  /**
   * Set an instance's server back to `ready`, and wait until haproxy itself
   * sends it requests again: with `check` on the server, haproxy marked it
   * DOWN while it restarted and needs `rise` good checks of its own. Draining
   * the next instance before that would leave the backend with no server.
   */
  async ready(i: Instance, label = 'roll'): Promise<void> {
    if (!this.haproxy) return;
    const t = Date.now();
    await this.haproxy.setState(i.server, 'ready');
    const deadline = t + this.d.r.healthTimeout * 1000;
    let status = (await this.haproxy.servers())?.get(i.server)?.status ?? 'UP';
    while (!serving(status) && Date.now() < deadline) {
      await sleep(200);
      status = (await this.haproxy.servers())?.get(i.server)?.status ?? 'UP';
    }
    if (!serving(status)) {
      throw new CommandError(`haproxy still reports ${this.d.r.balancer?.backend}/${i.server} as ${status} ${this.d.r.healthTimeout} s after it was set ready`, { host: this.d.site });
    }
    this.report(label, 'ready', i, t, { status });
    this.info(`${label} ${i.name}: ready in haproxy (${status} after ${secs(Date.now() - t)})`);
  }

  private async drain(i: Instance, label: string): Promise<void> {
    const { r } = this.d;
    if (!this.haproxy) return;
    const t = Date.now();
    await this.haproxy.setState(i.server, 'drain');
    this.report(label, 'drain', i, t);
    this.info(`roll ${i.name}: drain ${r.balancer?.backend}/${i.server}`);
    const deadline = t + r.drainTimeout * 1000;
    let sessions = await this.haproxy.sessions(i.server);
    while (sessions > 0 && Date.now() < deadline) {
      this.stopIfInterrupted();
      await sleep(200);
      sessions = await this.haproxy.sessions(i.server);
    }
    this.report(label, 'drained', i, t, { sessions });
    if (sessions > 0) this.d.ctx.log.warn(`[${this.d.site}] roll ${i.name}: still ${sessions} session(s) after drain-timeout ${r.drainTimeout} s; restarting it anyway`);
    else this.info(`roll ${i.name}: drained in ${secs(Date.now() - t)}`);
  }

  /**
   * The instance's health URL on its own port answers 2xx/3xx within
   * `health-timeout`. `cleanup`: after an interrupt, finishing a restart it cut
   * (the checks run despite the interrupt).
   */
  private async waitHealthy(i: Instance, label: string, o: { cleanup?: boolean } = {}): Promise<void> {
    const { r, ctx } = this.d;
    const url = healthUrl(r, i);
    const t = Date.now();
    const { passed, last } = await retryUntil(async (deadline): Promise<{ status?: number; why: string }> => {
      const left = deadline - Date.now();
      try {
        const answer = await ctx.remote.httpGet(url, { timeoutMs: Math.max(1000, Math.min(10_000, left)), cleanup: o.cleanup });
        return { status: answer.status, why: `it answered ${answer.status}` };
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        return { why: e.message };
      }
    }, (a) => a.status !== undefined && a.status >= 200 && a.status < 400, { start: t, timeoutMs: r.healthTimeout * 1000, intervalMs: 500, beforePause: () => (o.cleanup ? undefined : this.stopIfInterrupted()) });
    if (passed) {
      this.report(label, 'healthy', i, t, { status: last.status ?? 0 });
      this.info(`${label} ${i.name}: healthy in ${secs(Date.now() - t)} (${url} answered ${last.status})`);
      return;
    }
    this.report(label, 'healthy', i, t, { ok: false });
    throw new CommandError(`instance ${i.name} did not become healthy within ${r.healthTimeout} s (${url}: ${last.why})`, { host: this.d.site, command: url });
  }
}

/**
 * `hostout` entry point: argv → config engine → hostout parts → command table → transport.
 *
 * FIRST VERSION (skeleton): handles the config-engine modes (--resolve,
 * --annotate, --query). The runtime (issue 3) extends this with hosts and commands.
 */
import { HostoutError } from '../errors';
import { runBuildoutMode, type BuildoutModeArgs } from './buildout-modes';

export async function main(argv: string[]): Promise<number> {
  try {
    const args: BuildoutModeArgs = { userDefaults: true, assignments: [], positional: [] };
    let mode: 'resolve' | 'annotate' | 'query' | undefined;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '-c') args.config = argv[++i];
      else if (a.startsWith('-c') && !a.startsWith('--')) args.config = a.slice(2);
      else if (a === '-U') args.userDefaults = false;
      else if (a === '--resolve') mode = 'resolve';
      else if (a === '--annotate') mode = 'annotate';
      else if (a === '--query') mode = 'query';
      else if (a.includes('=')) args.assignments.push(a);
      else args.positional.push(a);
    }
    if (mode) return await runBuildoutMode(mode, args);
    process.stderr.write('usage: hostout [-c FILE] [-U] [section:option=value ...] (--resolve | --annotate [SECTION ...] | --query SECTION:OPTION)\n');
    return 2;
  } catch (err) {
    if (err instanceof HostoutError) {
      process.stderr.write(`hostout: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

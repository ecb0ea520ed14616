/**
 * The config-engine modes of the CLI: `--resolve` (JSON of every resolved
 * value), `--annotate [SECTION…]` and `--query SECTION:OPTION`, printing
 * exactly what the buildout equivalents print (spec §11).
 */
import { ConfigError, HostoutError } from '../errors';
import { loadBuildout, type LoadedBuildout } from '../buildout';
import { pySorted } from '../buildout/pywhitespace';

export interface BuildoutModeArgs {
  config?: string;
  userDefaults: boolean;
  assignments: string[];
  positional: string[];
}

export type BuildoutMode = 'resolve' | 'annotate' | 'query';

/** Python's json.dump(indent=2, ensure_ascii=False) output for string-only nested objects. */
export function formatResolveJson(
  values: Record<string, Record<string, string>>,
  errors: Record<string, string>,
): string {
  // Written out directly (same bytes as JSON.stringify(sorted, null, 2)):
  // rebuilding sorted objects first cost more than resolving large configs.
  const object = (record: Record<string, string>, indent: string): string => {
    const keys = pySorted(Object.keys(record));
    if (!keys.length) return '{}';
    const inner = indent + '  ';
    return '{\n' + keys.map((k) => `${inner}${JSON.stringify(k)}: ${JSON.stringify(record[k])}`).join(',\n') + `\n${indent}}`;
  };
  const entries = pySorted(Object.keys(values)).map((name) => `  ${JSON.stringify(name)}: ${object(values[name], '  ')}`);
  if (Object.keys(errors).length) entries.push(`  "__errors__": ${object(errors, '  ')}`);
  return (entries.length ? '{\n' + entries.join(',\n') + '\n}' : '{}') + '\n';
}

/** buildout creates its cache/eggs directories for every command and says so on stdout. */
function creationLog(buildout: LoadedBuildout): string {
  return buildout
    .createStandardDirectories()
    .map((l) => l + '\n')
    .join('');
}

async function runMode(mode: BuildoutMode, args: BuildoutModeArgs): Promise<number> {
  const buildout = (await loadBuildout({
    config: args.config,
    userDefaults: args.userDefaults,
    assignments: args.assignments,
  })) as LoadedBuildout;
  switch (mode) {
    case 'resolve': {
      const { values, problems } = buildout.resolveAllDetailed();
      const errors: Record<string, string> = {};
      for (const p of problems) errors[p.key] = p.message;
      process.stdout.write(formatResolveJson(values, errors));
      for (const p of problems) process.stderr.write(`hostout: [${p.key}] ${p.detail.replace(/\s+$/, '')}\n`);
      return problems.length ? 1 : 0;
    }
    case 'annotate':
      process.stdout.write(creationLog(buildout) + buildout.annotate(args.positional));
      return 0;
    case 'query':
      {
        // buildout creates its directories before it looks at the arguments
        const log = creationLog(buildout);
        process.stdout.write(log);
        if (args.positional.length !== 1) throw new ConfigError('The query command requires a single argument.');
        process.stdout.write(buildout.query(args.positional[0]) + '\n');
      }
      return 0;
  }
}

/** Run one mode; prints to stdout, returns the exit status (2 for config/usage errors). */
export async function runBuildoutMode(mode: BuildoutMode, args: BuildoutModeArgs): Promise<number> {
  try {
    return await runMode(mode, args);
  } catch (err) {
    if (err instanceof HostoutError) {
      process.stderr.write(`hostout: ${err.message.replace(/\s+$/, '')}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

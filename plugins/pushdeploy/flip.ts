/**
 * The flip on production: its shell program (sh/flip.sh) and the round trip
 * that writes it to .hostout/flip.sh and runs it detached from the
 * connection. SiteReleases (releases.ts) decides what to flip and reads the
 * answer.
 */
import { shellQuote } from 'hostout';
import { shellProgram } from './shell-programs';

/**
 * The flip script (sh/flip.sh). `sh flip.sh PATH FROM TO [TOKEN]` makes release TO live in
 * place of FROM (`-` is "no release") by ONE rename(2): `.hostout/current`, a
 * symbolic link to `releases/<ID>`, is replaced by a new link to
 * `releases/TO`. Each tree at `PATH/<tree>` is a link `.hostout/current/<tree>`,
 * so every tree switches at the same instant.
 *
 * Before the switch: TO must be complete (every tree it lists is there), and
 * a link is made for each tree TO has that FROM has not (it points at nothing
 * until the switch, which reads as "absent", as in FROM). After it: the links
 * of trees TO has not are removed (they point at nothing now). A failure
 * before the switch removes the links it made; the last line of its output
 * names the live release (`live ID`).
 *
 * A production whose live trees are real directories (deployed before this
 * layout: `current` a file naming FROM, or adopted) is converted first, once:
 * `current` becomes the link, then each tree moves into FROM's directory and
 * a link takes its place (between those two renames that tree is absent).
 * Every step can be run again after an interruption.
 */
export const FLIP_SCRIPT = shellProgram('flip.sh');

/**
 * The round trip of a flip: `prefix` first (a release to record, an adoption),
 * then the flip script written to `dir` (`<path>/.hostout`) and run detached
 * (`setsid`, SIGHUP ignored inside, output to flip.log) with `args` (PATH FROM
 * TO TOKEN), waited for; if the connection dies meanwhile, the script still
 * finishes. `finish` (the command's last step) runs only after a flip that
 * went through.
 */
export function flipRoundTrip(dir: string, args: readonly string[], prefix = '', finish?: string): string {
  const q = shellQuote;
  return [
    ...(prefix ? [prefix] : []),
    `cd ${q(dir)} || exit 5`,
    `cat > flip.sh.tmp <<'HOSTOUT_FLIP_SCRIPT'\n${FLIP_SCRIPT}HOSTOUT_FLIP_SCRIPT`,
    'mv -f flip.sh.tmp flip.sh || exit 5',
    'if setsid -w true 2>/dev/null; then detach="setsid -w"; elif command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=nohup; fi',
    `$detach sh flip.sh ${args.map(q).join(' ')} > flip.log 2>&1 < /dev/null &`,
    finish ? `wait $!; s=$?; cat flip.log; [ $s = 0 ] || exit $s\n{ ${finish}\n} || true` : 'wait $!; s=$?; cat flip.log; exit $s',
  ].join('\n');
}

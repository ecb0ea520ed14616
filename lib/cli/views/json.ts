/**
 * The `--json` view: every run event as one line of JSON on stdout
 * (docs/events.schema.json), one write per event so events never interleave.
 * Human output then goes to stderr (main.ts).
 */
import { jsonLinesSink, type EventSink } from '../../events';

export function jsonView(write: (text: string) => void): EventSink {
  return jsonLinesSink(write);
}

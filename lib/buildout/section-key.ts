/**
 * SectionKey: a value together with the history of how it arose (spec §4).
 * The history drives `annotate`; the 2.13.2 quirk that an override by a
 * value whose last operation was ADD/REMOVE records nothing is kept.
 */
export type HistoryOperation = 'SET' | 'OVERRIDE' | 'DIRECTORY' | 'ADD' | 'REMOVE';

export interface HistoryItem {
  readonly operation: HistoryOperation;
  readonly value: string;
  /** absolute file path (not normalised), URL, or DEFAULT_VALUE / COMPUTED_VALUE / COMMAND_LINE_VALUE / IMPLICIT_VALUE */
  readonly source: string;
}

/** Where the text of a value was written, for error messages (not part of buildout's model). */
export interface SourceLocation {
  file: string;
  line?: number;
}

export class SectionKey {
  value: string;
  history: HistoryItem[];
  /**
   * Copy-on-write: merging deep-copies sections at every extends level (as
   * buildout does), and copying long histories each time was the engine's
   * main cost. A clone shares the array until either side appends.
   */
  private historyShared = false;
  /** The file and line the current value comes from (last SET/OVERRIDE/ADD/REMOVE in a file). */
  location?: SourceLocation;

  constructor(value: string, source: string, location?: SourceLocation) {
    this.value = value;
    this.history = [{ operation: 'SET', value, source }];
    this.location = location;
  }

  get source(): string {
    return this.history[this.history.length - 1].source;
  }

  /** copy.deepcopy */
  clone(): SectionKey {
    const k = new SectionKey(this.value, '');
    k.history = this.history;
    k.historyShared = true;
    this.historyShared = true;
    k.location = this.location;
    return k;
  }

  private record(item: HistoryItem): void {
    if (this.historyShared) {
      this.history = this.history.slice();
      this.historyShared = false;
    }
    this.history.push(item);
  }

  overrideValue(other: SectionKey): void {
    this.value = other.value;
    if (other.location) this.location = other.location;
    const lastOp = other.history[other.history.length - 1].operation;
    if (lastOp !== 'ADD' && lastOp !== 'REMOVE') {
      this.record({ operation: 'OVERRIDE', value: other.value, source: other.source });
    }
  }

  setDirectory(value: string): void {
    this.value = value;
    this.record({ operation: 'DIRECTORY', value, source: this.source });
  }

  addToValue(added: string, source: string, location?: SourceLocation): void {
    this.value = this.value.split('\n').concat(added.split('\n')).join('\n');
    this.record({ operation: 'ADD', value: added, source });
    if (location) this.location = location;
  }

  removeFromValue(removed: string, source: string, location?: SourceLocation): void {
    const gone = new Set(removed.split('\n'));
    this.value = this.value
      .split('\n')
      .filter((l) => !gone.has(l))
      .join('\n');
    this.record({ operation: 'REMOVE', value: removed, source });
    if (location) this.location = location;
  }
}

export const DEFAULT_VALUE = 'DEFAULT_VALUE';
export const COMPUTED_VALUE = 'COMPUTED_VALUE';
export const COMMAND_LINE_VALUE = 'COMMAND_LINE_VALUE';
export const IMPLICIT_VALUE = 'IMPLICIT_VALUE';

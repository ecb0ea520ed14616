/**
 * SectionKey: a value together with the history of how it arose, as in
 * zc.buildout 2.13.2 (zc/buildout/buildout.py). The history drives `annotate`; the 2.13.2 quirk that an override by a
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
  /**
   * Every key starts with one SET. The history array is only built when a
   * second item is recorded or annotate reads it: most keys never get one, and
   * an array plus an item object per parsed option and per clone was the
   * largest allocation site of a resolve.
   */
  private readonly setValue: string;
  private readonly setSource: string;
  private recorded: HistoryItem[] | undefined;
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
    this.setValue = value;
    this.setSource = source;
    this.recorded = undefined;
    this.location = location;
  }

  /** Oldest first. */
  get history(): readonly HistoryItem[] {
    return (this.recorded ??= [this.firstItem()]);
  }

  get source(): string {
    return this.recorded ? this.recorded[this.recorded.length - 1].source : this.setSource;
  }

  private firstItem(): HistoryItem {
    return { operation: 'SET', value: this.setValue, source: this.setSource };
  }

  private lastOperation(): HistoryOperation {
    return this.recorded ? this.recorded[this.recorded.length - 1].operation : 'SET';
  }

  /** copy.deepcopy */
  clone(): SectionKey {
    const k = new SectionKey(this.setValue, this.setSource, this.location);
    k.value = this.value;
    if (this.recorded) {
      k.recorded = this.recorded;
      k.historyShared = true;
      this.historyShared = true;
    }
    return k;
  }

  private record(item: HistoryItem): void {
    if (!this.recorded) this.recorded = [this.firstItem(), item];
    else if (this.historyShared) {
      this.recorded = this.recorded.concat(item);
      this.historyShared = false;
    } else this.recorded.push(item);
  }

  overrideValue(other: SectionKey): void {
    this.value = other.value;
    if (other.location) this.location = other.location;
    const lastOp = other.lastOperation();
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

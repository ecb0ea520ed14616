/**
 * The small slice of the config engine the hostout runtime needs. The real
 * `Buildout` of lib/buildout satisfies it, and so does a plain object in unit
 * tests, so part finding and option defaulting are testable without files.
 */
export interface BuildoutView {
  /** The buildout directory (where buildout.cfg lives). */
  readonly directory: string;
  hasSection(name: string): boolean;
  /** A section's resolved options (throws ConfigError on a bad reference). */
  section(name: string): Record<string, string>;
  sectionNames(): string[];
}

/** A BuildoutView over plain data: for tests and for callers that already resolved everything. */
export function buildoutFromObject(directory: string, sections: Record<string, Record<string, string>>): BuildoutView {
  return {
    directory,
    hasSection: (name) => Object.prototype.hasOwnProperty.call(sections, name),
    section: (name) => {
      if (!Object.prototype.hasOwnProperty.call(sections, name)) throw new Error(`no section [${name}]`);
      return { ...sections[name] };
    },
    sectionNames: () => Object.keys(sections),
  };
}

/** Split a whitespace-separated option (parts, extends, fabfiles, buildout) into words. */
export function words(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}

/** Split a multi-line option (pre-commands, post-commands, restart) into its non-blank lines. */
export function lines(value: string | undefined): string[] {
  return (value ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
}

/**
 * The engine in-process, loaded from the built dist/ (as `node bin/hostout.js`
 * runs it; the e2e project's globalSetup builds it from the current sources).
 * Going through dist keeps these suites independent of ts-jest re-compiling
 * lib/ and lets worker threads load it.
 */
import * as fs from 'fs';
import type { Buildout, LoadOptions } from '../../lib/buildout';
import { dist } from './built';

export const DIST_ENGINE = dist('lib', 'buildout', 'index.js');
export const DIST_ERRORS = dist('lib', 'errors.js');

export interface EngineModule {
  loadBuildout(options: LoadOptions): Promise<Buildout>;
}

export interface ErrorsModule {
  HostoutError: new (message: string) => Error;
  ConfigError: new (message: string, file?: string, line?: number) => Error;
}

export function distBuilt(): boolean {
  return fs.existsSync(DIST_ENGINE) && fs.existsSync(DIST_ERRORS);
}

export function loadEngine(): { engine: EngineModule; errors: ErrorsModule } {
  if (!distBuilt()) throw new Error(`${DIST_ENGINE} is missing: the e2e project's globalSetup (__tests__/support/build.ts) builds it`);
  const engine = require(DIST_ENGINE) as EngineModule;
  const errors = require(DIST_ERRORS) as ErrorsModule;
  return { engine, errors };
}

/** globalSetup of both jest projects: the suite's own temp directory and a snapshot of /tmp (tmp-guard.ts). */
export { setup as default } from './tmp-guard';

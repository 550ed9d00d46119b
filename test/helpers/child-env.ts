/**
 * The environment of a process a test starts with a minimal environment: PATH, the test run's
 * private state directory (CACHET_STATE_DIR, set by scripts/run-tests.mjs so that no test writes
 * vault witnesses into the developer's ~/.local/state/cachet), then what the test sets.
 */
export function childEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...(process.env.CACHET_STATE_DIR ? { CACHET_STATE_DIR: process.env.CACHET_STATE_DIR } : {}),
    ...env,
  };
}

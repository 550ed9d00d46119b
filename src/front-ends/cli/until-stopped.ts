/**
 * The edge where a long-running command (web, server, ca ocsp, ca acme) meets the process: it
 * serves until the process is asked to stop (Ctrl-C or SIGTERM), then shuts its server down.
 */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

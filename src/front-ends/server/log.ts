/**
 * The server's log: one JSON object per line (time, level, event, request id, fields) on stdout, for
 * journald or a container's log driver. Secrets and message content never go in: fields are chosen at
 * each call site, and any field whose name suggests a secret is replaced, as a second line of defence.
 */
import type { Writable } from 'node:stream';

export type LogLevel = 'info' | 'warn' | 'error';

const SECRET_FIELD = /pass|secret|token|cookie|authorization|key|body|subject|content/i;

export interface ServerLog {
  write(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

export function jsonLinesLog(out: Writable, now: () => Date = () => new Date()): ServerLog {
  return {
    write(level, event, fields = {}) {
      const safe: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(fields)) safe[name] = SECRET_FIELD.test(name) ? '[redacted]' : value;
      out.write(`${JSON.stringify({ time: now().toISOString(), level, event, ...safe })}\n`);
    },
  };
}

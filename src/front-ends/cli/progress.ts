/**
 * Progress for long work on the terminal (large attachments, mailbox sync): one line on stderr,
 * rewritten in place, only when a person is watching (stderr is a TTY) or when asked (--progress).
 * Scripts reading stdout never see it.
 */
import type { CliContext } from './context.js';
import { ownControlOutput } from './terminal-text.js';

export interface Progress {
  update(done: number, total: number, what?: string): void;
  done(message?: string): void;
}

export function progressFor(context: CliContext, label: string, forced = false): Progress {
  // Cachet's own control sequences redraw the line: they go under the text filter (terminal-text.ts).
  const stderr = ownControlOutput(context.stderr);
  const tty = Boolean((stderr as NodeJS.WriteStream).isTTY);
  if (!tty && !forced) return { update: () => {}, done: () => {} };
  let last = -1;
  const line = (text: string) => stderr.write(tty ? `\r\x1b[2K${text}` : `${text}\n`);
  return {
    update(done, total, what) {
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      // a line every 5 % is enough; more would flood a log
      if (percent === last || (percent - last < 5 && percent !== 100)) return;
      last = percent;
      const width = 24;
      const filled = Math.round((percent / 100) * width);
      line(`${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}%${what ? ` ${what}` : ''}`);
    },
    done(message) {
      if (tty) stderr.write('\r\x1b[2K');
      if (message) stderr.write(`${message}\n`);
    },
  };
}

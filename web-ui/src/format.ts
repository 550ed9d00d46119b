/** How sizes, dates and recipient addresses are written and read on the page: each rule once. */

/** 49 bytes is "49 bytes", 1536 is "1.5 KiB": never rounded up to a unit that overstates it. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${units[unit]}`;
}

/** An ISO date (a certificate's validity) as the reader's own calendar date; unreadable text is shown as given. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
}

const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

export interface ParsedRecipients {
  /** Lower-case addresses (addresses are case-insensitive, as the server's lookups are). */
  addresses: string[];
  /** What could not be read as an address, each with the reason, to be shown and kept for editing. */
  refused: Array<{ text: string; reason: string }>;
}

/**
 * What was typed into To/Cc/Bcc: addresses separated by commas, semicolons or spaces, and
 * `Name <address>` (the name may be quoted and hold commas). Anything else is refused with a reason,
 * never dropped.
 */
export function parseRecipients(typed: string): ParsedRecipients {
  const segments: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const char of typed) {
    if (char === '"' && !angle) quoted = !quoted;
    else if (char === '<' && !quoted) angle = true;
    else if (char === '>' && !quoted) angle = false;
    if ((char === ',' || char === ';') && !quoted && !angle) {
      segments.push(current);
      current = '';
    } else current += char;
  }
  segments.push(current);
  const out: ParsedRecipients = { addresses: [], refused: [] };
  const accept = (address: string, text: string) => {
    if (ADDRESS.test(address)) out.addresses.push(address.toLowerCase());
    else out.refused.push({ text, reason: address.includes('@') ? 'this is not a complete e-mail address' : 'a name alone is not an address: type the address, like name@example.org' });
  };
  for (const raw of segments) {
    const segment = raw.trim();
    if (!segment) continue;
    const named = /^(.*)<([^<>]*)>\s*$/.exec(segment);
    if (named) accept(named[2]!.trim(), segment);
    else if (segment.split(/\s+/).every((word) => word.includes('@'))) for (const word of segment.split(/\s+/)) accept(word, word);
    else accept(segment, segment);
  }
  return out;
}

/**
 * The CLI's single entry: finds the command, runs it, and turns every failure into one clear line on
 * stderr (or a JSON error object with `--json`) and an exit status derived from the error code.
 * A stack trace is printed only for a bug (a non-Cachet error), and only with CACHET_DEBUG=1.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CachetError, exitStatusFor, exitStatusLegend, isCachetError } from '../../errors.js';
import { COMMANDS, type CommandTable } from './commands/index.js';
import { neutralisingStream, oneLine, terminalSafe } from './terminal-text.js';
import type { CliCommand, CliContext } from './context.js';

const VERSION = '0.1.0';

/**
 * A closed stdout or stderr (`cachet … | head -1`) is reported as an 'error' event; without a
 * listener Node prints it as an uncaught exception with its stack. Listened to here, once: the
 * commands' writes to stdout learn of it through io.ts (ERR_OUTPUT_CLOSED), stderr has nobody left
 * to tell.
 */
let pipesQuieted = false;
function quietOnClosedPipes(): void {
  if (pipesQuieted) return;
  pipesQuieted = true;
  // Always one of our own: a listener someone else added (a Readable piped into stdout) may rethrow.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

export function defaultContext(): CliContext {
  quietOnClosedPipes();
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY) && !process.env.CI;
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interactive,
    prompt: (question, options) => promptOnTerminal(question, options?.secret ?? false, interactive),
  };
}

async function promptOnTerminal(question: string, secret: boolean, interactive: boolean): Promise<string> {
  if (!interactive) {
    throw new CachetError('ERR_PASSWORD_REQUIRED', `${question.replace(/[:\s]+$/, '')} is needed and there is no terminal to ask on`);
  }
  // Echo is suppressed for secrets by giving readline a muted output stream after the question.
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(question, resolve);
      muted = secret;
    });
    if (secret) process.stderr.write('\n');
    return answer;
  } finally {
    rl.close();
  }
}

function findCommand(argv: string[], commands: CommandTable): { name: string; modulePath: string; rest: string[] } | undefined {
  const [first, second] = argv;
  const twoWords = first !== undefined && second !== undefined ? commands[`${first} ${second}`] : undefined;
  if (twoWords) return { name: `${first} ${second}`, modulePath: twoWords.module, rest: argv.slice(2) };
  const oneWord = first !== undefined ? commands[first] : undefined;
  if (oneWord) return { name: first!, modulePath: oneWord.module, rest: argv.slice(1) };
  return undefined;
}

/** The list of commands with their one-line summaries, from the table alone: no command module is loaded. */
function overview(commands: CommandTable): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${commands[name]!.summary}`);
  return [
    'usage: cachet <command> [options]        (cachet <command> --help for details)',
    '',
    'Commands:',
    ...lines,
    '',
    ...wrap(`Exit statuses: ${exitStatusLegend()}`, 100, '               '),
  ].join('\n');
}

/** Breaks a " · " list into lines of at most `width` between its items, continued lines indented. */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of text.split(' · ')) {
    if (line && line.length + 3 + item.length > width) {
      lines.push(`${line} ·`);
      line = indent + item;
    } else line = line ? `${line} · ${item}` : item;
  }
  return [...lines, line];
}

/** Where a table's relative module paths start (an absolute URL, as the process entry's, ignores it). */
const COMMANDS_DIRECTORY = new URL('./commands/', import.meta.url);

async function loadCommand(name: string, modulePath: string): Promise<CliCommand> {
  const url = new URL(modulePath, COMMANDS_DIRECTORY);
  try {
    const module = (await import(url.href)) as { default: CliCommand };
    return module.default;
  } catch (error) {
    const fileName = url.pathname.slice(url.pathname.lastIndexOf('/') + 1).replace(/\.js$/, '');
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(fileName)) {
      throw new CachetError('ERR_NOT_IMPLEMENTED', `the command "${name}" is not available in this build`);
    }
    throw error;
  }
}

/**
 * Runs the CLI; resolves to the process exit status. Never throws. `commands` is the CLI's own table
 * unless the process entry (src/entry/cachet.ts) gives a larger one, with the commands that start the
 * other front ends.
 */
export async function runCli(argv: string[], given: CliContext = defaultContext(), commands: CommandTable = COMMANDS): Promise<number> {
  const wantsJson = argv.includes('--json');
  // Text reaching a terminal shows control characters instead of obeying them (terminal-text.ts);
  // --json output stays exact.
  const stdout = wantsJson ? given.stdout : neutralisingStream(given.stdout);
  const stderr = neutralisingStream(given.stderr);
  // A question may quote a message (an attachment's name): it is shown through the same filter.
  const context: CliContext = { ...given, stdout, stderr, prompt: (question, options) => given.prompt(terminalSafe(question), options) };
  try {
    return await runCommand(argv, context, wantsJson, commands);
  } finally {
    for (const stream of new Set([stdout, stderr])) if (stream !== given.stdout) await new Promise<void>((resolve) => stream.end(() => resolve()));
  }
}

async function runCommand(argv: string[], context: CliContext, wantsJson: boolean, commands: CommandTable): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      context.stdout.write(`${overview(commands)}\n`);
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === '--version') {
      context.stdout.write(`cachet ${VERSION}\n`);
      return 0;
    }
    const found = findCommand(argv, commands);
    if (!found) throw new CachetError('ERR_USAGE', `unknown command "${argv.slice(0, 2).join(' ')}"; run "cachet --help" for the list`);
    const command = await loadCommand(found.name, found.modulePath);
    if (found.rest.includes('--help') || found.rest.includes('-h')) {
      context.stdout.write(`${command.help.trimEnd()}\n`);
      return 0;
    }
    return await command.run(found.rest, context);
  } catch (error) {
    return reportError(error, wantsJson, context);
  }
}

export function reportError(error: unknown, wantsJson: boolean, context: CliContext): number {
  const cachetError = toCachetError(error);
  // The reader went away (`| head -1`): nothing is left to read a message, and it is no failure to
  // explain, as a Unix tool ends on SIGPIPE without a word.
  if (cachetError.code === 'ERR_OUTPUT_CLOSED') return exitStatusFor(cachetError.code);
  // A system error we can explain (no such file, disk full) is the user's situation, not a bug.
  const isBug = cachetError.code === 'ERR_INTERNAL';
  if (wantsJson) context.stdout.write(`${JSON.stringify({ error: cachetError.toJSON() })}\n`);
  // One line: an error quoting message content (a file name, a header) cannot start a line of its own.
  context.stderr.write(`cachet: ${oneLine(cachetError.message)}\n`);
  if (context.env.CACHET_DEBUG === '1') context.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  else if (isBug) context.stderr.write('(this is a bug in Cachet; run with CACHET_DEBUG=1 for details)\n');
  return exitStatusFor(cachetError.code);
}

function toCachetError(error: unknown): CachetError {
  if (isCachetError(error)) return error;
  const errno = (error as NodeJS.ErrnoException)?.code;
  // A package the engine does not need, left out of the installation (npm install --omit=optional).
  const missingPackage = errno === 'ERR_MODULE_NOT_FOUND' ? /Cannot find package '([^']+)'/.exec((error as Error).message)?.[1] : undefined;
  if (missingPackage) return new CachetError('ERR_NOT_IMPLEMENTED', `this command needs the package ${missingPackage}, which is not installed (an installation of the engine alone leaves it out): npm install ${missingPackage}`, { cause: error });
  // A write to stdout that failed outside io.ts's output (its reader gone): the same quiet end.
  if (errno === 'EPIPE') return new CachetError('ERR_OUTPUT_CLOSED', 'the output was closed before everything was written', { cause: error });
  if (errno === 'ENOSPC') return new CachetError('ERR_OUTPUT_WRITE', 'the disk is full; nothing was changed', { cause: error });
  if (errno === 'ENOENT' || errno === 'EACCES' || errno === 'EISDIR') {
    const path = (error as NodeJS.ErrnoException).path ?? '';
    return new CachetError('ERR_INPUT_READ', `cannot open ${path}: ${errno === 'ENOENT' ? 'no such file' : errno === 'EACCES' ? 'permission denied' : 'is a directory'}`, { cause: error });
  }
  if (typeof errno === 'string' && errno.startsWith('ERR_PARSE_ARGS')) {
    return new CachetError('ERR_USAGE', (error as Error).message, { cause: error });
  }
  return new CachetError('ERR_INTERNAL', `internal error: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

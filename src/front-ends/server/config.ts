/**
 * `cachet server --config FILE`: the administrator's YAML file, read once at start. Every key is in
 * CONFIG_SCHEMA below with the sentence docs/server-config.md shows for it (a test keeps the two
 * equal); an unknown key or a bad value is refused with the key's path and its line, because a typo
 * in a security setting must never be silently ignored. Relative paths are relative to the file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { CachetError } from '../../errors.js';

type Leaf =
  | { type: 'string' | 'path' | 'boolean' | 'port' | 'strings'; doc: string; default?: unknown; required?: boolean }
  | { type: 'integer'; doc: string; min: number; max: number; default: number }
  | { type: 'enum'; doc: string; values: readonly string[]; default?: string; required?: boolean };
type Section = { type: 'section'; doc: string; fields: Record<string, Spec>; optional?: boolean };
type Spec = Leaf | Section;

const section = (doc: string, fields: Record<string, Spec>, optional = false): Section => ({ type: 'section', doc, fields, optional });

/** The whole file: every key an administrator may write, with its meaning and default. */
export const CONFIG_SCHEMA: Section = section('the server configuration', {
  listen: section('where the server accepts connections', {
    host: { type: 'string', doc: 'address to listen on; anything but a loopback address needs `tls` or `proxy`', default: '127.0.0.1' },
    port: { type: 'port', doc: 'TCP port', default: 8443 },
  }),
  tls: section('HTTPS: served by Cachet itself, certificate and key reloaded on SIGHUP', {
    certificate: { type: 'path', doc: 'PEM file: the server certificate, then its intermediates', required: true },
    key: { type: 'path', doc: 'PEM file: the private key of the certificate (readable by the service account only)', required: true },
    hstsMaxAgeSeconds: { type: 'integer', doc: 'the Strict-Transport-Security max-age sent with every response', min: 0, max: 63_072_000, default: 31_536_000 },
  }, true),
  proxy: section('a TLS-terminating reverse proxy in front of Cachet (instead of `tls`)', {
    trustedAddresses: { type: 'strings', doc: 'the proxy addresses whose X-Forwarded-For and X-Forwarded-Proto are believed; from anyone else they are ignored', required: true },
  }, true),
  mail: section("the organisation's mail server", {
    imap: section('where users read their mail', {
      host: { type: 'string', doc: 'IMAP server host name (its certificate must name it)', required: true },
      port: { type: 'port', doc: 'IMAP port', default: 993 },
      tls: { type: 'enum', doc: '`implicit` (IMAPS, port 993) or `starttls` (port 143, STARTTLS required)', values: ['implicit', 'starttls'], default: 'implicit' },
      ca: { type: 'path', doc: "PEM file with the CA of the server's certificate, when it is not a public CA" },
      servername: { type: 'string', doc: 'the name to check the certificate against, when it differs from host' },
    }, true),
    smtp: section('where users send (submission with AUTH, as the signed-in user)', {
      host: { type: 'string', doc: 'SMTP submission host name', required: true },
      port: { type: 'port', doc: 'submission port', default: 587 },
      starttls: { type: 'boolean', doc: 'require STARTTLS (true) or use implicit TLS on port 465 (false)', default: true },
      ca: { type: 'path', doc: "PEM file with the CA of the server's certificate, when it is not a public CA" },
      servername: { type: 'string', doc: 'the name to check the certificate against, when it differs from host' },
    }, true),
  }, true),
  directory: section('the LDAP directory: sign-in by bind (signIn.method: ldap); a user is the one entry whose mail (or AD proxyAddresses smtp:) is the address', {
    url: { type: 'string', doc: 'ldap:// or ldaps:// URL', required: true },
    baseDn: { type: 'string', doc: 'where users are searched', required: true },
    startTls: { type: 'boolean', doc: 'upgrade ldap:// with StartTLS', default: false },
    ca: { type: 'path', doc: "PEM file with the CA of the directory's certificate" },
    searchBindDn: { type: 'string', doc: 'the DN the server binds as to find users (anonymous search when absent)' },
    searchBindPasswordFile: { type: 'path', doc: 'file holding the password of searchBindDn' },
  }, true),
  signIn: section('how users sign in', {
    method: { type: 'enum', doc: '`imap` (their mail password, checked by mail.imap), `ldap` (a bind to directory) or `local` (passwords set with `cachet account add --web-password-file`)', values: ['imap', 'ldap', 'local'], default: 'local' },
    freeAttempts: { type: 'integer', doc: 'failed sign-ins of one account before waiting is required', min: 1, max: 100, default: 5 },
    freeAttemptsPerClient: { type: 'integer', doc: 'failed sign-ins from one client address (any accounts) before waiting is required', min: 1, max: 10_000, default: 30 },
    baseDelaySeconds: { type: 'integer', doc: 'the first wait; it doubles with each further failure', min: 1, max: 3600, default: 2 },
    maxDelaySeconds: { type: 'integer', doc: 'the longest wait', min: 1, max: 86_400, default: 900 },
  }),
  policy: section("the administrator's policy, which no user setting, request or environment variable overrides", {
    file: { type: 'path', doc: 'policy file (YAML or JSON, the keys of `cachet policy show`); must not be writable by anyone but its owner' },
  }),
  state: section('where the server keeps what it must remember', {
    directory: { type: 'path', doc: 'users, web sessions, sign-in throttling and wrapped keys (owner-only)', required: true },
  }),
  keys: section("how users' private keys are kept at rest (see docs/server-keys.md)", {
    keyEncryptionKeyFile: { type: 'path', doc: 'file with the server key-encryption key (32 random bytes, base64); made by `cachet server --init-key`', required: true },
  }),
  limits: section('bounds on what a client may ask', {
    uploadBytes: { type: 'integer', doc: 'largest request body (a message with its attachments)', min: 1024, max: 1024 * 1024 * 1024, default: 64 * 1024 * 1024 },
    sessionIdleMinutes: { type: 'integer', doc: 'a web session ends after this long without a request', min: 1, max: 1440, default: 30 },
    shutdownGraceSeconds: { type: 'integer', doc: 'on SIGTERM, how long requests in flight (sends) may take to finish', min: 1, max: 600, default: 30 },
  }),
});

export interface ServerConfig {
  /** The file it was read from. */
  file: string;
  listen: { host: string; port: number };
  tls: { certificate: string; key: string; hstsMaxAgeSeconds: number } | undefined;
  proxy: { trustedAddresses: string[] } | undefined;
  mail: {
    imap?: { host: string; port: number; tls: 'implicit' | 'starttls'; ca?: string; servername?: string };
    smtp?: { host: string; port: number; starttls: boolean; ca?: string; servername?: string };
  };
  directory: { url: string; baseDn: string; startTls: boolean; ca?: string; searchBindDn?: string; searchBindPasswordFile?: string } | undefined;
  signIn: { method: 'imap' | 'ldap' | 'local'; freeAttempts: number; freeAttemptsPerClient: number; baseDelaySeconds: number; maxDelaySeconds: number };
  policy: { file?: string };
  state: { directory: string };
  keys: { keyEncryptionKeyFile: string };
  limits: { uploadBytes: number; sessionIdleMinutes: number; shutdownGraceSeconds: number };
}

class ConfigReader {
  constructor(private readonly file: string, private readonly lines: LineCounter) {}

  fail(node: Node | Pair | undefined | null, path: string, message: string): never {
    const range = node && 'range' in node ? node.range : node && 'key' in node && isScalar(node.key) ? node.key.range : undefined;
    const line = range ? this.lines.linePos(range[0]).line : undefined;
    throw new CachetError('ERR_POLICY_INVALID', `${this.file}${line ? `, line ${line}` : ''}: ${path} ${message}`, { details: { key: path, ...(line ? { line } : {}) } });
  }

  section(node: Node | null, spec: Section, path: string): Record<string, unknown> | undefined {
    if (node === null || (isScalar(node) && node.value === null)) {
      if (spec.optional) return undefined;
      node = null;
    } else if (!isMap(node)) this.fail(node, path || 'the file', 'must be a map of keys to values');
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const pair of node?.items ?? []) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const keyPath = path ? `${path}.${key}` : key;
      const field = spec.fields[key];
      if (!field) this.fail(pair, `"${keyPath}"`, `is not a known key; known here: ${Object.keys(spec.fields).join(', ')}`);
      if (seen.has(key)) this.fail(pair, `"${keyPath}"`, 'is given twice');
      seen.add(key);
      out[key] = field.type === 'section' ? this.section((pair.value as Node | null) ?? null, field, keyPath) : this.leaf(pair.value as Node | null, field, keyPath);
    }
    for (const [key, field] of Object.entries(spec.fields)) {
      if (key in out) continue;
      const keyPath = path ? `${path}.${key}` : key;
      if (field.type === 'section') {
        if (!field.optional) out[key] = this.section(null, field, keyPath);
      } else if ('required' in field && field.required) {
        this.fail(node, `"${keyPath}"`, 'is required');
      } else if (field.default !== undefined) out[key] = field.default;
    }
    return out;
  }

  leaf(node: Node | null, spec: Leaf, path: string): unknown {
    const value: unknown = isSeq(node) ? node.items.map((i) => (isScalar(i) ? i.value : undefined)) : isScalar(node) ? node.value : node === null ? null : undefined;
    const bad = (allowed: string): never => this.fail(node, `"${path}"`, `is ${JSON.stringify(value)}; allowed: ${allowed}`);
    switch (spec.type) {
      case 'string':
        return typeof value === 'string' && value.length > 0 ? value : bad('a non-empty string');
      case 'path':
        return typeof value === 'string' && value.length > 0 ? (isAbsolute(value) ? value : resolve(dirname(this.file), value)) : bad('a file or directory path');
      case 'boolean':
        return typeof value === 'boolean' ? value : bad('true | false');
      case 'port':
        return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535 ? value : bad('a port number from 0 to 65535');
      case 'integer':
        return Number.isInteger(value) && (value as number) >= spec.min && (value as number) <= spec.max ? value : bad(`a whole number from ${spec.min} to ${spec.max}`);
      case 'enum':
        return typeof value === 'string' && spec.values.includes(value) ? value : bad(spec.values.join(' | '));
      case 'strings':
        return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.length > 0) ? value : bad('a list of strings');
    }
  }
}

/** Checks that go across sections: what a sign-in method needs, and TLS or a proxy but not both. */
function checkCombinations(config: ServerConfig, fail: (message: string) => never): void {
  if (config.tls && config.proxy) fail('"tls" and "proxy" exclude each other: either Cachet serves HTTPS itself, or the proxy does');
  if (config.signIn.method === 'imap' && !config.mail.imap) fail('signIn.method "imap" needs mail.imap (the server that checks the passwords)');
  if (config.signIn.method === 'ldap' && !config.directory) fail('signIn.method "ldap" needs directory (the server that checks the passwords)');
  if (config.directory?.searchBindDn && !config.directory.searchBindPasswordFile) fail('directory.searchBindDn needs directory.searchBindPasswordFile');
  if (config.signIn.baseDelaySeconds > config.signIn.maxDelaySeconds) fail('signIn.baseDelaySeconds is larger than signIn.maxDelaySeconds');
}

/** Parses and validates the text of a configuration file; `file` names it in errors and anchors relative paths. */
export function parseServerConfig(text: string, file: string): ServerConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const [syntax] = document.errors;
  if (syntax) {
    const line = lines.linePos(syntax.pos[0]).line;
    throw new CachetError('ERR_POLICY_INVALID', `${file}, line ${line}: not valid YAML: ${syntax.message.split('\n')[0]}`, { details: { line } });
  }
  const reader = new ConfigReader(resolve(file), lines);
  const raw = reader.section((document.contents as Node | null) ?? null, CONFIG_SCHEMA, '') as Record<string, unknown>;
  const config = { file: resolve(file), ...raw, mail: raw['mail'] ?? {} } as ServerConfig;
  checkCombinations(config, (message) => {
    throw new CachetError('ERR_POLICY_INVALID', `${file}: ${message}`);
  });
  return config;
}

/** @throws CachetError ERR_INPUT_READ when the file cannot be read, ERR_POLICY_INVALID when it is wrong. */
export async function readServerConfig(file: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read the server configuration ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseServerConfig(text, file);
}

/** Every key as a dotted path with its doc line, in schema order: what docs/server-config.md lists. */
export function documentedKeys(spec: Section = CONFIG_SCHEMA, prefix = ''): Array<{ key: string; doc: string; default: string }> {
  const out: Array<{ key: string; doc: string; default: string }> = [];
  for (const [name, field] of Object.entries(spec.fields)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const fallback = field.type === 'section' ? (field.optional ? 'absent' : '') : 'required' in field && field.required ? 'required' : field.default === undefined ? 'absent' : JSON.stringify(field.default);
    out.push({ key, doc: field.doc, default: fallback });
    if (field.type === 'section') out.push(...documentedKeys(field, key));
  }
  return out;
}

/**
 * Admin policies (locked for the user) and user settings, with their effective values and where each
 * comes from. The policy file is what an admin pushes (JSON or YAML, from $CACHET_POLICY or
 * $CACHET_HOME/policy.yaml|json); settings live in $CACHET_HOME/settings.json. Unknown keys and bad
 * values are errors that name the key and what is allowed — a typo must never silently weaken policy.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CachetError } from '../../errors.js';
import { writeFileAtomically } from '../storage/atomic-file.js';
import { withFileLock } from '../storage/file-lock.js';
import { systemPolicyFile } from './system-policy.js';

type Check = (value: unknown) => boolean;
interface KeySpec {
  allowed: string;
  check: Check;
  defaultValue: unknown;
  /** Policy keys are the admin's; setting keys the user's (a policy may still lock a setting). */
  kind: 'policy' | 'setting';
}

const oneOf = (...values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const bool: Check = (v) => typeof v === 'boolean';
const stringOrNull: Check = (v) => v === null || typeof v === 'string';

export const POLICY_KEYS = {
  certificateSource: { kind: 'policy', allowed: 'sharedVault | derivedCredentials | email', check: oneOf('sharedVault', 'derivedCredentials', 'email'), defaultValue: 'email' },
  // derivedCredentials: which PKCS#11 module (null: SoftHSM2's, as packaged by Debian) and which token.
  pkcs11Module: { kind: 'policy', allowed: 'the path of a PKCS#11 module (.so), or null for the default', check: stringOrNull, defaultValue: null },
  enableSmimeOnFirstLaunch: { kind: 'policy', allowed: 'true | false', check: bool, defaultValue: true },
  publicCertificateSource: { kind: 'policy', allowed: 'ldap | addressbook | both', check: oneOf('ldap', 'addressbook', 'both'), defaultValue: 'addressbook' },
  ldapUrl: { kind: 'policy', allowed: 'an ldap:// or ldaps:// URL, or null', check: (v) => v === null || (typeof v === 'string' && /^ldaps?:\/\//.test(v)), defaultValue: null },
  ldapBaseDn: { kind: 'policy', allowed: 'a DN, or null', check: stringOrNull, defaultValue: null },
  ldapAnonymous: { kind: 'policy', allowed: 'true | false', check: bool, defaultValue: true },
  ldapBindDn: { kind: 'policy', allowed: 'a DN, or null (used when ldapAnonymous is false)', check: stringOrNull, defaultValue: null },
  ldapStartTls: { kind: 'policy', allowed: 'true | false', check: bool, defaultValue: false },
  ldapTlsCaFile: { kind: 'policy', allowed: "the path of a PEM file with the CA of the directory's TLS certificate, or null for the system's", check: stringOrNull, defaultValue: null },
  ldapSizeLimit: { kind: 'policy', allowed: 'a whole number of entries from 1 to 1000', check: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1000, defaultValue: 50 },
  ldapTimeoutMs: { kind: 'policy', allowed: 'a whole number of milliseconds from 100 to 120000', check: (v) => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 120_000, defaultValue: 5000 },
  groupRule: { kind: 'policy', allowed: 'block | ask | send-unencrypted', check: oneOf('block', 'ask', 'send-unencrypted'), defaultValue: 'block' },
  revocationMode: { kind: 'policy', allowed: 'off | soft-fail | hard-fail', check: oneOf('off', 'soft-fail', 'hard-fail'), defaultValue: 'soft-fail' },
  // Issuer certificates (AIA caIssuers), CRLs and OCSP over the network: which schemes, or off.
  pkiFetch: { kind: 'policy', allowed: 'http | http+https | off', check: oneOf('http', 'http+https', 'off'), defaultValue: 'http' },
  // SHA-1-signed certificates, RSA keys under 2048 bits and CA certificates as signers: refused unless true.
  allowLegacyCertificates: { kind: 'policy', allowed: 'true | false', check: bool, defaultValue: false },
  allowedCiphers: {
    kind: 'policy',
    allowed: 'a list of aes-256-gcm, aes-128-gcm, aes-256-cbc, aes-192-cbc, aes-128-cbc',
    check: (v) => Array.isArray(v) && v.length > 0 && v.every((c) => ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc'].includes(c as string)),
    defaultValue: ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc'],
  },
  obscureSubject: { kind: 'policy', allowed: 'true | false', check: bool, defaultValue: true },
  // Certificates are renewed (cachet cert renew) this many days before they expire.
  renewDaysBefore: { kind: 'policy', allowed: 'a whole number of days from 1 to 365', check: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 365, defaultValue: 30 },
  vaultIdleMinutes: { kind: 'policy', allowed: 'a whole number of minutes from 1 to 1440', check: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1440, defaultValue: 15 },
  enableSigning: { kind: 'setting', allowed: 'true | false', check: bool, defaultValue: true },
  enableEncryption: { kind: 'setting', allowed: 'true | false', check: bool, defaultValue: true },
  encryptByDefault: { kind: 'setting', allowed: 'true | false', check: bool, defaultValue: true },
  tokenLabel: { kind: 'setting', allowed: 'the label of your token, or null for the first token with a key', check: stringOrNull, defaultValue: null },
  // Which certificate to use when several are held: a SHA-256 fingerprint (hex), or null for the active one.
  signingCertificate: { kind: 'setting', allowed: 'a SHA-256 fingerprint (64 hex digits), or null', check: (v) => v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/i.test(v.replace(/:/g, ''))), defaultValue: null },
  encryptionCertificate: { kind: 'setting', allowed: 'a SHA-256 fingerprint (64 hex digits), or null', check: (v) => v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/i.test(v.replace(/:/g, ''))), defaultValue: null },
} as const satisfies Record<string, KeySpec>;

export type PolicyKey = keyof typeof POLICY_KEYS;
export type Origin = 'policy' | 'setting' | 'default';

export interface EffectiveValue {
  key: PolicyKey;
  value: unknown;
  origin: Origin;
  /** Set by the admin: the user cannot change it. */
  locked: boolean;
}

export interface EffectivePolicy {
  values: EffectiveValue[];
  /** For each value set by a policy or a setting: the file it comes from. */
  sources?: Readonly<Partial<Record<PolicyKey, string>>>;
  get<K extends PolicyKey>(key: K): (typeof POLICY_KEYS)[K]['defaultValue'] extends boolean ? boolean : unknown;
  string(key: PolicyKey): string;
  boolean(key: PolicyKey): boolean;
}

export interface PolicyLocation {
  /** The organisation's home: where the admin's policy file lives. */
  home: string;
  /** Where the user's settings.json lives (a user's own directory); default `home`. */
  settingsHome?: string | undefined;
  /** Explicit policy file ($CACHET_POLICY). */
  policyFile?: string | undefined;
  /** The machine's policy, read first (default: system-policy.ts decides; null: none, for tests of the rest). */
  systemPolicyFile?: string | null | undefined;
}

function validate(values: Record<string, unknown>, source: string, allowKinds: ReadonlyArray<'policy' | 'setting'>): Record<string, unknown> {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new CachetError('ERR_POLICY_INVALID', `${source} must hold a map of keys to values`);
  }
  for (const [key, value] of Object.entries(values)) {
    const spec = (POLICY_KEYS as Record<string, KeySpec>)[key];
    if (!spec || !allowKinds.includes(spec.kind)) {
      const known = Object.entries(POLICY_KEYS).filter(([, s]) => allowKinds.includes(s.kind)).map(([k]) => k);
      throw new CachetError('ERR_POLICY_INVALID', `${source}: unknown key "${key}"; known keys are ${known.join(', ')}`, { details: { key } });
    }
    if (!spec.check(value)) {
      throw new CachetError('ERR_POLICY_INVALID', `${source}: "${key}" is ${JSON.stringify(value)}; allowed: ${spec.allowed}`, { details: { key } });
    }
  }
  return values;
}

async function readMaybe(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}`, { cause: error });
  }
}

function parsePolicyText(text: string, path: string): Record<string, unknown> {
  try {
    const parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    return (parsed ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new CachetError('ERR_POLICY_INVALID', `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/** The admin's policy file, validated; {} when there is none. */
/**
 * The admin's policies, first the machine's (system-policy.ts), then the home's or $CACHET_POLICY:
 * each key with its value and the file it comes from. A key of the system policy is never taken
 * from the other file.
 */
export async function loadPolicyLayers(location: PolicyLocation): Promise<Map<string, { value: unknown; file: string }>> {
  const out = new Map<string, { value: unknown; file: string }>();
  const system = location.systemPolicyFile === null ? undefined : (location.systemPolicyFile ?? (await systemPolicyFile()));
  if (system) {
    const text = await readMaybe(system);
    if (text !== undefined) for (const [key, value] of Object.entries(validate(parsePolicyText(text, system), `the system policy ${system}`, ['policy', 'setting']))) out.set(key, { value, file: system });
  }
  const own = await loadHomePolicy(location);
  for (const [key, value] of Object.entries(own.values)) if (!out.has(key)) out.set(key, { value, file: own.file });
  return out;
}

/** The admin's policies merged (the system policy's keys first), validated; {} when there is none. */
export async function loadPolicyFile(location: PolicyLocation): Promise<Record<string, unknown>> {
  return Object.fromEntries([...(await loadPolicyLayers(location))].map(([key, { value }]) => [key, value]));
}

async function loadHomePolicy(location: PolicyLocation): Promise<{ values: Record<string, unknown>; file: string }> {
  const candidates = location.policyFile ? [location.policyFile] : [join(location.home, 'policy.yaml'), join(location.home, 'policy.yml'), join(location.home, 'policy.json')];
  for (const path of candidates) {
    const text = await readMaybe(path);
    if (text === undefined) {
      if (location.policyFile) throw new CachetError('ERR_INPUT_READ', `the policy file ${path} does not exist`);
      continue;
    }
    // A policy may set any key: setting keys it sets become locked for the user.
    return { values: validate(parsePolicyText(text, path), `the policy ${path}`, ['policy', 'setting']), file: path };
  }
  return { values: {}, file: '' };
}

function settingsPath(home: string): string {
  return join(home, 'settings.json');
}

export async function loadSettings(home: string): Promise<Record<string, unknown>> {
  const text = await readMaybe(settingsPath(home));
  if (text === undefined) return {};
  return validate(parsePolicyText(text, settingsPath(home)), `your settings ${settingsPath(home)}`, ['setting']);
}

export async function loadEffectivePolicy(location: PolicyLocation): Promise<EffectivePolicy> {
  const layers = await loadPolicyLayers(location);
  const settings = await loadSettings(location.settingsHome ?? location.home);
  const sources: Partial<Record<PolicyKey, string>> = {};
  const values: EffectiveValue[] = (Object.keys(POLICY_KEYS) as PolicyKey[]).map((key) => {
    const set = layers.get(key);
    if (set) {
      sources[key] = set.file;
      return { key, value: set.value, origin: 'policy', locked: true };
    }
    if (key in settings) {
      sources[key] = settingsPath(location.settingsHome ?? location.home);
      return { key, value: settings[key], origin: 'setting', locked: false };
    }
    return { key, value: POLICY_KEYS[key].defaultValue, origin: 'default', locked: POLICY_KEYS[key].kind === 'policy' };
  });
  const find = (key: PolicyKey) => values.find((v) => v.key === key)!.value;
  return {
    values,
    sources,
    get: ((key: PolicyKey) => find(key)) as EffectivePolicy['get'],
    string: (key) => String(find(key)),
    boolean: (key) => find(key) === true,
  };
}

/** Changes one user setting; refused for unknown keys, bad values and keys the policy locks. */
export async function updateSetting(location: PolicyLocation, key: string, value: unknown): Promise<EffectiveValue> {
  validate({ [key]: value }, 'the setting', ['setting']);
  const policy = await loadPolicyFile(location);
  if (key in policy) throw new CachetError('ERR_POLICY_FORBIDS', `"${key}" is set by your administrator's policy and cannot be changed`, { details: { key } });
  const path = settingsPath(location.settingsHome ?? location.home);
  // Under a lock, read again: two changes at once (two browser tabs) must not undo each other.
  await withFileLock(`${path}.lock`, async () => {
    const settings = { ...(await loadSettings(location.settingsHome ?? location.home)), [key]: value };
    await writeFileAtomically(path, `${JSON.stringify(settings, null, 2)}\n`, 'the settings');
  }, { what: 'your settings' });
  return { key: key as PolicyKey, value, origin: 'setting', locked: false };
}

/** Parses a command-line value for a key ("true", "block", "a,b"). */
export function parseSettingValue(key: string, text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (key === 'allowedCiphers') return text.split(',').map((s) => s.trim());
  if (/^\d+$/.test(text) && typeof (POLICY_KEYS as Record<string, KeySpec>)[key]?.defaultValue === 'number') return Number(text);
  return text;
}

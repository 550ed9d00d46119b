/**
 * The trust anchors a command validates against: those given with --trust, plus the user's trust
 * store ($CACHET_HOME/trust/*.pem|*.der|*.crt, managed by `cachet trust`), plus CRL files given with
 * --crl. Without any anchor, signatures can verify but never be trusted.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CachetError, isCachetError } from '../../errors.js';
import type { CertificateValidator } from '../../engine/pki/validator.js';
import { openCertificateValidator } from '../../use-cases/certificate-validator.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../../adapters/policy/policy.js';
import type { CliContext } from './context.js';

export function cachetHome(context: CliContext): string {
  return context.env.CACHET_HOME ?? join(homedir(), '.cachet');
}

async function readAll(paths: string[], what: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const path of paths) {
    try {
      out.push(await readFile(path));
    } catch (error) {
      throw new CachetError('ERR_INPUT_READ', `cannot read the ${what} ${path}`, { cause: error, details: { file: path } });
    }
  }
  return out;
}

/**
 * The validator of a command: the stores' anchors plus --trust, CRL files from --crl, and the
 * policy's revocation mode, network (pkiFetch) and legacy rule — assembled by the one
 * openCertificateValidator. A command that has the policy already (the mail session) passes it.
 */
export async function buildValidator(
  options: { trust?: string[] | undefined; crl?: string[] | undefined; policy?: EffectivePolicy },
  context: CliContext,
): Promise<CertificateValidator | undefined> {
  const extraAnchors = await readAll(options.trust ?? [], 'trusted certificate');
  const crls = await readAll(options.crl ?? [], 'CRL');
  const home = cachetHome(context);
  const orgHome = context.env.CACHET_ORG_HOME;
  const policy = options.policy ?? (await loadEffectivePolicy({ home: orgHome ?? home, settingsHome: home, policyFile: context.env.CACHET_POLICY }));
  try {
    return await openCertificateValidator({ userHome: home, orgHome, policy, extraAnchors, crls });
  } catch (error) {
    if (isCachetError(error, 'ERR_LIMIT_EXCEEDED')) throw error;
    throw new CachetError('ERR_CERT_MALFORMED', 'a trusted certificate or CRL file cannot be read', { cause: error });
  }
}

/** Parses --at (ISO 8601). */
export function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CachetError('ERR_USAGE', `--at needs an ISO 8601 time, such as 2026-01-31T12:00:00Z (got "${value}")`);
  return date;
}

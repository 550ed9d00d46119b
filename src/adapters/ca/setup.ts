/**
 * Setting up a CA: a root, and optionally an issuing intermediate under it. End-entity certificates
 * are then issued by the intermediate when there is one (the root can stay offline in a real
 * deployment), else by the root.
 *
 * The CA keys go to one of three stores (CaSettings.keys records which holds which key):
 *   vault  (default) the CA's own encrypted vault file, ca.vault, under the CA passphrase;
 *   file   encrypted PKCS#8 files root.key / issuing.key (the first format, kept for old CAs);
 *   pkcs11 a PKCS#11 token: the key pairs are GENERATED ON THE TOKEN (sensitive, not extractable)
 *          and the CA certificates are written beside them; the keys never leave it.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { CachetError } from '../../errors.js';
import type { PrivateKeyHandle } from '../../engine/keys.js';
import { softwareKey } from '../../engine/software-key.js';
import type { Pkcs11Token, TokenKeySpec } from '../keys/pkcs11/token.js';
import { CaStore, type CaKeyLocation, type CaKeyPair, type CaSettings, type KeyType } from './ca-store.js';
import { CaUnlock } from './ca-unlock.js';
import { publishCrl, publishRootCrl } from './crl.js';
import { makeCaCertificate } from './issue.js';
import { generateKeyPairOf } from './key-pair.js';

/** Where `ca init` keeps the CA keys. */
export type CaKeyStoreChoice =
  | { kind: 'vault' }
  | { kind: 'file' }
  | { kind: 'pkcs11'; module: string; tokenLabel: string };

export interface CaSetupOptions {
  name: string;
  intermediate: boolean;
  keyType: KeyType;
  httpBase: string;
  /** The CA passphrase (vault and file stores). Else asked of `unlock`. */
  passphrase?: string;
  /** Default: the CA vault. */
  keyStore?: CaKeyStoreChoice;
  /** Supplies the token PIN (pkcs11) and, when `passphrase` is not given, the passphrase. */
  unlock?: CaUnlock;
  /** Root validity; the intermediate gets half of it. Default 20 years. */
  validityDays?: number;
}

/** A freshly made CA key: its public half, a handle to sign with, and how to store it. */
interface NewCaKey {
  spki: Uint8Array;
  handle: PrivateKeyHandle;
  /** For the software stores only (a token key has none here: it never leaves the token). */
  privateKey?: KeyObject;
  location: CaKeyLocation;
}

function tokenKeySpec(type: KeyType): TokenKeySpec {
  if (type.startsWith('rsa-')) return { kind: 'rsa', bits: Number(type.slice(4)) };
  return { kind: 'ec', curve: type === 'ec-p384' ? 'P-384' : 'P-256' };
}

async function makeKey(type: KeyType, choice: CaKeyStoreChoice, token: Pkcs11Token | undefined, label: string): Promise<NewCaKey> {
  if (choice.kind === 'pkcs11' && token) {
    let id = randomBytes(8).toString('hex');
    while (token.hasObject(id)) id = randomBytes(8).toString('hex');
    const spki = await token.generateKeyPair(tokenKeySpec(type), id, label);
    return { spki, handle: token.privateKeyById(id, spki, label), location: { store: 'pkcs11', module: choice.module, tokenLabel: choice.tokenLabel, id, label } };
  }
  const pair = await generateKeyPairOf(type);
  return {
    spki: pair.spki,
    handle: softwareKey(pair.privateKey),
    privateKey: pair.privateKey,
    location: { store: 'file' },
  };
}

/**
 * @throws CachetError ERR_CA_EXISTS when the directory already holds a CA; ERR_TOKEN_* when the
 *   token is absent or the PIN wrong (nothing is written then).
 */
export async function setUpCa(store: CaStore, options: CaSetupOptions): Promise<CaSettings> {
  if (await store.isInitialised()) {
    throw new CachetError('ERR_CA_EXISTS', `a CA already exists in ${store.directory}; Cachet never overwrites it`, { details: { directory: store.directory } });
  }
  let url: URL;
  try {
    url = new URL(options.httpBase);
  } catch (error) {
    throw new CachetError('ERR_USAGE', `--http-base "${options.httpBase}" is not a URL`, { cause: error });
  }
  // CA/B Forum S/MIME BR §7.1.2.3: CRL and OCSP URLs "SHALL be HTTP".
  if (url.protocol !== 'http:') throw new CachetError('ERR_USAGE', '--http-base must be an http:// URL (CRL and OCSP are served over plain HTTP, as the S/MIME BR require)');
  const choice = options.keyStore ?? { kind: 'vault' };
  let unlock: CaUnlock;
  let passphrase: string | undefined;
  if (choice.kind === 'pkcs11') {
    if (!options.unlock) throw new CachetError('ERR_PASSWORD_REQUIRED', "the PIN of the CA's token is needed");
    unlock = options.unlock;
  } else {
    passphrase = options.passphrase ?? (await (options.unlock ?? new CaUnlock({})).passphrase());
    if (passphrase.length < 8) {
      throw new CachetError('ERR_USAGE', 'the CA passphrase must have at least 8 characters: it is all that protects the CA key at rest');
    }
    unlock = options.passphrase !== undefined ? CaUnlock.withPassphrase(options.passphrase) : options.unlock!;
  }
  if (choice.kind === 'vault' && (await stat(store.vaultPath).then(() => true, () => false))) {
    // Left by a setup that did not finish: never mix new CA keys into a vault of unknown keys.
    throw new CachetError('ERR_CA_EXISTS', `${store.vaultPath} exists but no CA was set up with it (an interrupted "cachet ca init"?); move it aside and run "cachet ca init" again`, { details: { file: store.vaultPath } });
  }
  // The token is opened (PIN checked) before anything is generated or written.
  const token = choice.kind === 'pkcs11' ? await unlock.token(choice) : undefined;
  const validityDays = options.validityDays ?? 7305;
  const settings: CaSettings = {
    name: options.name,
    keyType: options.keyType,
    intermediate: options.intermediate,
    httpBase: options.httpBase.replace(/\/+$/, ''),
    createdAt: new Date().toISOString(),
    crlNumber: 0,
    nextSequence: 1,
  };
  const rootName = options.intermediate ? `${options.name} Root` : options.name;
  const made: NewCaKey[] = [];
  try {
    const rootKey = await makeKey(options.keyType, choice, token, `${rootName} (CA key)`);
    made.push(rootKey);
    const rootCertificate = await makeCaCertificate({ name: rootName, organization: options.name, spki: rootKey.spki, validityDays, selfKey: rootKey.handle, settings });
    const root: CaKeyPair = { certificate: rootCertificate, key: rootKey.handle };
    let issuing: CaKeyPair | undefined;
    let issuingKey: NewCaKey | undefined;
    if (options.intermediate) {
      const issuingName = `${options.name} Issuing CA`;
      issuingKey = await makeKey(options.keyType, choice, token, `${issuingName} (CA key)`);
      made.push(issuingKey);
      const issuingCertificate = await makeCaCertificate({
        name: issuingName,
        organization: options.name,
        spki: issuingKey.spki,
        validityDays: Math.floor(validityDays / 2),
        issuer: root,
        pathLength: 0,
        settings,
      });
      issuing = { certificate: issuingCertificate, key: issuingKey.handle };
    }
    const keys: NonNullable<CaSettings['keys']> = {
      root: await storeKey(store, choice, unlock, 'root', root.certificate, rootKey, token, passphrase),
      ...(issuing && issuingKey ? { issuing: await storeKey(store, choice, unlock, 'issuing', issuing.certificate, issuingKey, token, passphrase) } : {}),
    };
    // ca.json last: its presence is what marks the CA as set up.
    await store.saveSettings({ ...settings, keys });
    // An empty CRL from the start: a validator that follows the distribution point before the first
    // revocation must find a current CRL there, not a 404 that leaves the status unknown.
    await publishCrl(store, issuing ?? root);
    if (issuing) await publishRootCrl(store, root);
  } catch (error) {
    // A half-made token CA would leave orphan keys on the token: take them back off.
    if (token && !(await store.isInitialised())) {
      for (const key of made) if (key.location.store === 'pkcs11') token.destroyObjects(key.location.id);
    }
    throw error;
  } finally {
    if (unlock !== options.unlock) unlock.close();
  }
  return store.settings();
}

async function storeKey(store: CaStore, choice: CaKeyStoreChoice, unlock: CaUnlock, which: 'root' | 'issuing', certificate: Uint8Array, key: NewCaKey, token: Pkcs11Token | undefined, passphrase: string | undefined): Promise<CaKeyLocation> {
  if (key.location.store === 'pkcs11' && token) {
    token.writeCertificate(certificate, key.location.id, key.location.label);
    await store.saveCaCertificate(which, certificate);
    return key.location;
  }
  if (choice.kind === 'file') {
    await store.saveCaKeyPair(which, certificate, key.privateKey!, passphrase!);
    return { store: 'file' };
  }
  const vault = await unlock.vault(store.vaultPath, { create: true });
  // The CA's own vault, never the user's: role 'signing' (a CA key signs certificates and CRLs),
  // not exportable. Each key stays addressed by its certificate's fingerprint.
  const stored = await vault.add(
    { certificate, chain: [], privateKeyPkcs8: new Uint8Array(key.privateKey!.export({ type: 'pkcs8', format: 'der' })), role: 'signing', exportable: false, friendlyName: `${which} CA key` },
    { replaceActive: true },
  );
  await store.saveCaCertificate(which, certificate);
  return { store: 'vault', id: stored.id };
}

/**
 * Setting up a CA: a root, and optionally an issuing intermediate under it, with their keys
 * encrypted under the CA passphrase. End-entity certificates are then issued by the intermediate
 * when there is one (the root can stay offline in a real deployment), else by the root.
 */
import { CachetError } from '../engine/errors.js';
import { softwareKey } from '../engine/software-key.js';
import { CaStore, type CaSettings, type KeyType } from './ca-store.js';
import { publishCrl, publishRootCrl } from './crl.js';
import { makeCaCertificate } from './issue.js';
import { generateKeyPairOf } from './key-pair.js';

export interface CaSetupOptions {
  name: string;
  intermediate: boolean;
  keyType: KeyType;
  httpBase: string;
  passphrase: string;
  /** Root validity; the intermediate gets half of it. Default 20 years. */
  validityDays?: number;
}

/** @throws CachetError ERR_CA_EXISTS when the directory already holds a CA. */
export async function setUpCa(store: CaStore, options: CaSetupOptions): Promise<CaSettings> {
  if (await store.isInitialised()) {
    throw new CachetError('ERR_CA_EXISTS', `a CA already exists in ${store.directory}; Cachet never overwrites it`, { details: { directory: store.directory } });
  }
  if (options.passphrase.length < 8) {
    throw new CachetError('ERR_USAGE', 'the CA passphrase must have at least 8 characters: it is all that protects the CA key at rest');
  }
  let url: URL;
  try {
    url = new URL(options.httpBase);
  } catch (error) {
    throw new CachetError('ERR_USAGE', `--http-base "${options.httpBase}" is not a URL`, { cause: error });
  }
  // CA/B Forum S/MIME BR §7.1.2.3: CRL and OCSP URLs "SHALL be HTTP".
  if (url.protocol !== 'http:') throw new CachetError('ERR_USAGE', '--http-base must be an http:// URL (CRL and OCSP are served over plain HTTP, as the S/MIME BR require)');
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
  const rootKey = await generateKeyPairOf(options.keyType);
  const rootPrivate = softwareKey(rootKey.privateKey);
  const rootName = options.intermediate ? `${options.name} Root` : options.name;
  const rootCertificate = await makeCaCertificate({ name: rootName, spki: rootKey.spki, validityDays, selfKey: rootPrivate, settings });
  await store.saveCaKeyPair('root', rootCertificate, rootKey.privateKey, options.passphrase);
  if (options.intermediate) {
    const issuingKey = await generateKeyPairOf(options.keyType);
    const issuingCertificate = await makeCaCertificate({
      name: `${options.name} Issuing CA`,
      spki: issuingKey.spki,
      validityDays: Math.floor(validityDays / 2),
      issuer: { certificate: rootCertificate, key: rootPrivate },
      pathLength: 0,
      settings,
    });
    await store.saveCaKeyPair('issuing', issuingCertificate, issuingKey.privateKey, options.passphrase);
  }
  // ca.json last: its presence is what marks the CA as set up.
  await store.saveSettings(settings);
  // An empty CRL from the start: a validator that follows the distribution point before the first
  // revocation must find a current CRL there, not a 404 that leaves the status unknown.
  await publishCrl(store, await store.issuer(options.passphrase));
  if (options.intermediate) await publishRootCrl(store, await store.loadKeyPair('root', options.passphrase));
  return store.settings();
}

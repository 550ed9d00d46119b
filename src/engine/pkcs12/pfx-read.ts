/**
 * Reading PKCS#12 (RFC 7292) files as real tools write them: Windows / AD CS and `openssl -legacy`
 * (3DES keys, RC2-40 certificate bags, SHA-1 MAC), OpenSSL 3 (PBES2/PBKDF2/AES-256, SHA-256 MAC),
 * macOS Keychain and Java keytool (BER). Keys are paired with their certificates by localKeyId, else
 * by public key; the remaining certificates form each credential's chain.
 *
 * Why by hand: PKI.js cannot decrypt the legacy bags (RC2, 3DES PBE), which are what Windows exports.
 */
import { createPrivateKey, createPublicKey, timingSafeEqual, X509Certificate } from 'node:crypto';
import { CachetError, isCachetError } from '../../errors.js';
import { berToDer } from '../asn1/ber-to-der.js';
import { derBytes, derChildren, derContent, derInteger, derNode, derOid, type DerNode } from '../cms/der-walk.js';
import { decryptionCost, pbeDecrypt, pfxMac, PKCS12_LIMITS } from './password-based.js';

export const PFX_LIMITS = {
  /** PKCS#12 files are small; anything larger is not a credential file. */
  maxFileBytes: 4 * 1024 * 1024,
  maxBags: 256,
} as const;

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const MAC_HASH: Record<string, string> = {
  [OIDS.sha1]: 'sha1',
  [OIDS.sha224]: 'sha224',
  [OIDS.sha256]: 'sha256',
  [OIDS.sha384]: 'sha384',
  [OIDS.sha512]: 'sha512',
};

export interface PfxCredential {
  /** PKCS#8 DER of the private key. */
  privateKeyPkcs8: Uint8Array;
  /** DER of the certificate that goes with the key. */
  certificate: Uint8Array;
  /** DER of the other certificates in the file, issuer first where they chain. */
  chain: Uint8Array[];
  friendlyName?: string;
  localKeyId?: string;
}

export interface PfxContents {
  credentials: PfxCredential[];
  /** Every certificate in the file. */
  certificates: Uint8Array[];
}

interface Bag {
  kind: 'key' | 'cert';
  value: Uint8Array;
  friendlyName?: string;
  localKeyId?: string;
}

class WrongPassword extends Error {}

function malformed(message: string, cause?: unknown): CachetError {
  return new CachetError('ERR_PKCS12_MALFORMED', `the file is not a readable PKCS#12 file: ${message}`, cause === undefined ? {} : { cause });
}

/** A key bag still encrypted under the password (pkcs8ShroudedKeyBag). */
interface ShroudedKey {
  algorithm: Uint8Array;
  encrypted: Uint8Array;
  friendlyName?: string;
  localKeyId?: string;
}

/** What SafeContents hold: bags readable now, keys to decrypt. */
interface SafeItems {
  bags: Bag[];
  shroudedKeys: ShroudedKey[];
}

/** A PFX read down to what needs the password: its MAC and its encrypted parts. */
interface PfxLayout {
  mac?: { hash: string; salt: Uint8Array; iterations: number; expected: Buffer };
  /** The authenticated safe's octets as they are in the file: what the MAC covers. */
  authenticatedSafe: Uint8Array;
  items: SafeItems;
  encryptedSafes: Array<{ algorithm: Uint8Array; ciphertext: Buffer }>;
}

/**
 * Reads a PKCS#12 file: DER or BER (NSS, macOS, Java write indefinite lengths and segmented
 * OCTET STRINGs at every level), binary or base64-armoured (PEM `PKCS12` blocks or bare base64, as
 * some portals ship it). The key derivations it asks for are added up and bounded before any is
 * done, and run off the event loop.
 * @throws ERR_PKCS12_BAD_PASSWORD for a wrong password (nothing returned), ERR_PKCS12_MALFORMED,
 *   ERR_LIMIT_EXCEEDED (size, bags, key-derivation work), ERR_UNSUPPORTED_ALGORITHM
 * @example const { credentials } = await readPfx(readFileSync('alice.p12'), 'password');
 */
export async function readPfx(input: Uint8Array, password: string): Promise<PfxContents> {
  const bytes = unarmoured(input);
  if (bytes.length > PFX_LIMITS.maxFileBytes) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the file is too large to be a PKCS#12 file');
  let der: Buffer;
  try {
    der = berToDer(bytes);
  } catch (error) {
    if (isCachetError(error, 'ERR_LIMIT_EXCEEDED')) throw error;
    throw malformed('it is not ASN.1 data', error);
  }
  try {
    const layout = readLayout(der);
    const budget = new DerivationBudget();
    budget.spend((layout.mac?.iterations ?? 0) + sum(layout.encryptedSafes.map((s) => decryptionCost(s.algorithm))) + sum(layout.items.shroudedKeys.map((k) => decryptionCost(k.algorithm))));
    return assemble(await decryptBags(layout, password, budget));
  } catch (error) {
    if (error instanceof WrongPassword) throw new CachetError('ERR_PKCS12_BAD_PASSWORD', 'the password is wrong for this PKCS#12 file');
    if (error instanceof CachetError) {
      if (error.code === 'ERR_CMS_MALFORMED' || error.code === 'ERR_ASN1_MALFORMED') throw malformed(error.message, error);
      throw error;
    }
    throw malformed((error as Error).message, error);
  }
}

const PEM_PKCS12 = /-----BEGIN (PKCS12|PKCS #12|PFX)-----([A-Za-z0-9+/=\s]*)-----END \1-----/;
const BARE_BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/** The binary PFX of a file that may be base64-armoured; binary input is returned as it is. */
function unarmoured(input: Uint8Array): Uint8Array {
  if (input[0] === 0x30) return input;
  // Base64 takes 4 bytes for 3, plus line breaks: a text larger than this is too large decoded.
  if (input.length > PFX_LIMITS.maxFileBytes * 1.4) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the file is too large to be a PKCS#12 file');
  const text = Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const block = PEM_PKCS12.exec(text);
    if (!block) throw malformed('it is PEM text without a PKCS12 block');
    return Buffer.from(block[2]!.replace(/\s+/g, ''), 'base64');
  }
  if (BARE_BASE64.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    if (decoded[0] === 0x30) return decoded;
  }
  return input;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The key-derivation work a file may ask for, spent before each derivation is started. */
class DerivationBudget {
  private spent = 0;

  spend(rounds: number): void {
    this.spent += rounds;
    const max = PKCS12_LIMITS.maxDerivationRoundsPerFile;
    if (this.spent > max) {
      throw new CachetError(
        'ERR_LIMIT_EXCEEDED',
        `the PKCS#12 file asks for ${this.spent.toLocaleString('en')} key-derivation rounds; more than ${max.toLocaleString('en')} per file is refused`,
        { details: { limit: 'maxDerivationRoundsPerFile', rounds: this.spent, max } },
      );
    }
  }
}

/**
 * The PFX down to its encrypted parts, with no key derivation. Each OCTET STRING that holds a
 * structure is read again as BER: berToDer joins a segmented string but leaves its content as it
 * was, which is what the MAC covers (RFC 7292 §4: the content octets of the authSafe).
 */
function readLayout(der: Buffer): PfxLayout {
  const root = derNode(der);
  const [versionNode, authSafe, macData] = derChildren(der, root);
  if (!versionNode || !authSafe || derInteger(der, versionNode) !== 3) throw malformed('not a version 3 PFX');
  const [contentType, explicit] = derChildren(der, authSafe);
  if (!contentType || derOid(der, contentType) !== OIDS.data || !explicit) throw malformed('public-key integrity mode is not supported');
  const authenticatedSafe = derContent(der, derChildren(der, explicit)[0]!);
  const layout: PfxLayout = { authenticatedSafe, items: { bags: [], shroudedKeys: [] }, encryptedSafes: [] };
  if (macData) layout.mac = readMacData(der, macData);
  const safe = berToDer(authenticatedSafe);
  for (const contentInfo of derChildren(safe, derNode(safe))) {
    const [typeNode, contentNode] = derChildren(safe, contentInfo);
    const type = derOid(safe, typeNode!);
    const inner = derChildren(safe, contentNode!)[0]!;
    if (type === OIDS.data) {
      readSafeContents(berToDer(derContent(safe, inner)), layout.items, 0);
    } else if (type === OIDS.encryptedData) {
      const [, eci] = derChildren(safe, inner);
      const [, algorithm, encryptedContent] = derChildren(safe, eci!);
      if (!algorithm || !encryptedContent) continue;
      layout.encryptedSafes.push({ algorithm: derBytes(safe, algorithm), ciphertext: octets(safe, encryptedContent) });
    }
    // EnvelopedData safes (public-key privacy mode) are not used by any mail client's export.
  }
  return layout;
}

function readMacData(der: Buffer, macData: DerNode): NonNullable<PfxLayout['mac']> {
  const [digestInfo, saltNode, iterationsNode] = derChildren(der, macData);
  const [algorithm, digestNode] = derChildren(der, digestInfo!);
  const hash = MAC_HASH[derOid(der, derChildren(der, algorithm!)[0]!)];
  if (!hash) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the PKCS#12 file uses an unsupported MAC');
  const iterations = iterationsNode ? derInteger(der, iterationsNode) : 1;
  if (iterations > PKCS12_LIMITS.maxIterations) {
    throw new CachetError('ERR_LIMIT_EXCEEDED', `the file asks for ${iterations} key-derivation iterations; more than ${PKCS12_LIMITS.maxIterations} is refused`);
  }
  return { hash, salt: derContent(der, saltNode!), iterations, expected: Buffer.from(derContent(der, digestNode!)) };
}

/** Checks the MAC, then decrypts the encrypted safes and keys, each derivation paid for first. */
async function decryptBags(layout: PfxLayout, password: string, budget: DerivationBudget): Promise<Bag[]> {
  const { mac } = layout;
  if (mac) {
    const actual = await pfxMac(mac.hash, password, mac.salt, mac.iterations, layout.authenticatedSafe);
    if (actual.length !== mac.expected.length || !timingSafeEqual(actual, mac.expected)) throw new WrongPassword();
  }
  const items = layout.items;
  for (const { algorithm, ciphertext } of layout.encryptedSafes) {
    const plain = await pbeDecrypt(algorithm, password, ciphertext);
    // Without a MAC, a failed decryption is the only sign of a wrong password; a wrong key also
    // passes the padding check about once in 256 tries, leaving garbage that is not DER.
    const contents = decryptedDer(plain);
    if (!contents) {
      if (!plain || !mac) throw new WrongPassword();
      throw malformed('an encrypted part does not decrypt to certificates and keys');
    }
    const before = items.shroudedKeys.length;
    readSafeContents(contents, items, 0);
    // Keys inside an encrypted part could not be counted before: they are paid for now.
    budget.spend(sum(items.shroudedKeys.slice(before).map((k) => decryptionCost(k.algorithm))));
  }
  const bags = [...items.bags];
  for (const key of items.shroudedKeys) {
    const plain = decryptedDer(await pbeDecrypt(key.algorithm, password, key.encrypted));
    if (!plain) throw new WrongPassword();
    bags.push({ kind: 'key', value: plain, ...(key.friendlyName ? { friendlyName: key.friendlyName } : {}), ...(key.localKeyId ? { localKeyId: key.localKeyId } : {}) });
  }
  return bags;
}

/**
 * Decrypted bytes as DER: a correctly decrypted bag is one whole SEQUENCE, which macOS and Java
 * may write in BER (indefinite lengths) inside the encryption too. Undefined when it is not one.
 */
function decryptedDer(plain: Uint8Array | undefined): Buffer | undefined {
  if (!plain) return undefined;
  try {
    const der = berToDer(plain);
    const node = derNode(der);
    return node.tag === 0x30 && node.end === der.length ? der : undefined;
  } catch {
    return undefined;
  }
}

/** The value of a [0] IMPLICIT OCTET STRING, primitive or (after BER normalisation) segmented. */
function octets(buf: Uint8Array, node: DerNode): Buffer {
  if (node.tag === 0x80) return Buffer.from(derContent(buf, node));
  return Buffer.concat(derChildren(buf, node).map((segment) => Buffer.from(derContent(buf, segment))));
}

function readSafeContents(buf: Buffer, items: SafeItems, depth: number): void {
  if (depth > 4) throw malformed('safe contents nest too deeply');
  for (const safeBag of derChildren(buf, derNode(buf))) {
    if (items.bags.length + items.shroudedKeys.length >= PFX_LIMITS.maxBags) throw new CachetError('ERR_LIMIT_EXCEEDED', 'the PKCS#12 file holds too many items');
    const [idNode, valueNode, attributesNode] = derChildren(buf, safeBag);
    const bagId = derOid(buf, idNode!);
    const value = derChildren(buf, valueNode!)[0]!;
    const attributes = attributesNode ? readAttributes(buf, attributesNode) : {};
    if (bagId === OIDS.keyBag) {
      items.bags.push({ kind: 'key', value: derBytes(buf, value), ...attributes });
    } else if (bagId === OIDS.pkcs8ShroudedKeyBag) {
      const [algorithm, encrypted] = derChildren(buf, value);
      items.shroudedKeys.push({ algorithm: derBytes(buf, algorithm!), encrypted: derContent(buf, encrypted!), ...attributes });
    } else if (bagId === OIDS.certBag) {
      const [certType, certValue] = derChildren(buf, value);
      if (derOid(buf, certType!) !== OIDS.x509Certificate) continue; // SDSI certificates: not for mail
      items.bags.push({ kind: 'cert', value: berToDer(derContent(buf, derChildren(buf, certValue!)[0]!)), ...attributes });
    } else if (bagId === OIDS.safeContentsBag) {
      readSafeContents(Buffer.from(derBytes(buf, value)), items, depth + 1);
    }
    // CRL and secret bags carry nothing a mail client needs.
  }
}

function readAttributes(buf: Uint8Array, set: DerNode): { friendlyName?: string; localKeyId?: string } {
  const out: { friendlyName?: string; localKeyId?: string } = {};
  for (const attribute of derChildren(buf, set)) {
    const [typeNode, valuesNode] = derChildren(buf, attribute);
    const first = valuesNode ? derChildren(buf, valuesNode)[0] : undefined;
    if (!typeNode || !first) continue;
    const type = derOid(buf, typeNode);
    if (type === OIDS.friendlyName && first.tag === 0x1e) {
      const raw = Buffer.from(derContent(buf, first));
      out.friendlyName = Buffer.from(raw).swap16().toString('utf16le');
    } else if (type === OIDS.localKeyId) {
      out.localKeyId = Buffer.from(derContent(buf, first)).toString('hex');
    }
  }
  return out;
}

function publicKeyOf(bag: Bag): string | undefined {
  try {
    if (bag.kind === 'key') {
      return createPublicKey(createPrivateKey({ key: Buffer.from(bag.value), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' }).toString('hex');
    }
    return new X509Certificate(Buffer.from(bag.value)).publicKey.export({ format: 'der', type: 'spki' }).toString('hex');
  } catch {
    return undefined;
  }
}

function assemble(bags: Bag[]): PfxContents {
  const certificates = bags.filter((b) => b.kind === 'cert');
  const keys = bags.filter((b) => b.kind === 'key');
  for (const key of keys) {
    try {
      createPrivateKey({ key: Buffer.from(key.value), format: 'der', type: 'pkcs8' });
    } catch (error) {
      throw malformed('a private key in it cannot be read', error);
    }
  }
  const credentials: PfxCredential[] = keys.flatMap((key) => {
    const spki = publicKeyOf(key);
    const certificate =
      (key.localKeyId ? certificates.find((c) => c.localKeyId === key.localKeyId && publicKeyOf(c) === spki) : undefined) ??
      certificates.find((c) => publicKeyOf(c) === spki);
    if (!certificate) return [];
    const others = certificates.filter((c) => c !== certificate).map((c) => c.value);
    return [
      {
        privateKeyPkcs8: key.value,
        certificate: certificate.value,
        chain: orderChain(certificate.value, others),
        ...(key.friendlyName ?? certificate.friendlyName ? { friendlyName: key.friendlyName ?? certificate.friendlyName } : {}),
        ...(key.localKeyId ? { localKeyId: key.localKeyId } : {}),
      },
    ];
  });
  return { credentials, certificates: certificates.map((c) => c.value) };
}

/** The issuers of `leaf` among `others`, nearest first; certificates that do not chain follow. */
function orderChain(leaf: Uint8Array, others: Uint8Array[]): Uint8Array[] {
  const parsed = others.map((der) => ({ der, cert: new X509Certificate(Buffer.from(der)) }));
  const ordered: Uint8Array[] = [];
  let current = new X509Certificate(Buffer.from(leaf));
  for (;;) {
    const issuer = parsed.find((p) => !ordered.includes(p.der) && current.checkIssued(p.cert) && p.cert.fingerprint256 !== current.fingerprint256);
    if (!issuer) break;
    ordered.push(issuer.der);
    current = issuer.cert;
  }
  return [...ordered, ...parsed.filter((p) => !ordered.includes(p.der)).map((p) => p.der)];
}

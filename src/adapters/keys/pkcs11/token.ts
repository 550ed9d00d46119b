/**
 * Derived credentials: keys held by a PKCS#11 token (smart card, HSM, a phone's secure element) and
 * never extracted. Cachet finds each certificate and the private key with the same CKA_ID, and signs
 * and decrypts by asking the token (pkcs11js, a maintained binding). The engine sees only a
 * PrivateKeyHandle, exactly as for keys in the vault.
 */
import { createHash, createHmac, createPublicKey, randomBytes, timingSafeEqual, X509Certificate, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { createRequire } from 'node:module';
import type * as pkcs11Namespace from 'pkcs11js';

let loadedBinding: typeof pkcs11Namespace | undefined;

/**
 * pkcs11js, loaded when a token is first used: it is an optional dependency (a native module built
 * with node-gyp), so an installation without a compiler still runs everything else.
 * @throws CachetError ERR_NOT_IMPLEMENTED naming the package when it is not installed.
 */
function binding(): typeof pkcs11Namespace {
  if (loadedBinding) return loadedBinding;
  try {
    loadedBinding = createRequire(import.meta.url)('pkcs11js') as typeof pkcs11Namespace;
  } catch (error) {
    throw new CachetError('ERR_NOT_IMPLEMENTED', 'token support needs the optional package pkcs11js, which is not installed (it builds with a C++ compiler): npm install pkcs11js@2.1.7', { cause: error });
  }
  return loadedBinding;
}
type Template = pkcs11Namespace.Template;
import { CachetError } from '../../../errors.js';
import type { DigestAlgorithm, KeyTransportPadding, NamedCurve, PrivateKeyHandle, SignatureScheme } from '../../../engine/keys.js';

export const DEFAULT_PKCS11_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface TokenConfig {
  /** Path of the PKCS#11 module (.so). */
  module: string;
  /** The token's label; default the first token present. */
  tokenLabel?: string;
  pin: string;
}

export interface TokenCredential {
  /** CKA_ID, hex. */
  id: string;
  label: string;
  certificate: Buffer;
}

const CURVES: Record<string, { curve: NamedCurve; size: number }> = {
  'P-256': { curve: 'P-256', size: 32 },
  'P-384': { curve: 'P-384', size: 48 },
  'P-521': { curve: 'P-521', size: 66 },
};

/**
 * A PKCS#11 failure as the user's error. Exported for its test: SoftHSM2 never locks a PIN, so the
 * locked case cannot be provoked on the test token.
 */
export function tokenError(error: unknown, what: string): CachetError {
  const message = (error as Error)?.message ?? String(error);
  if (/CKR_PIN_INCORRECT|CKR_PIN_LEN_RANGE|CKR_PIN_INVALID/.test(message)) return new CachetError('ERR_TOKEN_PIN_INCORRECT', 'the token PIN is wrong', { cause: error });
  if (/CKR_PIN_LOCKED/.test(message)) return new CachetError('ERR_TOKEN_PIN_LOCKED', 'the token PIN is locked; ask your administrator to unblock it', { cause: error });
  if (/CKR_TOKEN_NOT_PRESENT|CKR_DEVICE_REMOVED|CKR_SLOT_ID_INVALID/.test(message)) return new CachetError('ERR_TOKEN_ABSENT', 'the token is not present', { cause: error });
  return new CachetError('ERR_TOKEN_FAILURE', `the token failed while ${what}: ${message}`, { cause: error });
}

/** What {@link Pkcs11Token.generateKeyPair} makes. */
export type TokenKeySpec = { kind: 'rsa'; bits: number } | { kind: 'ec'; curve: 'P-256' | 'P-384' };

/** CKA_EC_PARAMS: the DER OBJECT IDENTIFIER of the named curve (RFC 5480 §2.1.1.1). */
const CURVE_OIDS: Record<'P-256' | 'P-384', string> = {
  'P-256': '06082a8648ce3d030107',
  'P-384': '06052b81040022',
};

/** CKA_SERIAL_NUMBER is the DER INTEGER (tag and length included), PKCS#11 v2.40 §4.6.3. */
function derInteger(value: Buffer): Buffer {
  const length = value.length < 0x80 ? Buffer.from([value.length]) : Buffer.from([0x81, value.length]);
  return Buffer.concat([Buffer.from([0x02]), length, value]);
}

/** DER Ecdsa-Sig-Value from the token's raw r‖s (what CMS carries). */
function ecdsaRawToDer(raw: Buffer): Buffer {
  const half = raw.length / 2;
  const integer = (bytes: Buffer) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = bytes.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  return Buffer.concat([Buffer.from(body.length < 0x80 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
}

/** DigestInfo prefixes (RFC 8017 §9.2) for CKM_RSA_PKCS signing over a digest computed here. */
const DIGEST_INFO: Record<DigestAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** A PKCS#11 module is loaded and initialised once per process, whatever number of sessions use it. */
const modules = new Map<string, pkcs11Namespace.PKCS11>();

function loadedModule(path: string): pkcs11Namespace.PKCS11 {
  const known = modules.get(path);
  if (known) return known;
  const { PKCS11 } = binding();
  const module = new PKCS11();
  try {
    module.load(path);
    module.C_Initialize();
  } catch (error) {
    throw new CachetError('ERR_TOKEN_FAILURE', `the PKCS#11 module ${path} cannot be loaded`, { cause: error });
  }
  modules.set(path, module);
  return module;
}

/**
 * PKCS#11 login state belongs to the application (this process) and the token, not to a session
 * (PKCS#11 v2.40 §5.6 C_Login): once one session has logged in, C_Login on another answers
 * CKR_USER_ALREADY_LOGGED_IN without looking at the PIN, so a second open with a wrong PIN would
 * succeed. Each token (module and slot) therefore remembers a keyed hash of the PIN that logged it
 * in — never the PIN — and how many of our sessions use the login.
 */
interface SlotLogin {
  /** HMAC of the PIN that logged this token in, under a key that exists only in this process. */
  pinDigest: Buffer | undefined;
  sessions: number;
}
const slotLogins = new Map<string, SlotLogin>();
const PIN_HASH_KEY = randomBytes(32);
const pinDigest = (slotKey: string, pin: string) => createHmac('sha256', PIN_HASH_KEY).update(slotKey).update('\u0000').update(pin, 'utf8').digest();

/** Logs `session` in with `pin`, checking the PIN even when this process is logged in already. */
function login(module: pkcs11Namespace.PKCS11, session: Buffer, state: SlotLogin, pin: string, digest: Buffer): void {
  try {
    module.C_Login(session, binding().CKU_USER, pin);
    state.pinDigest = digest;
    return;
  } catch (error) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test((error as Error).message)) throw error;
  }
  if (state.pinDigest && timingSafeEqual(state.pinDigest, digest)) return;
  // Logged in with another PIN (or by a login we did not see): PKCS#11 has no "check this PIN", so
  // log out and log in again with the one given. A wrong PIN then fails here, and counts against
  // the token's retry counter like any wrong PIN. (The other sessions of this process on the token
  // share the login: after a wrong PIN they are logged out too, and their next use fails clearly.)
  state.pinDigest = undefined;
  try {
    module.C_Logout(session);
  } catch (error) {
    if (!/CKR_USER_NOT_LOGGED_IN/.test((error as Error).message)) throw error;
  }
  module.C_Login(session, binding().CKU_USER, pin);
  state.pinDigest = digest;
}

export class Pkcs11Token {
  private closed = false;

  private constructor(
    private readonly module: pkcs11Namespace.PKCS11,
    private readonly session: Buffer,
    private readonly slotKey: string,
  ) {}

  /**
   * Opens a session on the token and logs in with `config.pin` — checked even when another session
   * of this process is logged in already.
   * @throws CachetError ERR_TOKEN_ABSENT, ERR_TOKEN_PIN_INCORRECT, ERR_TOKEN_PIN_LOCKED, ERR_TOKEN_FAILURE.
   */
  static open(config: TokenConfig): Pkcs11Token {
    const module = loadedModule(config.module);
    try {
      const slot = module.C_GetSlotList(true).find((s) => config.tokenLabel === undefined || module.C_GetTokenInfo(s).label.trim() === config.tokenLabel);
      if (!slot) throw new CachetError('ERR_TOKEN_ABSENT', config.tokenLabel ? `no token labelled "${config.tokenLabel}" is present` : 'no token is present');
      const slotKey = `${config.module}\u0000${Buffer.from(slot).toString('hex')}`;
      let state = slotLogins.get(slotKey);
      if (!state) {
        state = { pinDigest: undefined, sessions: 0 };
        slotLogins.set(slotKey, state);
      }
      const session = module.C_OpenSession(slot, binding().CKF_SERIAL_SESSION | binding().CKF_RW_SESSION);
      try {
        login(module, session, state, config.pin, pinDigest(slotKey, config.pin));
      } catch (error) {
        try {
          module.C_CloseSession(session);
        } catch {
          // the session is gone already
        }
        throw error;
      }
      state.sessions++;
      return new Pkcs11Token(module, session, slotKey);
    } catch (error) {
      if (error instanceof CachetError) throw error;
      throw tokenError(error, 'opening a session');
    }
  }

  private find(template: Template): Buffer[] {
    this.module.C_FindObjectsInit(this.session, template);
    try {
      return this.module.C_FindObjects(this.session, 100);
    } finally {
      this.module.C_FindObjectsFinal(this.session);
    }
  }

  /** Certificate and key pairs on the token (the key itself stays there). */
  credentials(): TokenCredential[] {
    const out: TokenCredential[] = [];
    for (const handle of this.find([{ type: binding().CKA_CLASS, value: binding().CKO_CERTIFICATE }])) {
      const [id, label, value] = this.module.C_GetAttributeValue(this.session, handle, [{ type: binding().CKA_ID }, { type: binding().CKA_LABEL }, { type: binding().CKA_VALUE }]);
      const idBytes = id?.value as Buffer;
      if (this.find([{ type: binding().CKA_CLASS, value: binding().CKO_PRIVATE_KEY }, { type: binding().CKA_ID, value: idBytes }]).length === 0) continue;
      out.push({ id: idBytes.toString('hex'), label: (label?.value as Buffer | undefined)?.toString('utf8') ?? '', certificate: value?.value as Buffer });
    }
    return out;
  }

  /** A handle that signs and decrypts with the token key of `credential`. */
  privateKey(credential: TokenCredential): PrivateKeyHandle {
    return this.privateKeyById(credential.id, new X509Certificate(credential.certificate).publicKey, credential.label);
  }

  /**
   * A handle for the private key with CKA_ID `id` (hex), whose public half is `publicKey` (an SPKI DER
   * or KeyObject): for a key that has no certificate on the token yet, such as a CA key that is about
   * to sign its own certificate.
   */
  privateKeyById(id: string, publicKey: KeyObject | Uint8Array, label = ''): PrivateKeyHandle {
    const [key] = this.find([{ type: binding().CKA_CLASS, value: binding().CKO_PRIVATE_KEY }, { type: binding().CKA_ID, value: Buffer.from(id, 'hex') }]);
    if (!key) throw new CachetError('ERR_KEY_NOT_FOUND', `the token holds no private key for ${label || id}`);
    return this.keyHandle(key, publicKey instanceof Uint8Array ? createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }) : publicKey);
  }

  /**
   * Generates a key pair ON the token (C_GenerateKeyPair): the private key is a token object,
   * private, CKA_SENSITIVE and not CKA_EXTRACTABLE, so it never leaves the token; both halves carry
   * `id` (hex) as CKA_ID and `label` as CKA_LABEL. Returns the public key as SPKI DER. It always
   * signs (a CA key; a user key proves itself by signing its certificate request); `uses` adds
   * decryption (RSA, CKA_DECRYPT) or key agreement (EC, CKA_DERIVE) for a user's encryption key.
   */
  async generateKeyPair(spec: TokenKeySpec, id: string, label: string, uses: { decrypt?: boolean } = {}): Promise<Uint8Array> {
    const common = [
      { type: binding().CKA_TOKEN, value: true },
      { type: binding().CKA_ID, value: Buffer.from(id, 'hex') },
      { type: binding().CKA_LABEL, value: Buffer.from(label, 'utf8') },
    ];
    const privateTemplate: Template = [
      ...common,
      { type: binding().CKA_CLASS, value: binding().CKO_PRIVATE_KEY },
      { type: binding().CKA_PRIVATE, value: true },
      { type: binding().CKA_SENSITIVE, value: true },
      { type: binding().CKA_EXTRACTABLE, value: false },
      { type: binding().CKA_SIGN, value: true },
      ...(uses.decrypt ? [{ type: spec.kind === 'rsa' ? binding().CKA_DECRYPT : binding().CKA_DERIVE, value: true }] : []),
    ];
    let mechanism: number;
    let publicTemplate: Template;
    if (spec.kind === 'rsa') {
      mechanism = binding().CKM_RSA_PKCS_KEY_PAIR_GEN;
      publicTemplate = [
        ...common,
        { type: binding().CKA_CLASS, value: binding().CKO_PUBLIC_KEY },
        { type: binding().CKA_VERIFY, value: true },
        { type: binding().CKA_MODULUS_BITS, value: spec.bits },
        { type: binding().CKA_PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
      ];
    } else {
      mechanism = binding().CKM_EC_KEY_PAIR_GEN;
      publicTemplate = [
        ...common,
        { type: binding().CKA_CLASS, value: binding().CKO_PUBLIC_KEY },
        { type: binding().CKA_VERIFY, value: true },
        { type: binding().CKA_EC_PARAMS, value: Buffer.from(CURVE_OIDS[spec.curve], 'hex') },
      ];
    }
    let pair: pkcs11Namespace.KeyPair;
    try {
      pair = await this.module.C_GenerateKeyPairAsync(this.session, { mechanism }, publicTemplate, privateTemplate);
    } catch (error) {
      throw tokenError(error, 'generating a key pair');
    }
    try {
      return this.publicKeySpki(pair.publicKey, spec);
    } catch (error) {
      throw tokenError(error, 'reading the new public key');
    }
  }

  /** The SPKI DER of a public key object (RSA: modulus and exponent; EC: the point, CKA_EC_POINT). */
  private publicKeySpki(handle: Buffer, spec: TokenKeySpec): Uint8Array {
    let jwk: NodeJsonWebKey;
    if (spec.kind === 'rsa') {
      const [n, e] = this.module.C_GetAttributeValue(this.session, handle, [{ type: binding().CKA_MODULUS }, { type: binding().CKA_PUBLIC_EXPONENT }]);
      if (!n?.value || !e?.value) throw new Error('the token returned no RSA modulus or exponent');
      jwk = { kty: 'RSA', n: (n.value as Buffer).toString('base64url'), e: (e.value as Buffer).toString('base64url') };
    } else {
      const [point] = this.module.C_GetAttributeValue(this.session, handle, [{ type: binding().CKA_EC_POINT }]);
      if (!point?.value) throw new Error('the token returned no EC point');
      let bytes = point.value as Buffer;
      const size = CURVES[spec.curve]!.size;
      // PKCS#11 v2.40 §2.3.3: CKA_EC_POINT is "DER-encoding of ANSI X9.62 ECPoint value Q", i.e. an
      // OCTET STRING around 04‖x‖y; some modules give the bare point. Both are accepted.
      if (bytes.length !== 2 * size + 1) bytes = bytes.subarray(bytes[1]! & 0x80 ? 2 + (bytes[1]! & 0x7f) : 2);
      if (bytes.length !== 2 * size + 1 || bytes[0] !== 0x04) throw new Error('the token returned an EC point Cachet cannot read');
      jwk = { kty: 'EC', crv: spec.curve, x: bytes.subarray(1, 1 + size).toString('base64url'), y: bytes.subarray(1 + size).toString('base64url') };
    }
    return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
  }

  /** Stores a certificate on the token under CKA_ID `id` (hex), beside the key pair it certifies. */
  writeCertificate(certificate: Uint8Array, id: string, label: string): void {
    const parsed = AsnConvert.parse(Buffer.from(certificate), Certificate);
    try {
      this.module.C_CreateObject(this.session, [
        { type: binding().CKA_CLASS, value: binding().CKO_CERTIFICATE },
        { type: binding().CKA_CERTIFICATE_TYPE, value: binding().CKC_X_509 },
        { type: binding().CKA_TOKEN, value: true },
        { type: binding().CKA_PRIVATE, value: false },
        { type: binding().CKA_ID, value: Buffer.from(id, 'hex') },
        { type: binding().CKA_LABEL, value: Buffer.from(label, 'utf8') },
        { type: binding().CKA_SUBJECT, value: Buffer.from(AsnConvert.serialize(parsed.tbsCertificate.subject)) },
        { type: binding().CKA_ISSUER, value: Buffer.from(AsnConvert.serialize(parsed.tbsCertificate.issuer)) },
        { type: binding().CKA_SERIAL_NUMBER, value: derInteger(Buffer.from(parsed.tbsCertificate.serialNumber)) },
        { type: binding().CKA_VALUE, value: Buffer.from(certificate) },
      ]);
    } catch (error) {
      throw tokenError(error, 'writing a certificate');
    }
  }

  /** The certificate stored under CKA_ID `id` (hex), if any. */
  certificateById(id: string): Buffer | undefined {
    const [handle] = this.find([{ type: binding().CKA_CLASS, value: binding().CKO_CERTIFICATE }, { type: binding().CKA_ID, value: Buffer.from(id, 'hex') }]);
    if (!handle) return undefined;
    const [value] = this.module.C_GetAttributeValue(this.session, handle, [{ type: binding().CKA_VALUE }]);
    return value?.value as Buffer;
  }

  /** Whether any object (key or certificate) carries CKA_ID `id` (hex). */
  hasObject(id: string): boolean {
    return this.find([{ type: binding().CKA_ID, value: Buffer.from(id, 'hex') }]).length > 0;
  }

  /** Security attributes of the private key `id`: what a caller checks to be sure it cannot leave. */
  privateKeyAttributes(id: string): { sensitive: boolean; extractable: boolean; alwaysSensitive: boolean; neverExtractable: boolean; local: boolean } | undefined {
    const [key] = this.find([{ type: binding().CKA_CLASS, value: binding().CKO_PRIVATE_KEY }, { type: binding().CKA_ID, value: Buffer.from(id, 'hex') }]);
    if (!key) return undefined;
    const values = this.module.C_GetAttributeValue(this.session, key, [
      { type: binding().CKA_SENSITIVE }, { type: binding().CKA_EXTRACTABLE }, { type: binding().CKA_ALWAYS_SENSITIVE }, { type: binding().CKA_NEVER_EXTRACTABLE }, { type: binding().CKA_LOCAL },
    ]).map((a) => (a.value as Buffer)[0] === 1);
    return { sensitive: values[0]!, extractable: values[1]!, alwaysSensitive: values[2]!, neverExtractable: values[3]!, local: values[4]! };
  }

  /** Removes every object with CKA_ID `id` (hex): undoes a half-finished setup. */
  destroyObjects(id: string): void {
    for (const handle of this.find([{ type: binding().CKA_ID, value: Buffer.from(id, 'hex') }])) {
      try {
        this.module.C_DestroyObject(this.session, handle);
      } catch {
        // best effort: the caller reports the original failure
      }
    }
  }

  private keyHandle(key: Buffer, publicKey: KeyObject): PrivateKeyHandle {
    const type = publicKey.asymmetricKeyType;
    const operate = (what: string, run: () => Buffer): Buffer => {
      try {
        return run();
      } catch (error) {
        throw tokenError(error, what);
      }
    };
    if (type === 'rsa') {
      const modulusBits = publicKey.asymmetricKeyDetails?.modulusLength ?? 2048;
      return {
        kind: 'rsa',
        modulusBits,
        // PKCS#11 tokens commonly do OAEP with SHA-1 only (SoftHSM2), or not at all.
        decryptsOaepSha256: false,
        sign: async (data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm) => {
          if (scheme !== 'rsa-pkcs1') throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'token keys sign with RSA PKCS#1 v1.5 here');
          // The digest is computed here and wrapped in a DigestInfo, so any token with CKM_RSA_PKCS works.
          const digestInfo = Buffer.concat([Buffer.from(DIGEST_INFO[digest], 'hex'), createHash(digest).update(data).digest()]);
          return operate('signing', () => {
            this.module.C_SignInit(this.session, { mechanism: binding().CKM_RSA_PKCS }, key);
            return this.module.C_Sign(this.session, digestInfo, Buffer.alloc(modulusBits / 8));
          });
        },
        decryptKeyTransport: async (encryptedKey: Uint8Array, padding: KeyTransportPadding) => {
          if (padding.scheme === 'rsa-oaep') {
            const mechanisms = { sha1: [binding().CKM_SHA_1, binding().CKG_MGF1_SHA1], sha256: [binding().CKM_SHA256, binding().CKG_MGF1_SHA256], sha384: [binding().CKM_SHA384, binding().CKG_MGF1_SHA384], sha512: [binding().CKM_SHA512, binding().CKG_MGF1_SHA512] };
            const mgf1Hash = padding.mgf1Hash ?? padding.hash;
            // CK_RSA_PKCS_OAEP_PARAMS names the OAEP digest and the MGF separately (PKCS#11 v2.40 §2.1.8).
            const parameter = { type: binding().CK_PARAMS_RSA_OAEP, hashAlg: mechanisms[padding.hash][0]!, mgf: mechanisms[mgf1Hash][1]!, source: 1, ...(padding.label ? { sourceData: Buffer.from(padding.label) } : {}) } as pkcs11Namespace.RsaOAEP;
            try {
              this.module.C_DecryptInit(this.session, { mechanism: binding().CKM_RSA_PKCS_OAEP, parameter }, key);
            } catch (error) {
              // A token that lacks this OAEP variant says so when the operation is set up: SoftHSM 2.6
              // does OAEP with SHA-1 only and answers CKR_ARGUMENTS_BAD for any other hash; others
              // answer CKR_MECHANISM_PARAM_INVALID or CKR_MECHANISM_INVALID.
              if (/CKR_ARGUMENTS_BAD|CKR_MECHANISM_PARAM_INVALID|CKR_MECHANISM_INVALID/.test((error as Error)?.message ?? '')) {
                const names = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
                const name = names[padding.hash] + (mgf1Hash !== padding.hash ? ` and MGF1-${names[mgf1Hash]}` : '');
                throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `this token cannot do RSA-OAEP with ${name}: the message was encrypted for your key with RSA-OAEP/${name}, which the token's PKCS#11 module does not offer; ask the sender to use RSA-OAEP with SHA-1 or RSA PKCS#1 v1.5, or use a token that supports it`, {
                  cause: error,
                  details: { algorithm: 'rsa-oaep', hash: padding.hash, ...(mgf1Hash !== padding.hash ? { mgf1Hash } : {}) },
                });
              }
              throw tokenError(error, 'decrypting');
            }
            return operate('decrypting', () => this.module.C_Decrypt(this.session, Buffer.from(encryptedKey), Buffer.alloc(modulusBits / 8)));
          }
          try {
            this.module.C_DecryptInit(this.session, { mechanism: binding().CKM_RSA_PKCS }, key);
            const plain = this.module.C_Decrypt(this.session, Buffer.from(encryptedKey), Buffer.alloc(modulusBits / 8));
            if (plain.length === padding.expectedLength) return plain;
          } catch (error) {
            if (/CKR_PIN|CKR_TOKEN|CKR_DEVICE|CKR_SESSION/.test((error as Error).message)) throw tokenError(error, 'decrypting');
          }
          // The token checked the padding itself; on failure continue with a random key, so the
          // message fails exactly as with a wrong key (no padding oracle through our errors).
          return randomBytes(padding.expectedLength);
        },
      };
    }
    if (type === 'ec') {
      const details = CURVES[({ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' } as Record<string, string>)[publicKey.asymmetricKeyDetails?.namedCurve ?? ''] ?? ''];
      if (!details) throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'the token key uses an unsupported curve');
      return {
        kind: 'ec',
        curve: details.curve,
        sign: async (data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm) => {
          if (scheme !== 'ecdsa') throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'an EC token key makes ECDSA signatures');
          const hash = createHash(digest).update(data).digest();
          const raw = operate('signing', () => {
            this.module.C_SignInit(this.session, { mechanism: binding().CKM_ECDSA }, key);
            return this.module.C_Sign(this.session, hash, Buffer.alloc(details.size * 2));
          });
          return ecdsaRawToDer(raw);
        },
        deriveSharedSecret: async (originatorPublicKeySpki: Uint8Array) => {
          const point = createPublicKey({ key: Buffer.from(originatorPublicKeySpki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
          const x = Buffer.from(point.x ?? '', 'base64url');
          const y = Buffer.from(point.y ?? '', 'base64url');
          const publicData = Buffer.concat([Buffer.from([0x04]), x, y]);
          return operate('deriving a key', () => {
            const derived = this.module.C_DeriveKey(
              this.session,
              { mechanism: binding().CKM_ECDH1_DERIVE, parameter: { type: binding().CK_PARAMS_EC_DH, kdf: binding().CKD_NULL, publicData } as pkcs11Namespace.ECDH1 },
              key,
              [
                { type: binding().CKA_CLASS, value: binding().CKO_SECRET_KEY },
                { type: binding().CKA_KEY_TYPE, value: binding().CKK_GENERIC_SECRET },
                { type: binding().CKA_VALUE_LEN, value: details.size },
                { type: binding().CKA_EXTRACTABLE, value: true },
                { type: binding().CKA_SENSITIVE, value: false },
                { type: binding().CKA_TOKEN, value: false },
              ],
            );
            const [value] = this.module.C_GetAttributeValue(this.session, derived, [{ type: binding().CKA_VALUE }]);
            this.module.C_DestroyObject(this.session, derived);
            return value?.value as Buffer;
          });
        },
      };
    }
    throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `token keys of type ${type ?? 'unknown'} are not supported`);
  }

  /**
   * Ends this session; the last of our sessions on the token logs out (the login is shared by all of
   * them, so an earlier logout would pull it from under the others). The module stays loaded for the
   * process (PKCS#11 is initialised once).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const state = slotLogins.get(this.slotKey);
    if (state) state.sessions--;
    if (!state || state.sessions <= 0) {
      slotLogins.delete(this.slotKey);
      try {
        this.module.C_Logout(this.session);
      } catch {
        // not logged in any more (a wrong PIN elsewhere logged the token out), or the token is gone
      }
    }
    try {
      this.module.C_CloseSession(this.session);
    } catch {
      // closing a session that the token already dropped
    }
  }
}

/**
 * Derived credentials: keys held by a PKCS#11 token (smart card, HSM, a phone's secure element) and
 * never extracted. Cachet finds each certificate and the private key with the same CKA_ID, and signs
 * and decrypts by asking the token (pkcs11js, a maintained binding). The engine sees only a
 * PrivateKeyHandle, exactly as for keys in the vault.
 */
import { createHash, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import * as pkcs11Namespace from 'pkcs11js';

// pkcs11js is CommonJS: under Node's ESM loader its constants live on the default export only.
const pkcs11js = ((pkcs11Namespace as unknown as { default?: typeof pkcs11Namespace }).default ?? pkcs11Namespace) as typeof pkcs11Namespace;
type Template = pkcs11Namespace.Template;
import { CachetError } from '../../engine/errors.js';
import type { DigestAlgorithm, KeyTransportPadding, NamedCurve, PrivateKeyHandle, SignatureScheme } from '../../engine/keys.js';

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

function tokenError(error: unknown, what: string): CachetError {
  const message = (error as Error)?.message ?? String(error);
  if (/CKR_PIN_INCORRECT/.test(message)) return new CachetError('ERR_TOKEN_PIN_INCORRECT', 'the token PIN is wrong', { cause: error });
  if (/CKR_PIN_LOCKED/.test(message)) return new CachetError('ERR_TOKEN_PIN_LOCKED', 'the token PIN is locked; ask your administrator to unblock it', { cause: error });
  if (/CKR_TOKEN_NOT_PRESENT|CKR_DEVICE_REMOVED|CKR_SLOT_ID_INVALID/.test(message)) return new CachetError('ERR_TOKEN_ABSENT', 'the token is not present', { cause: error });
  return new CachetError('ERR_TOKEN_FAILURE', `the token failed while ${what}: ${message}`, { cause: error });
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
  const module = new pkcs11js.PKCS11();
  try {
    module.load(path);
    module.C_Initialize();
  } catch (error) {
    throw new CachetError('ERR_TOKEN_FAILURE', `the PKCS#11 module ${path} cannot be loaded`, { cause: error });
  }
  modules.set(path, module);
  return module;
}

export class Pkcs11Token {
  private constructor(
    private readonly module: pkcs11Namespace.PKCS11,
    private readonly session: Buffer,
  ) {}

  static open(config: TokenConfig): Pkcs11Token {
    const module = loadedModule(config.module);
    try {
      const slot = module.C_GetSlotList(true).find((s) => config.tokenLabel === undefined || module.C_GetTokenInfo(s).label.trim() === config.tokenLabel);
      if (!slot) throw new CachetError('ERR_TOKEN_ABSENT', config.tokenLabel ? `no token labelled "${config.tokenLabel}" is present` : 'no token is present');
      const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        module.C_Login(session, pkcs11js.CKU_USER, config.pin);
      } catch (error) {
        // Login is per application: another session of this process already logged in.
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test((error as Error).message)) throw error;
      }
      return new Pkcs11Token(module, session);
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
    for (const handle of this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }])) {
      const [id, label, value] = this.module.C_GetAttributeValue(this.session, handle, [{ type: pkcs11js.CKA_ID }, { type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_VALUE }]);
      const idBytes = id?.value as Buffer;
      if (this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: idBytes }]).length === 0) continue;
      out.push({ id: idBytes.toString('hex'), label: (label?.value as Buffer | undefined)?.toString('utf8') ?? '', certificate: value?.value as Buffer });
    }
    return out;
  }

  /** A handle that signs and decrypts with the token key of `credential`. */
  privateKey(credential: TokenCredential): PrivateKeyHandle {
    const [key] = this.find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(credential.id, 'hex') }]);
    if (!key) throw new CachetError('ERR_KEY_NOT_FOUND', `the token holds no private key for ${credential.label || credential.id}`);
    const publicKey = new X509Certificate(credential.certificate).publicKey;
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
        sign: async (data: Uint8Array, scheme: SignatureScheme, digest: DigestAlgorithm) => {
          if (scheme !== 'rsa-pkcs1') throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', 'token keys sign with RSA PKCS#1 v1.5 here');
          // The digest is computed here and wrapped in a DigestInfo, so any token with CKM_RSA_PKCS works.
          const digestInfo = Buffer.concat([Buffer.from(DIGEST_INFO[digest], 'hex'), createHash(digest).update(data).digest()]);
          return operate('signing', () => {
            this.module.C_SignInit(this.session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key);
            return this.module.C_Sign(this.session, digestInfo, Buffer.alloc(modulusBits / 8));
          });
        },
        decryptKeyTransport: async (encryptedKey: Uint8Array, padding: KeyTransportPadding) => {
          if (padding.scheme === 'rsa-oaep') {
            return operate('decrypting', () => {
              const hash = { sha1: [pkcs11js.CKM_SHA_1, pkcs11js.CKG_MGF1_SHA1], sha256: [pkcs11js.CKM_SHA256, pkcs11js.CKG_MGF1_SHA256], sha384: [pkcs11js.CKM_SHA384, pkcs11js.CKG_MGF1_SHA384], sha512: [pkcs11js.CKM_SHA512, pkcs11js.CKG_MGF1_SHA512] }[padding.hash];
              const parameter = { type: pkcs11js.CK_PARAMS_RSA_OAEP, hashAlg: hash[0]!, mgf: hash[1]!, source: 1, ...(padding.label ? { sourceData: Buffer.from(padding.label) } : {}) } as pkcs11Namespace.RsaOAEP;
              this.module.C_DecryptInit(this.session, { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter }, key);
              return this.module.C_Decrypt(this.session, Buffer.from(encryptedKey), Buffer.alloc(modulusBits / 8));
            });
          }
          try {
            this.module.C_DecryptInit(this.session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key);
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
            this.module.C_SignInit(this.session, { mechanism: pkcs11js.CKM_ECDSA }, key);
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
              { mechanism: pkcs11js.CKM_ECDH1_DERIVE, parameter: { type: pkcs11js.CK_PARAMS_EC_DH, kdf: pkcs11js.CKD_NULL, publicData } as pkcs11Namespace.ECDH1 },
              key,
              [
                { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
                { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
                { type: pkcs11js.CKA_VALUE_LEN, value: details.size },
                { type: pkcs11js.CKA_EXTRACTABLE, value: true },
                { type: pkcs11js.CKA_SENSITIVE, value: false },
                { type: pkcs11js.CKA_TOKEN, value: false },
              ],
            );
            const [value] = this.module.C_GetAttributeValue(this.session, derived, [{ type: pkcs11js.CKA_VALUE }]);
            this.module.C_DestroyObject(this.session, derived);
            return value?.value as Buffer;
          });
        },
      };
    }
    throw new CachetError('ERR_UNSUPPORTED_ALGORITHM', `token keys of type ${type ?? 'unknown'} are not supported`);
  }

  /** Ends this session; the module stays loaded for the process (PKCS#11 is initialised once). */
  close(): void {
    try {
      this.module.C_Logout(this.session);
      this.module.C_CloseSession(this.session);
    } catch {
      // closing a session that the token already dropped
    }
  }
}

/**
 * Where the user's keys come from, chosen by the admin's policy "S/MIME certificate source":
 * the shared vault (keys held by the vault service), derived credentials (keys on a PKCS#11 token)
 * or e-mail (PKCS#12 files mailed to the user and imported into the local vault). The client takes
 * keys only from the configured source, through the one {@link CredentialStore} interface.
 */
import { readFile, stat } from 'node:fs/promises';
import { CachetError } from '../../errors.js';
import type { CredentialStore, CredentialUse, NewCredential, StoredCredential } from './credential-store.js';
import type { FileCredentialStore } from './file-credential-store.js';
import { openVaultFile, vaultFileExists, vaultFilePath } from './open-store.js';
import { DEFAULT_PKCS11_MODULE, Pkcs11Token } from './pkcs11/token.js';
import { tokenCredentialStore } from './token-credential-store.js';
import { VaultServiceClient, type VaultClientOptions } from './vault-service/client.js';
import { VAULT_APP_TOKEN_ENV, vaultServicePaths } from './vault-service/paths.js';
import { vaultServiceStore } from './vault-service/remote-store.js';

export type CertificateSource = 'sharedVault' | 'derivedCredentials' | 'email';

/** The environment variable a CLI reads the token PIN from. */
export const TOKEN_PIN_ENV = 'CACHET_TOKEN_PIN';

export interface CredentialSourceOptions {
  /** The user's CACHET_HOME: their vault file, the vault service socket, their app token file. */
  home: string;
  /** 'email': the local vault passphrase (asked lazily). */
  passphrase: () => Promise<string>;
  /** 'email': how the vault file is opened, when the caller shares the one opened vault with its other
   *  uses (the named secrets); default: opened here with `passphrase`. */
  vault?: (createIfMissing: boolean) => Promise<FileCredentialStore>;
  /** 'derivedCredentials': the PKCS#11 module (default SoftHSM's), token label, and PIN (asked lazily). */
  token?: { module?: string; tokenLabel?: string };
  pin: () => Promise<string>;
  /** 'sharedVault': this app's enrolment token (asked lazily); default lookup env CACHET_VAULT_APP_TOKEN,
   *  then the owner-only file $CACHET_HOME/vault-app-token. */
  appToken?: () => Promise<string>;
  createIfMissing?: boolean;
  /** The environment the default app-token lookup reads; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** 'sharedVault': options of the service client (tests watch its answers). */
  vaultClient?: VaultClientOptions;
}

/** A credential source as the client holds it: the store, which source it is, and how to let go of it. */
export interface CredentialSource extends CredentialStore {
  readonly source: CertificateSource;
  /** Ends a token session; nothing to do for the other sources. */
  close(): Promise<void>;
}

const WHAT_TO_DO: Record<CertificateSource, string> = {
  email: 'import the PKCS#12 file you were sent with "cachet cert import FILE.p12"',
  derivedCredentials: 'insert your token, or have derived credentials issued onto it',
  sharedVault: 'open your identity-provider app so that it deposits your credentials in the vault',
};

/** The error to show when the configured source holds nothing: says which source and what to do. */
export function sourceEmptyError(source: CertificateSource): CachetError {
  return new CachetError('ERR_SOURCE_EMPTY', `the certificate source "${source}" set by your administrator holds no credentials: ${WHAT_TO_DO[source]}`, { details: { source } });
}

/**
 * This app's enrolment token for the shared vault: $CACHET_VAULT_APP_TOKEN, else the file
 * $CACHET_HOME/vault-app-token, which must be readable by its owner only (like an SSH key).
 * @throws CachetError ERR_VAULT_ACCESS_DENIED when there is none, ERR_POLICY_FORBIDS for a file others can read.
 */
export async function defaultAppToken(home: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env[VAULT_APP_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  const path = vaultServicePaths(home).appToken;
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CachetError('ERR_VAULT_ACCESS_DENIED', `this app has no enrolment token for the shared vault: have it enrolled ("cachet vault enrol-app NAME") and put the token in ${path} (mode 600) or in ${VAULT_APP_TOKEN_ENV}`);
    }
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}`, { cause: error });
  }
  if ((mode & 0o077) !== 0) {
    throw new CachetError('ERR_POLICY_FORBIDS', `${path} can be read by other users; make it yours only ("chmod 600 ${path}") — it holds the key to your shared vault`, { details: { file: path } });
  }
  return (await readFile(path, 'utf8')).trim();
}

/** The local vault, when none exists yet: empty, and asking for a passphrase only once something is added. */
function notYetCreatedVault(home: string, create: () => Promise<FileCredentialStore>): CredentialStore {
  let created: FileCredentialStore | undefined;
  const missing = () => new CachetError('ERR_CERT_NOT_FOUND', `there is no credential vault yet (${vaultFilePath(home)}); import a certificate with "cachet cert import"`);
  return {
    list: async () => (created ? created.list() : []),
    active: async (role: CredentialUse): Promise<StoredCredential | undefined> => created?.active(role),
    async add(credential: NewCredential, options) {
      created ??= await create();
      return created.add(credential, options);
    },
    remove: async (id) => {
      if (!created) throw missing();
      return created.remove(id);
    },
    privateKey: async (id) => {
      if (!created) throw missing();
      return created.privateKey(id);
    },
    exportPrivateKey: async (id) => {
      if (!created) throw missing();
      return created.exportPrivateKey(id);
    },
  };
}

/**
 * Opens the certificate source the policy names, as a {@link CredentialStore}. A source that holds
 * nothing lists []; the caller then shows {@link sourceEmptyError}.
 *
 * - 'email': the local vault file ($CACHET_HOME/credentials.vault); when it does not exist yet, an
 *   empty store (created, with `passphrase()`, by the first `add`; at once with `createIfMissing`).
 * - 'derivedCredentials': the PKCS#11 token; add/remove/export refused (ERR_POLICY_FORBIDS).
 * - 'sharedVault': the running vault service, as this enrolled app; keys stay in the service.
 *
 * @throws CachetError ERR_VAULT_BAD_PASSPHRASE / ERR_VAULT_CORRUPT (email); ERR_TOKEN_ABSENT /
 *   ERR_TOKEN_PIN_INCORRECT / ERR_TOKEN_PIN_LOCKED / ERR_TOKEN_FAILURE (derivedCredentials);
 *   ERR_VAULT_UNREACHABLE (service not running), ERR_VAULT_LOCKED (run "cachet vault unlock"),
 *   ERR_VAULT_ACCESS_DENIED (no token, unknown or revoked app) (sharedVault).
 */
export async function openCredentialSource(source: CertificateSource, options: CredentialSourceOptions): Promise<CredentialSource> {
  switch (source) {
    case 'email': {
      const vault = options.vault ?? ((createIfMissing: boolean) => openVaultFile(options.home, options.passphrase, { createIfMissing }));
      const store = vaultFileExists(options.home) || options.createIfMissing ? await vault(options.createIfMissing ?? false) : notYetCreatedVault(options.home, () => vault(true));
      return withSource('email', store, async () => {});
    }
    case 'derivedCredentials': {
      const pin = await options.pin();
      const token = Pkcs11Token.open({
        module: options.token?.module ?? DEFAULT_PKCS11_MODULE,
        pin,
        ...(options.token?.tokenLabel !== undefined ? { tokenLabel: options.token.tokenLabel } : {}),
      });
      const store = tokenCredentialStore(token);
      return withSource('derivedCredentials', store, () => store.close());
    }
    case 'sharedVault': {
      const client = await VaultServiceClient.connect(options.home, options.vaultClient);
      const token = await (options.appToken ?? (() => defaultAppToken(options.home, options.env)))();
      const store = vaultServiceStore(client, token);
      // One request now, so that a stopped or locked service or a refused app is said at once.
      await store.list();
      return withSource('sharedVault', store, async () => {});
    }
  }
}

function withSource(source: CertificateSource, store: CredentialStore, close: () => Promise<void>): CredentialSource {
  return {
    source,
    list: () => store.list(),
    active: (role) => store.active(role),
    add: (credential, options) => store.add(credential, options),
    remove: (id) => store.remove(id),
    privateKey: (id) => store.privateKey(id),
    exportPrivateKey: (id) => store.exportPrivateKey(id),
    close,
  };
}

/** "Enable S/MIME on first launch": on with credentials → enabled; on without → ask to import; off → disabled. */
export async function firstLaunchSmimeState(policy: { enableOnFirstLaunch: boolean }, store: Pick<CredentialStore, 'list'>): Promise<'enabled' | 'ask-import' | 'disabled'> {
  if (!policy.enableOnFirstLaunch) return 'disabled';
  return (await store.list()).length > 0 ? 'enabled' : 'ask-import';
}

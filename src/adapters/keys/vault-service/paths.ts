/**
 * The vault service's files in a user's $CACHET_HOME. All are owner-only (0600, the socket in a 0700
 * directory): the enrolment registry holds only hashes of app tokens, the endpoint file holds the
 * owner's control token, the audit log tells who used which key.
 */
import { join } from 'node:path';

export interface VaultServicePaths {
  /** 0700 directory holding the Unix socket. */
  socketDir: string;
  socket: string;
  /** Where a running service says how to reach it (JSON, 0600); absent when none runs. */
  endpoint: string;
  /** Enrolled apps: name → SHA-256 of the token (JSON, 0600). */
  apps: string;
  /** One JSON line per access (0600, append-only). */
  audit: string;
  /** This app's own enrolment token, when the user keeps it in a file (0600). */
  appToken: string;
}

export function vaultServicePaths(home: string): VaultServicePaths {
  const socketDir = join(home, 'vault-service');
  return {
    socketDir,
    socket: join(socketDir, 'vault.sock'),
    endpoint: join(home, 'vault-service.json'),
    apps: join(home, 'vault-apps.json'),
    audit: join(home, 'vault-audit.log'),
    appToken: join(home, 'vault-app-token'),
  };
}

/** The environment variable that carries an app's enrolment token. */
export const VAULT_APP_TOKEN_ENV = 'CACHET_VAULT_APP_TOKEN';

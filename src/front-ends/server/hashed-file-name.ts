/**
 * How the server's file stores (web sessions, sign-in throttling, wrapped vault keys) name a
 * record's file: by the SHA-256 of its key, so that no address, client IP or session id is in a
 * file name, and a listing or a copy of the state directory names nobody and holds no cookie.
 */
import { createHash } from 'node:crypto';

/** `<hex SHA-256 of key>.json` */
export function hashedFileName(key: string): string {
  return `${createHash('sha256').update(key).digest('hex')}.json`;
}

/**
 * For the CA key-store tests: reads the CA keys out of a CA vault file independently of the code
 * under test (the documented format of src/adapters/keys/file-credential-store.ts, decrypted here by hand),
 * and scans a directory tree for any private key in clear — a PEM "PRIVATE KEY" block that is not
 * "ENCRYPTED", or the raw PKCS#8 bytes of a known key (as DER, base64 or hex).
 */
import { createDecipheriv, scryptSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** PKCS#8 DER of every key in a vault file: "CACHETV1" · uint32 header length · header · AES-256-GCM body · tag. */
export function vaultPrivateKeys(path: string, passphrase: string): Buffer[] {
  const bytes = readFileSync(path);
  const length = bytes.readUInt32BE(8);
  const aad = bytes.subarray(0, 12 + length);
  const header = JSON.parse(aad.subarray(12).toString('utf8')) as { kdf: { N: number; r: number; p: number; salt: string }; iv: string };
  const { N, r, p, salt } = header.kdf;
  const material = scryptSync(passphrase.normalize('NFC'), Buffer.from(salt, 'base64'), 64, { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 });
  const body = bytes.subarray(aad.length);
  const decipher = createDecipheriv('aes-256-gcm', material.subarray(0, 32), Buffer.from(header.iv, 'base64'));
  decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - 16));
  const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  return (JSON.parse(plain.toString('utf8')) as { credentials: Array<{ privateKeyPkcs8: string }> }).credentials.map((c) => Buffer.from(c.privateKeyPkcs8, 'base64'));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Every place under `dir` where a private key lies in clear; [] when there is none. */
export function clearKeysUnder(dir: string, knownPkcs8: Buffer[]): string[] {
  const findings: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    const text = bytes.toString('latin1');
    for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----/g)) {
      if (!m[1]!.includes('ENCRYPTED')) findings.push(`${file}: a "${m[0]}" block`);
    }
    for (const [i, key] of knownPkcs8.entries()) {
      // The key's inner part (past the PKCS#8 header) is what any encoding of it would carry.
      const core = key.subarray(key.length - 48);
      if (bytes.includes(key) || bytes.includes(core)) findings.push(`${file}: key ${i} as DER`);
      if (text.includes(key.toString('base64').slice(64, 128))) findings.push(`${file}: key ${i} as base64`);
      if (text.toLowerCase().includes(core.toString('hex'))) findings.push(`${file}: key ${i} as hex`);
    }
  }
  return findings;
}

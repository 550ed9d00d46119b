/**
 * base64 layout, CRLF check and spool use WebAssembly (and O_DIRECT for the spool). Under
 * `node --jitless` there is no WebAssembly: the same results must come from the portable paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const SCRIPT = `
import { base64Encode, base64Decode } from './src/engine/mime/base64.ts';
import { toCrlf } from './src/engine/mime/line-endings.ts';
import { Spool } from './src/engine/spool.ts';
import { collectBytes } from './src/engine/stream-types.ts';
async function* chunks(bytes, size) { for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size); }
const bytes = Buffer.alloc(200_000); for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
const encoded = (await collectBytes(base64Encode(chunks(bytes, 7_001)))).toString('latin1');
const expected = bytes.toString('base64').replace(/(.{76})/g, '$1\\r\\n') + '\\r\\n';
const decoded = await collectBytes(base64Decode(chunks(Buffer.from(encoded, 'latin1'), 999)));
const canonical = (await collectBytes(toCrlf(chunks(Buffer.from('a\\r\\nb\\r\\n'.repeat(5000)), 4096)))).toString();
const fixed = (await collectBytes(toCrlf(chunks(Buffer.from('a\\nb\\r'.repeat(5000)), 4096)))).toString();
const spool = new Spool(1000);
await spool.write(bytes); await spool.write(bytes);
const spooled = await collectBytes(spool.read());
const direct = spool.spillDirect;
await spool.dispose();
console.log(JSON.stringify({
  wasm: typeof WebAssembly,
  encode: encoded === expected,
  decode: decoded.equals(bytes),
  canonical: canonical === 'a\\r\\nb\\r\\n'.repeat(5000),
  fixed: fixed === 'a\\r\\nb\\r\\n'.repeat(5000),
  spool: spooled.equals(Buffer.concat([bytes, bytes])),
  direct,
}));
`;

test('without WebAssembly (node --jitless) the portable paths give the same results', () => {
  const out = execFileSync(process.execPath, ['--jitless', '--no-warnings', '--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { wasm: 'undefined', encode: true, decode: true, canonical: true, fixed: true, spool: true, direct: false });
});

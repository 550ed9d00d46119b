import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIME_LIMITS } from './limits.js';
import { parseMimeTree } from './mime-tree.js';
import { isCachetError } from '../../errors.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

test('quoted boundary, uppercase type, preamble and epilogue, nested boundary extending the outer one', () => {
  const tree = parseMimeTree(
    crlf([
      'Content-Type: MULTIPART/MIXED; BOUNDARY="b"',
      '',
      'This is a preamble.',
      '--b',
      'Content-Type: text/plain',
      '',
      'one',
      '--b',
      'Content-Type: multipart/alternative; boundary="b-inner"',
      '',
      '--b-inner',
      'Content-Type: text/plain',
      '',
      'two',
      '--b-inner',
      'Content-Type: text/html',
      '',
      '<p>two</p>',
      '--b-inner--',
      '--b--',
      'an epilogue',
      '',
    ]),
  );
  assert.deepEqual(tree.children.map((c) => c.path), ['1', '2']);
  assert.equal(tree.children[0]!.body.toString(), 'one');
  assert.deepEqual(tree.children[1]!.children.map((c) => c.body.toString()), ['two', '<p>two</p>']);
  assert.equal(tree.children[1]!.children[1]!.path, '2.2');
});

test('LF-only stored mail and transport padding after a delimiter', () => {
  const tree = parseMimeTree(Buffer.from('Content-Type: multipart/mixed; boundary=x\n\n--x  \nContent-Type: text/plain\n\nhi\n--x--\n'));
  assert.equal(tree.children.length, 1);
  assert.equal(tree.children[0]!.body.toString(), 'hi');
});

test('a damaged part is an opaque leaf, not a failure of the whole message', () => {
  const tree = parseMimeTree(crlf(['Content-Type: multipart/mixed; boundary=x', '', '--x', 'no header here at all', '--x', 'Content-Type: text/plain', '', 'ok', '--x--', '']));
  assert.equal(tree.children.length, 2);
  assert.equal(tree.children[0]!.headers.contentType().mediaType, 'application/octet-stream');
  assert.equal(tree.children[1]!.body.toString(), 'ok');
});

test('nesting beyond MIME_LIMITS.maxDepth is refused with ERR_LIMIT_EXCEEDED', () => {
  const depth = MIME_LIMITS.maxDepth + 2;
  let entity = 'Content-Type: text/plain\r\n\r\nleaf';
  for (let i = 0; i < depth; i++) entity = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${entity}\r\n--b${i}--\r\n`;
  assert.throws(() => parseMimeTree(Buffer.from(entity)), (e) => isCachetError(e) && e.code === 'ERR_LIMIT_EXCEEDED');
});

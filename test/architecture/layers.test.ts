/**
 * The layering of docs/ARCHITECTURE.md, checked on every import (static, `export … from` and
 * dynamic `import()`) of src/ and bench/: front ends never import each other, adapters never import
 * use cases or front ends, use cases no front end, the engine nothing outside itself and no network
 * (node:net, node:http, fetch) — nor files, but the spool's temp files — and bench/ no test helper.
 *
 * LAYERS is the one table to update when folders move: a folder prefix → its layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `shared`: what every layer may import and which imports nothing (the error table, once it leaves the engine). */
type Layer = 'shared' | 'engine' | 'storage' | 'adapter' | 'use-case' | 'front-end:cli' | 'front-end:web' | 'entry';

/** Folder (relative to the repository) → layer; the longest matching prefix wins. */
const LAYERS: Record<string, Layer> = {
  'src/errors.ts': 'shared',
  'src/engine/': 'engine',
  'src/adapters/storage/': 'storage',
  'src/adapters/': 'adapter',
  'src/use-cases/': 'use-case',
  'src/front-ends/cli/': 'front-end:cli',
  'src/front-ends/web/': 'front-end:web',
  // cachet server: the web front end as an organisation deploys it
  'src/front-ends/server/': 'front-end:web',
  // the process entry: the CLI's table plus the commands that start the web front ends
  'src/entry/': 'entry',
};

/** What each layer may import (besides itself). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  shared: [],
  engine: ['shared'],
  storage: ['shared', 'engine'],
  adapter: ['shared', 'engine', 'storage', 'adapter'],
  'use-case': ['shared', 'engine', 'storage', 'adapter'],
  'front-end:cli': ['shared', 'engine', 'storage', 'adapter', 'use-case'],
  'front-end:web': ['shared', 'engine', 'storage', 'adapter', 'use-case'],
  entry: ['shared', 'engine', 'storage', 'adapter', 'use-case', 'front-end:cli', 'front-end:web'],
};

/** Modules the engine must not use: network, and files (the spool's temp files excepted). */
const ENGINE_FORBIDDEN_MODULES = /^(node:)?(net|http|https|http2|tls|dgram|dns|fs|fs\/promises|child_process)$/;
const ENGINE_FILES_ALLOWED = new Set(['src/engine/spool.ts']);

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(REPO, dir))) {
    const path = join(dir, name);
    if (statSync(join(REPO, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier the file imports, comments skipped. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const match of code.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

function layerOf(path: string): Layer | undefined {
  const prefix = Object.keys(LAYERS)
    .filter((p) => path.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? LAYERS[prefix] : undefined;
}

function target(from: string, specifier: string): string {
  return relative(REPO, resolve(REPO, dirname(from), specifier)).replace(/\.js$/, '.ts');
}

test('every file under src/ is in a layer of the table', () => {
  const unmapped = sources('src').filter((f) => f.split('/').length > 2 && layerOf(f) === undefined);
  assert.deepEqual(unmapped, [], 'add their folder to LAYERS (and to docs/ARCHITECTURE.md)');
});

test('imports point down the layers only: front ends never import each other, adapters no use case, the engine nothing above it', () => {
  const violations: string[] = [];
  for (const file of sources('src')) {
    const from = layerOf(file);
    if (!from) continue;
    for (const specifier of specifiers(readFileSync(join(REPO, file), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const to = target(file, specifier);
      const toLayer = layerOf(to);
      if (!toLayer || toLayer === from || MAY_IMPORT[from].includes(toLayer)) continue;
      violations.push(`${file} (${from}) imports ${to} (${toLayer})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the engine does no I/O: no network module, no fetch, no files but the spool', () => {
  const violations: string[] = [];
  for (const file of sources('src').filter((f) => layerOf(f) === 'engine')) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const specifier of specifiers(text)) {
      if (!ENGINE_FORBIDDEN_MODULES.test(specifier)) continue;
      if (/^(node:)?fs(\/promises)?$/.test(specifier) && ENGINE_FILES_ALLOWED.has(file)) continue;
      violations.push(`${file} imports ${specifier}`);
    }
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    // A call of the global fetch (a method named fetch, as PkiFetcher's, is the injected network).
    if (/\bglobalThis\.fetch\b|(?:\bawait|\breturn|[=(,:?>])\s*fetch\s*\(/.test(code)) violations.push(`${file} calls fetch`);
  }
  assert.deepEqual(violations, []);
});

test('no import circle between modules of src/', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources('src')) graph.set(file, specifiers(readFileSync(join(REPO, file), 'utf8')).filter((s) => s.startsWith('.')).map((s) => target(file, s)));
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(circles, []);
});

test('bench/ imports no test helper', () => {
  const violations = sources('bench').flatMap((file) =>
    specifiers(readFileSync(join(REPO, file), 'utf8'))
      .filter((s) => s.startsWith('.') && target(file, s).startsWith('test/'))
      .map((s) => `${file} imports ${s}`),
  );
  assert.deepEqual(violations, []);
});

test('the engine needs only the required dependencies: everything else is optional, for an engine-only install', () => {
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
  const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
  const violations: string[] = [];
  for (const file of sources('src').filter((f) => layerOf(f) === 'engine')) {
    for (const specifier of specifiers(readFileSync(join(REPO, file), 'utf8'))) {
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      if (!Object.hasOwn(manifest.dependencies, packageOf(specifier))) violations.push(`${file} imports ${specifier}, which is not a required dependency`);
    }
  }
  assert.deepEqual(violations, []);
  // And every required dependency is one the engine uses (the rest belongs in optionalDependencies).
  const used = new Set(sources('src').filter((f) => layerOf(f) === 'engine').flatMap((f) => specifiers(readFileSync(join(REPO, f), 'utf8')).filter((s) => !s.startsWith('.') && !s.startsWith('node:')).map(packageOf)));
  const unusedByEngine = Object.keys(manifest.dependencies).filter((name) => !used.has(name) && !name.startsWith('@peculiar/asn1-'));
  assert.deepEqual(unusedByEngine, []);
});

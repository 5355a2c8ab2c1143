#!/usr/bin/env node
// Dependency-direction check for the workspace (plain Node, no dependencies).
//
// Reads every workspace package.json and every `@backprop/*` import in its src/,
// and fails with one line on the first problem found:
//   - an import of a workspace package that package.json does not declare: `dependencies`
//     for library code, `dependencies` or `devDependencies` for test code;
//   - a library that depends on an app or a tool;
//   - a library `dependencies` edge that DESIGN.md's direction does not allow (see ALLOWED);
//   - a cycle among workspace packages (devDependencies included).
// Test code is `*.test.*`, `*.spec.*` and anything in a `testing/` folder under src/; it
// may use other libraries through devDependencies (a diff test evaluating with
// backend-cpu, say), as long as no cycle results. Apps and tools may depend on any library.
// Run: node tools/scripts/check-deps.mjs
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const SCOPE = '@backprop/';

// Library -> the libraries it may depend on (DESIGN.md: graph <- diff <- nn <- trainer,
// graph <- backend <- backend-cpu <- backend-workers, graph <- onnx <- backend-ort (with
// backend); the trainer knows only the `backend` interface; onnx knows no backend; data
// depends on nothing internal). A library not listed here may depend on none.
const ALLOWED = {
  graph: [],
  diff: ['graph'],
  nn: ['graph', 'diff'],
  trainer: ['graph', 'diff', 'nn', 'backend', 'data'],
  backend: ['graph'],
  'backend-cpu': ['graph', 'backend'],
  'backend-workers': ['graph', 'backend', 'backend-cpu'],
  onnx: ['graph'],
  'backend-ort': ['graph', 'backend', 'onnx'],
  // the short path composes differentiation with a backend (the CPU one by default)
  fn: ['graph', 'diff', 'backend', 'backend-cpu'],
  data: [],
};

const fail = (message) => {
  console.error(`check-deps: ${message}`);
  process.exit(1);
};

const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const folders = rootPkg.workspaces.map((glob) => glob.replace(/\/\*$/, ''));

/** name -> { name, short, dir, kind, deps, devDeps } for every workspace package. */
const packages = new Map();
for (const folder of folders) {
  const base = join(root, folder);
  if (!existsSync(base)) continue;
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    const file = join(base, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const kind = folder === 'packages' ? 'lib' : folder === 'apps' ? 'app' : 'tool';
    const internal = (field) => Object.keys({ ...field }).filter((d) => d.startsWith(SCOPE));
    const deps = internal({ ...pkg.dependencies, ...pkg.peerDependencies });
    const devDeps = internal(pkg.devDependencies);
    packages.set(pkg.name, { name: pkg.name, short: pkg.name.slice(SCOPE.length), dir: join(base, entry.name), kind, deps, devDeps });
  }
}

/** Every .ts/.tsx/.mts/.cts/.js/.mjs file under dir, recursively. */
function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(m|c)?[jt]sx?$/.test(entry.name)) yield path;
  }
}

const SPECIFIER_CONTEXT = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*$/;

/**
 * The text without comments and with every string emptied but module specifiers, so that
 * TSDoc examples and strings that merely mention a package do not count as imports.
 */
function stripComments(text) {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && !(c !== '`' && text[j] === '\n')) j += text[j] === '\\' ? 2 : 1;
      // Keep a string only where it is a module specifier; blank the rest.
      out += SPECIFIER_CONTEXT.test(out) ? text.slice(i, j + 1) : `${c}${c}`;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// Static imports, re-exports, dynamic import() and require() of '@backprop/x' or '@backprop/x/sub'.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](@backprop\/[^/'"]+)(?:\/[^'"]*)?['"]/g;

const isTestCode = (file) => /\.(test|spec)\.[^/]+$/.test(file) || /(^|\/)testing\//.test(file);

const edges = new Map(); // name -> Set of names it depends on: declared (any kind) or imported
for (const pkg of packages.values()) {
  const out = new Set([...pkg.deps, ...pkg.devDeps]);
  const src = join(pkg.dir, 'src');
  for (const file of sourceFiles(src)) {
    const text = stripComments(readFileSync(file, 'utf8'));
    const test = isTestCode(relative(src, file).split('\\').join('/'));
    for (const [, target] of text.matchAll(IMPORT)) {
      const where = relative(root, file);
      if (target === pkg.name) fail(`${where} imports its own package ${target}; use a relative import`);
      if (!packages.has(target)) fail(`${where} imports ${target}, which is not a workspace package`);
      if (pkg.deps.includes(target)) continue;
      if (!test) {
        const hint = pkg.devDeps.includes(target) ? ' (only in devDependencies, which are for test code)' : '';
        fail(`${where} imports ${target}, which ${pkg.name}/package.json does not declare in dependencies${hint}`);
      }
      if (!pkg.devDeps.includes(target)) {
        fail(`${where} imports ${target}, which ${pkg.name}/package.json declares in neither dependencies nor devDependencies`);
      }
    }
  }
  edges.set(pkg.name, out);
}

for (const pkg of packages.values()) {
  if (pkg.kind !== 'lib') continue;
  for (const target of edges.get(pkg.name)) {
    const dep = packages.get(target);
    if (!dep) fail(`${pkg.name}/package.json depends on ${target}, which is not a workspace package`);
    if (dep.kind !== 'lib') fail(`library ${pkg.name} depends on ${dep.kind} ${target}; no library may depend on an app or a tool`);
    const allowed = ALLOWED[pkg.short] ?? [];
    if (pkg.deps.includes(target) && !allowed.includes(dep.short)) {
      fail(`${pkg.name} depends on ${target}, against DESIGN.md's direction (${pkg.short} may depend on: ${allowed.join(', ') || 'no workspace package'})`);
    }
  }
}

// Cycle check: depth-first search with colours.
const state = new Map(); // name -> 'open' | 'done'
const path = [];
const visit = (name) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'open') fail(`dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
  state.set(name, 'open');
  path.push(name);
  for (const next of edges.get(name) ?? []) visit(next);
  path.pop();
  state.set(name, 'done');
};
for (const name of [...edges.keys()].sort()) visit(name);

console.log(`check-deps: ${packages.size} workspace packages, dependency direction ok`);

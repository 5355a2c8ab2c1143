/**
 * Vitest settings shared by every project's `vitest.config.ts`.
 *
 * Workspace packages resolve to their TypeScript source through the
 * `@backprop/source` export condition, so tests never need a build first.
 * Each project also writes a JSON report to `test-results/<projectRoot>.json`,
 * which `tools/scripts/count-tests.mjs` sums into one `N passed, M failed` line.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const workspaceRoot = import.meta.dirname;

/** Resolve `@backprop/*` to source first, then Vite's usual conditions for Node. */
const conditions = ['@backprop/source', ...defaultServerConditions];

/** The Vitest config for the project whose folder is `projectRoot`. */
export function projectConfig(projectRoot: string): ViteUserConfig {
  const rel = relative(workspaceRoot, projectRoot);
  const { name } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    name: string;
  };
  return defineConfig({
    root: projectRoot,
    cacheDir: join(workspaceRoot, 'node_modules/.vite', rel),
    // The node environment resolves through `ssr.resolve`; `resolve` covers the others.
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      watch: false,
      globals: true,
      environment: 'node',
      include: ['src/**/*.test.ts'],
      passWithNoTests: true,
      // Nx runs several projects at once on a 2-core machine, where Vitest's 5 s
      // (10 s for hooks) defaults fail tests that are quick alone but share the
      // cores with others; a busy machine can be several times slower still.
      testTimeout: 60_000,
      hookTimeout: 120_000,
      reporters: ['default', 'json'],
      outputFile: { json: join(workspaceRoot, 'test-results', `${rel}.json`) },
    },
  });
}

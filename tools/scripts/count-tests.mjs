#!/usr/bin/env node
// Sums Vitest JSON reports (test-results/**/*.json, one per project, written by the
// `json` reporter set up in vitest.shared.ts) and prints one line: `N passed, M failed`.
// Exits 1 when a test failed or a report could not be read. Usage:
//   node tools/scripts/count-tests.mjs [dir]   (default: test-results)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';

function* reports(folder) {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* reports(path);
    else if (entry.name.endsWith('.json')) yield path;
  }
}

let passed = 0;
let failed = 0;
let broken = 0;
for (const file of reports(dir)) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    // A test file that failed without a failed test (syntax error, bad import) counts once.
    for (const result of report.testResults ?? []) {
      const failedTests = (result.assertionResults ?? []).filter((a) => a.status === 'failed');
      if (result.status === 'failed' && failedTests.length === 0) failed += 1;
    }
  } catch {
    console.error(`count-tests: cannot read ${file}`);
    broken += 1;
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken > 0 ? 1 : 0);

// The built `backprop` command, for the sections that run it as a user does.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** The command's launcher (apps/cli/bin), which runs the bundle. */
export const launcher = fileURLToPath(new URL('../../../apps/cli/bin/backprop.js', import.meta.url))

/** Bundles the command from the current sources, so that the launcher runs them. */
export const buildCli = (): void => {
  execFileSync(process.execPath, ['apps/cli/scripts/bundle.mjs'], { cwd: repoRoot, stdio: 'inherit' })
}

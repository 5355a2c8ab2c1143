// How long `backprop diff` takes from the shell, against Node starting and
// doing nothing (`node -e 0`) on the same machine in the same run: start-up
// is most of a small command, so the ratio is the figure that matters.
import { spawnSync } from 'node:child_process'
import { buildCli, launcher } from './cli.js'
import type { Job } from './timing.js'

/** What `backprop diff "x*x" --wrt x` must print; a run that prints anything else is an error. */
const expected = 'd/dx = 2*x\n'

const spawnJob = (args: readonly string[], check: (stdout: string) => boolean): Job => ({
  run: () => {
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' })
    if (result.status !== 0 || !check(result.stdout)) {
      throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`)
    }
  },
})

/**
 * The two commands to alternate: `node -e 0`, and the built command as a user
 * runs it (the launcher of apps/cli/bin), after bundling the current sources.
 */
export const startupJobs = (): { readonly 'node -e 0': () => Job; readonly 'backprop diff': () => Job } => {
  buildCli()
  return {
    'node -e 0': () => spawnJob(['-e', '0'], (out) => out === ''),
    'backprop diff': () => spawnJob([launcher, 'diff', 'x*x', '--wrt', 'x'], (out) => out === expected),
  }
}

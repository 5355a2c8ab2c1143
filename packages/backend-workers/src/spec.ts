import * as E from 'fp-ts/lib/Either.js'
import { MAX_WORKERS, type WorkersBackendOptions } from './backend.js'

/**
 * Reads a backend name of the form `workers` or `workers:N` (as the CLI's
 * `--backend` takes it) as {@link WorkersBackendOptions}: `workers` uses one
 * worker per core, `workers:N` N workers. Anything else is a `Left` with a
 * one-line message.
 *
 * @example
 * ```ts
 * parseWorkersSpec('workers:4') // Right({ workers: 4 })
 * parseWorkersSpec('workers')   // Right({})
 * parseWorkersSpec('workers:0') // Left("invalid worker count '0' in 'workers:0': expected an integer from 1 to 256")
 * pipe(parseWorkersSpec(name), E.map(workersBackend))
 * ```
 * @category Backend
 */
export const parseWorkersSpec = (spec: string): E.Either<string, WorkersBackendOptions> => {
  if (spec === 'workers') return E.right({})
  if (!spec.startsWith('workers:')) return E.left(`'${spec}' is not a workers backend (expected workers or workers:N)`)
  const count = spec.slice('workers:'.length)
  const n = Number(count)
  if (!/^[0-9]+$/.test(count) || n < 1 || n > MAX_WORKERS) {
    return E.left(`invalid worker count '${count}' in '${spec}': expected an integer from 1 to ${MAX_WORKERS}`)
  }
  return E.right({ workers: n })
}

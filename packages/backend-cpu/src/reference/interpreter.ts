import * as E from 'fp-ts/lib/Either.js'
import {
  type BackendError,
  checkFeeds,
  disposedError,
  type Feeds,
  type FeedSpec,
  type Tensor,
  type TensorData,
  type TensorSpec,
} from '@backprop/backend'
import { type CpuExecutable, intoError } from '../executable.js'
import type { Plan } from './plan.js'

/**
 * Runs `plan` once on already validated feeds: executes every step in order,
 * dropping each value after its last reader, and returns the outputs. An
 * output whose array the run does not own (a feed, a constant, or an array
 * already returned for an earlier output) is copied, so the caller owns every
 * returned array.
 *
 * @internal
 */
export const execute = (plan: Plan, specs: readonly TensorSpec[], feeds: Feeds): Tensor[] => {
  const { steps, operands, release, leaf, sizes } = plan
  const values: (TensorData | undefined)[] = new Array(steps.length)
  const shared = new Set<TensorData>()
  for (let position = 0; position < steps.length; position++) {
    const args = operands[position]!.map((s) => values[s]!)
    const data = steps[position]!(args, feeds)
    if (data.length !== sizes[position]) {
      throw new Error(`step ${position} returned ${data.length} values instead of ${sizes[position]}`)
    }
    values[position] = data
    if (leaf[position]) shared.add(data)
    for (const s of release[position]!) values[s] = undefined
  }
  return plan.outputs.map((s, i) => {
    let data = values[s]!
    if (shared.has(data)) data = data.slice()
    shared.add(data)
    return { shape: specs[i]!.shape, dtype: specs[i]!.dtype, data }
  })
}

/**
 * Wraps a reference plan (one allocating kernel per node, see
 * {@link makePlan}) as a {@link CpuExecutable}: what {@link evaluate} runs.
 *
 * @internal
 */
export const referenceExecutable = (
  plan: Plan,
  feedSpecs: readonly FeedSpec[],
  outputSpecs: readonly TensorSpec[],
  validate: boolean,
): CpuExecutable => {
  let disposed = false
  const runSync = (feeds: Feeds): E.Either<BackendError, Tensor[]> => {
    if (disposed) return E.left(disposedError('cpu'))
    if (validate) {
      const checked = checkFeeds(feedSpecs, feeds)
      if (E.isLeft(checked)) return checked
    }
    return E.right(execute(plan, outputSpecs, feeds))
  }
  const runInto = (feeds: Feeds, into: readonly TensorData[]): E.Either<BackendError, void> => {
    const wrong = intoError(outputSpecs, into)
    if (wrong !== undefined) return E.left(wrong)
    const ran = runSync(feeds)
    if (E.isLeft(ran)) return ran
    ran.right.forEach((t, i) => into[i]!.set(t.data))
    return E.right(undefined)
  }
  return {
    feeds: feedSpecs,
    outputs: outputSpecs,
    runSync,
    runInto,
    // async, so that even a broken invariant surfaces as a rejection, never a synchronous throw.
    run: async (feeds) => runSync(feeds),
    dispose: () => {
      disposed = true
      return Promise.resolve()
    },
  }
}

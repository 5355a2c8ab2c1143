import type { Tensor } from '@backprop/backend'
import * as E from 'fp-ts/lib/Either.js'
import { feedsFor } from './feeds.js'
import type { Optimizer } from './optimizer.js'
import { firstNonFinite, nonFiniteParam, type Params } from './params.js'
import type { Programs } from './programs.js'
import type { StepOutcome, Stepper } from './stepper.js'

/**
 * Steps that feed the parameters: each run returns the loss and the
 * gradients, which are checked before the optimiser's `step` makes the new
 * parameters, which are checked in turn. Works on every backend.
 *
 * @internal
 */
export const fedStepper = (
  progs: Programs,
  optimizer: Optimizer,
  backendName: string,
  initial: Params,
  clock: () => number,
  stopped: () => boolean,
): Stepper => {
  let params = initial
  let state = optimizer.init(params)
  let done = 0
  const failed = (message: string, step: number | null): StepOutcome => ({ type: 'failed', message, step, kept: { params, step: done } })
  return {
    step: async (batch, info) => {
      const program = progs.training(batch.size)
      if (E.isLeft(program)) return failed(program.left.message, null)
      const started = clock()
      const result = await program.right.exec.run(feedsFor(program.right, batch, params))
      if (stopped()) return { type: 'stopped' }
      if (E.isLeft(result)) return failed(`the ${backendName} backend failed: ${result.left.message}`, info.step)
      const [lossTensor, ...gradTensors] = result.right
      const loss = lossTensor!.data[0]!
      if (!Number.isFinite(loss)) return failed(`the loss is ${loss}`, info.step)
      const grads: Record<string, Tensor> = {}
      for (const [k, name] of progs.paramNames.entries()) {
        const g = gradTensors[k]!
        const bad = firstNonFinite(g.data)
        if (bad !== undefined) return failed(`the gradient of '${name}' is ${g.data[bad]} at element ${bad}`, info.step)
        grads[name] = g
      }
      const next = optimizer.step(state, params, grads, info)
      const broken = nonFiniteParam(next.params)
      if (broken !== undefined) return failed(`the update made '${broken}' non-finite (is the learning rate too large?)`, info.step)
      params = next.params
      state = next.state
      done = info.step
      const metrics = result.right.slice(program.right.metricsAt).map((m) => m.data[0]!)
      const stats = result.right.slice(1 + progs.paramNames.length, program.right.metricsAt)
      return { type: 'ok', loss, metrics, ms: clock() - started, stats }
    },
    endEpoch: () => E.right(params),
    kept: () => ({ params, step: done }),
  }
}

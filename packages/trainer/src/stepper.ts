import type { Tensor } from '@backprop/backend'
import type { Batch, BatchArray } from '@backprop/data'
import type * as E from 'fp-ts/lib/Either.js'
import type { StepInfo } from './optimizer.js'
import type { Params } from './params.js'

/**
 * The parameters a run keeps when it fails: the last good ones, and the
 * step after which they were current (0 for the initial parameters).
 *
 * @internal
 */
export interface Kept {
  readonly params: Params
  readonly step: number
  /** Set when they are older than the last completed step: why. */
  readonly note?: string
}

/**
 * What one training step came to: accepted (with the batch's loss before
 * the update, the milliseconds of work it took and the step's per-layer
 * statistics outputs, empty unless asked for), failed (the step and
 * its parameters not accepted), or cut short by unsubscribing.
 *
 * @internal
 */
export type StepOutcome =
  | { readonly type: 'ok'; readonly loss: number; readonly metrics: readonly number[]; readonly ms: number; readonly stats: readonly Tensor[] }
  | { readonly type: 'failed'; readonly message: string; readonly step: number | null; readonly kept: Kept }
  | { readonly type: 'stopped' }

/**
 * How a run takes its steps: feeding the parameters and applying the
 * optimiser's `step` to the returned gradients, or letting a backend that
 * holds the parameters update them in place.
 *
 * @internal
 */
export interface Stepper {
  /** Takes step `info.step` on `batch`, or says why not. */
  step(batch: Batch<BatchArray>, info: StepInfo): Promise<StepOutcome>
  /**
   * The parameters after the last accepted step, as a set of its own, at
   * the end of an epoch (for its event, the evaluation and the checkpoint).
   */
  endEpoch(): E.Either<string, Params>
  /** The parameters to keep should the run fail now, between steps. */
  kept(): Kept
}

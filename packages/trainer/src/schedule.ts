/**
 * A learning-rate schedule: the rate to use at a given step and epoch. `step`
 * counts optimiser steps from 1 over the whole run; `epoch` counts epochs
 * from 1. Schedules are pure functions, so a run stays reproducible.
 *
 * @category Schedules
 */
export type Schedule = (step: number, epoch: number) => number

/**
 * A learning rate: a constant or a {@link Schedule}.
 *
 * @category Schedules
 */
export type LearningRate = number | Schedule

/**
 * The rate a {@link LearningRate} gives at `step` and `epoch`.
 *
 * @category Schedules
 */
export const rateAt = (lr: LearningRate, step: number, epoch: number): number =>
  typeof lr === 'number' ? lr : lr(step, epoch)

/**
 * The same rate at every step.
 *
 * @example
 * ```ts
 * sgd({ lr: constant(0.1) }) // same as sgd({ lr: 0.1 })
 * ```
 * @category Schedules
 */
export const constant =
  (lr: number): Schedule =>
  () =>
    lr

/**
 * Step decay: `lr * factor^floor((epoch - 1) / every)`, so the rate is `lr`
 * for the first `every` epochs and is multiplied by `factor` after each
 * further `every` epochs.
 *
 * @example
 * ```ts
 * stepDecay({ lr: 0.1, factor: 0.5, every: 10 }) // 0.1 in epochs 1-10, 0.05 in 11-20, ...
 * ```
 * @category Schedules
 */
export const stepDecay =
  (options: { readonly lr: number; readonly factor: number; readonly every: number }): Schedule =>
  (_step, epoch) =>
    options.lr * Math.pow(options.factor, Math.floor((epoch - 1) / Math.max(1, options.every)))

/**
 * Cosine annealing from `lr` at step 1 down to `min` (default 0) at step
 * `steps`, staying at `min` afterwards:
 * `min + (lr - min) * (1 + cos(pi * (step - 1) / (steps - 1))) / 2`.
 *
 * @example
 * ```ts
 * cosine({ lr: 0.1, steps: 1000 }) // 0.1 at step 1, 0.05 at step 500.5, 0 from step 1000
 * ```
 * @category Schedules
 */
export const cosine =
  (options: { readonly lr: number; readonly steps: number; readonly min?: number }): Schedule =>
  (step) => {
    const min = options.min ?? 0
    const span = Math.max(1, options.steps - 1)
    const progress = Math.min(1, Math.max(0, (step - 1) / span))
    return min + ((options.lr - min) * (1 + Math.cos(Math.PI * progress))) / 2
  }

import { existsSync } from 'node:fs'
import type { FieldErrors, RunSettings, SampleImage } from '@backprop/dashboard'
import { loadMnist, MNIST_SIDE, type Split } from '@backprop/data'
import * as E from 'fp-ts/lib/Either.js'

/** The shape of the data sets the dashboard knows without loading them: features in, classes out. */
const knownShapes: Readonly<Record<string, { readonly features: number; readonly classes: number }>> = {
  mnist: { features: 28 * 28, classes: 10 },
  iris: { features: 4, classes: 3 },
}

/**
 * Checks the page's settings against their data set as the user types:
 * an unknown data set, or layer sizes that do not start with its features
 * and end with its classes, are errors of those fields, with sizes that
 * would fit (CSV files are checked when the run starts, when they are read).
 */
export const checkAgainstData = (settings: RunSettings): FieldErrors => {
  const shape = knownShapes[settings.dataset]
  if (shape === undefined) {
    return existsSync(settings.dataset) ? {} : { dataset: `'${settings.dataset}' is not mnist, iris or an existing CSV file` }
  }
  const { layers } = settings
  const { features, classes } = shape
  return layers[0] === features && layers[layers.length - 1] === classes
    ? {}
    : {
        layers:
          `${settings.dataset} has ${features} features and ${classes} classes: start with ${features} and end with ${classes}, ` +
          `e.g. ${features},${layers.length > 2 ? layers.slice(1, -1).join(',') : features === 4 ? '8' : '128'},${classes}`,
      }
}

/** The last MNIST split loaded for images, by the settings that decide it: runs of one series share it. */
let loaded: { readonly key: string; readonly split: Split } | undefined

/**
 * The test digits of an MNIST run as grey-level images (the split that run
 * tested on: the same sizes and seed give the same digits), or why there
 * are none.
 */
export const mnistImages = async (
  settings: Readonly<Record<string, unknown>>,
  samples: readonly number[],
): Promise<E.Either<string, readonly SampleImage[]>> => {
  if (settings['dataset'] !== 'mnist') return E.left(`${String(settings['dataset'])} has no images`)
  const size = (name: string) => (typeof settings[name] === 'number' ? (settings[name] as number) : undefined)
  const options = { trainSize: size('trainSize'), testSize: size('testSize'), seed: size('seed') }
  const key = JSON.stringify(options)
  if (loaded?.key !== key) {
    const split = loadMnist(options)
    if (E.isLeft(split)) return E.left(split.left.message)
    loaded = { key, split: split.right }
  }
  const { test } = loaded.split
  const pixels = MNIST_SIDE * MNIST_SIDE
  const outside = samples.find((i) => i >= test.size)
  if (outside !== undefined) return E.left(`the test set has ${test.size} samples, not ${outside + 1}`)
  return E.right(
    samples.map((sample) => ({
      sample,
      width: MNIST_SIDE,
      height: MNIST_SIDE,
      pixels: Array.from(test.x.subarray(sample * pixels, (sample + 1) * pixels), (v) => Math.round(255 * v)),
    })),
  )
}

import { readFileSync } from 'node:fs'
import { type FeedForwardSpec, validateFeedForward } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'

/**
 * Reads the general network of `train --net FILE.json`: the format of the
 * reference kind `feedforward-networks` (inputs, units, outputs, loss; other
 * fields ignored, weights optional). A Left is one line naming the file and,
 * for a wrong network, the unit.
 */
export const readNetFile = (path: string): E.Either<string, FeedForwardSpec> => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    return E.left(`cannot read --net file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return E.left(`--net file ${path} is not valid JSON: ${(e as Error).message}`)
  }
  return E.mapLeft((e: { message: string }) => `${path}: ${e.message}`)(validateFeedForward(json))
}

/** Checks that a general network fits a data set's features and targets. */
export const netFitsData = (
  path: string,
  spec: FeedForwardSpec,
  data: { readonly features: number; readonly targets: number },
): E.Either<string, FeedForwardSpec> =>
  spec.inputs !== data.features
    ? E.left(`${path}: the network has ${spec.inputs} inputs but the data set has ${data.features} features`)
    : spec.outputs.length !== data.targets
      ? E.left(`${path}: the network has ${spec.outputs.length} outputs (units ${spec.outputs.join(', ')}) but the data set has ${data.targets} targets`)
      : E.right(spec)

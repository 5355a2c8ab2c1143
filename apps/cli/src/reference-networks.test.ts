import { fromNested, type Tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { type Activation, type Loss, layered, nameParams, networkGradients } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { close, loadReference, type NetworkCase } from './testing/reference.js'

const files = loadReference().flatMap((f) => (f.kind === 'layered-networks' ? [f] : []))

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Every figure of a case (loss, outputs, weight gradients) that is off by more than the contract's tolerance. */
const mismatches = (c: NetworkCase): string[] => {
  const network = right(
    layered({
      sizes: c.sizes,
      activations: c.activations as Activation[],
      loss: c.loss as Loss,
      reduction: 'sum',
      batch: c.x.length,
      dtype: 'f64',
    }),
  )
  const { graph, gradients } = right(networkGradients(network))
  const feeds: Record<string, Tensor> = {
    x: right(fromNested(c.x)),
    t: right(fromNested(c.t)),
    ...Object.fromEntries(Object.entries(nameParams(c.weights)).map(([k, v]) => [k, right(fromNested(v))])),
  }
  const outputs = [network.loss, network.outputs, ...gradients.flatMap(({ W, b }) => [W, b])]
  const [loss, y, ...grads] = pipe(evaluate(graph, outputs, feeds), right)
  const expected = [
    [c.expected.loss],
    c.expected.outputs.flat(),
    ...c.expected.gradients.flatMap(({ W, b }) => [W.flat(), b]),
  ]
  const names = ['loss', 'outputs', ...c.expected.gradients.flatMap((_, l) => [`dE/dW${l + 1}`, `dE/db${l + 1}`])]
  return [loss!, y!, ...grads].flatMap((t, k) =>
    expected[k]!.length !== t.data.length
      ? [`${names[k]}: ${t.data.length} values, expected ${expected[k]!.length}`]
      : expected[k]!.flatMap((e, i) => (close(t.data[i]!, e) ? [] : [`${names[k]}[${i}]: got ${t.data[i]}, expected ${e}`])),
  )
}

describe.each(files)('reference $file', ({ cases }) => {
  it.each(cases.map((c) => [c.id, c] as const))('%s: loss, outputs and weight gradients', (_id, c) => {
    expect(mismatches(c)).toEqual([])
  })
})

import * as E from 'fp-ts/lib/Either.js'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import type { Backend, Feeds } from '../backend.js'
import type { BackendError } from '../errors.js'
import { tensor } from '../tensor.js'
import { withExecutable } from './harness.js'

/** y = x * w + b with x an f32 input [2,3], w a param [3], b a param [] and an unused input t. */
const network = () =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [2, 3], 'f32')
    const w = b.param('w', [3], 'f32')
    const bias = b.param('b', [], 'f32')
    const t = b.input('t', [2], 'f32')
    return { y: b.add(b.mul(x, w), bias), t }
  })

const good: Feeds = {
  x: tensor([1, 2, 3, 4, 5, 6], [2, 3], 'f32'),
  w: tensor([1, 0, -1], [3], 'f32'),
  b: tensor([0.5], [], 'f32'),
}

/** The error a run on `feeds` resolves to (the test fails if the run succeeds). */
const runError = async (backend: Backend, feeds: Feeds): Promise<BackendError> => {
  const { graph, result } = network()
  return withExecutable(backend, graph, [result.y], async (exe) => {
    const out = await exe.run(feeds)
    if (E.isRight(out)) throw new Error('expected the run to fail')
    return out.left
  })
}

/**
 * Compile-time and run-time validation: unknown outputs, ambiguous names,
 * and feeds that are missing, misshapen, of the wrong dtype or unknown. The
 * messages are the shared ones of `checkFeeds`.
 *
 * @internal
 */
export const describeValidation = (make: () => Backend): void => {
  describe('validation', () => {
    it('lists every input and param as a feed, marking those the outputs need', async () => {
      const { graph, result } = network()
      await withExecutable(make(), graph, [result.y], async (exe) => {
        expect(exe.feeds.map((f) => [f.name, f.kind, [...f.shape], f.dtype, f.required])).toEqual([
          ['x', 'input', [2, 3], 'f32', true],
          ['w', 'param', [3], 'f32', true],
          ['b', 'param', [], 'f32', true],
          ['t', 'input', [2], 'f32', false],
        ])
        expect(exe.outputs.map((o) => [[...o.shape], o.dtype])).toEqual([[[2, 3], 'f32']])
      })
    })

    it('reports a missing feed with its kind, shape and dtype', async () => {
      const { x: _x, ...rest } = good
      const error = await runError(make(), rest)
      expect(error._tag).toBe('MissingFeed')
      expect(error.message).toBe("missing feed 'x' (input [2,3] f32)")
    })

    it('reports a feed of the wrong shape', async () => {
      const error = await runError(make(), { ...good, w: tensor([1, 2], [2], 'f32') })
      expect(error._tag).toBe('FeedShape')
      expect(error.message).toBe("feed 'w' has shape [2] but the graph expects [3]")
    })

    it('reports a feed whose data does not fill its shape', async () => {
      const error = await runError(make(), { ...good, w: { shape: [3], dtype: 'f32', data: new Float32Array(2) } })
      expect(error._tag).toBe('FeedShape')
      expect(error.message).toContain("feed 'w'")
    })

    it('reports a feed of the wrong dtype', async () => {
      const error = await runError(make(), { ...good, b: tensor([0.5], [], 'f64') })
      expect(error._tag).toBe('FeedDType')
      expect(error.message).toBe("feed 'b' has dtype f64 but the graph expects f32")
    })

    it('reports a feed whose data is not the array class of its dtype', async () => {
      const error = await runError(make(), { ...good, b: { shape: [], dtype: 'f32', data: new Float64Array(1) } })
      expect(error._tag).toBe('FeedDType')
      expect(error.message).toContain('Float64Array')
    })

    it('reports an unknown feed name, listing the known ones', async () => {
      const error = await runError(make(), { ...good, bais: tensor([0.5], [], 'f32') })
      expect(error._tag).toBe('UnknownFeed')
      expect(error.message).toBe("unknown feed 'bais': the graph's feeds are x, w, b, t")
    })

    it('accepts a feed the outputs do not need, and does not require it', async () => {
      const { graph, result } = network()
      await withExecutable(make(), graph, [result.y], async (exe) => {
        expect(E.isRight(await exe.run(good))).toBe(true)
        expect(E.isRight(await exe.run({ ...good, t: tensor([1, 2], [2], 'f32') }))).toBe(true)
        const bad = await exe.run({ ...good, t: tensor([1, 2, 3], [3], 'f32') })
        expect(E.isLeft(bad) && bad.left._tag).toBe('FeedShape')
      })
    })

    it('requires a feed that is itself an output', async () => {
      const { graph, result } = network()
      await withExecutable(make(), graph, [result.t], async (exe) => {
        expect(exe.feeds.find((f) => f.name === 't')?.required).toBe(true)
        const out = await exe.run({})
        expect(E.isLeft(out) && out.left._tag).toBe('MissingFeed')
      })
    })

    it('rejects outputs that are not node ids of the graph at compile time', () => {
      const { graph } = network()
      for (const bad of [graph.nodes.length, -1, 1.5]) {
        const compiled = make().compile(graph, [0, bad])
        expect(E.isLeft(compiled) && compiled.left._tag, `output ${bad}`).toBe('UnknownOutput')
      }
    })

    it('rejects a graph where an input and a param share a name', () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => b.add(b.input('v', [2]), b.param('v', [2])))
      const compiled = make().compile(graph, [result])
      expect(E.isLeft(compiled) && compiled.left._tag).toBe('FeedConflict')
    })
  })
}

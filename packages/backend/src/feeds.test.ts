import * as E from 'fp-ts/lib/Either.js'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import type { FeedSpec } from './backend.js'
import { checkFeeds, checkOutputs, feedSpecs, outputSpecs } from './feeds.js'
import { tensor } from './tensor.js'

const specs: FeedSpec[] = [
  { name: 'x', kind: 'input', shape: [64, 784], dtype: 'f32', required: true },
  { name: 'W', kind: 'param', shape: [784, 10], dtype: 'f32', required: true },
  { name: 't', kind: 'input', shape: [64], dtype: 'f32', required: false },
]
const feeds = {
  x: tensor(new Float32Array(64 * 784), [64, 784], 'f32'),
  W: tensor(new Float32Array(7840), [784, 10], 'f32'),
}

const error = (result: E.Either<{ readonly message: string; readonly _tag: string }, void>) =>
  E.isLeft(result) ? [result.left._tag, result.left.message] : 'ok'

describe('checkFeeds', () => {
  it('accepts feeds that match, with or without the feeds that are not required', () => {
    expect(error(checkFeeds(specs, feeds))).toBe('ok')
    expect(error(checkFeeds(specs, { ...feeds, t: tensor(new Float32Array(64), [64], 'f32') }))).toBe('ok')
  })

  it('names a missing feed with its kind, shape and dtype', () => {
    expect(error(checkFeeds(specs, { W: feeds.W }))).toEqual(['MissingFeed', "missing feed 'x' (input [64,784] f32)"])
  })

  it('reports a wrong shape, a wrong dtype and a wrong data length', () => {
    expect(error(checkFeeds(specs, { ...feeds, W: tensor([1, 2, 3], [3], 'f32') }))).toEqual([
      'FeedShape',
      "feed 'W' has shape [3] but the graph expects [784,10]",
    ])
    expect(error(checkFeeds(specs, { ...feeds, x: tensor(new Float64Array(64 * 784), [64, 784], 'f64') }))).toEqual([
      'FeedDType',
      "feed 'x' has dtype f64 but the graph expects f32",
    ])
    expect(error(checkFeeds(specs, { ...feeds, W: { shape: [784, 10], dtype: 'f32', data: new Float32Array(3) } }))).toEqual([
      'FeedShape',
      "feed 'W' has 3 values but its shape [784,10] needs 7840",
    ])
    expect(error(checkFeeds(specs, { ...feeds, W: { shape: [784, 10], dtype: 'f32', data: new Float64Array(7840) } }))).toEqual([
      'FeedDType',
      "feed 'W' says dtype f32 but holds a Float64Array; f32 needs a Float32Array",
    ])
  })

  it('checks a feed that is given even when it is not required', () => {
    expect(error(checkFeeds(specs, { ...feeds, t: tensor([1], [1], 'f32') }))[0]).toBe('FeedShape')
  })

  it('reports an unknown name before anything else, listing the known names', () => {
    expect(error(checkFeeds(specs, { X: feeds.x, W: feeds.W }))).toEqual([
      'UnknownFeed',
      "unknown feed 'X': the graph's feeds are x, W, t",
    ])
    expect(error(checkFeeds([], { x: feeds.x }))).toEqual(['UnknownFeed', "unknown feed 'x': the graph has no inputs or params"])
  })

  it('does not take inherited properties for feeds', () => {
    const spec: FeedSpec = { name: 'constructor', kind: 'input', shape: [], dtype: 'f64', required: true }
    expect(error(checkFeeds([spec], {}))[0]).toBe('MissingFeed')
  })
})

describe('feedSpecs, outputSpecs and checkOutputs', () => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [2])
    const w = b.param('w', [2])
    const unused = b.input('u', [3], 'f32')
    return { y: b.mul(x, w), unused, x }
  })

  it('lists inputs and params in id order, requiring those the outputs depend on', () => {
    expect(feedSpecs(graph, [result.y])).toEqual(
      E.right([
        { name: 'x', kind: 'input', shape: [2], dtype: 'f64', required: true },
        { name: 'w', kind: 'param', shape: [2], dtype: 'f64', required: true },
        { name: 'u', kind: 'input', shape: [3], dtype: 'f32', required: false },
      ]),
    )
    const onlyX = feedSpecs(graph, [result.x])
    expect(E.isRight(onlyX) && onlyX.right.map((s) => s.required)).toEqual([true, false, false])
  })

  it('rejects an input and a param of the same name', () => {
    const clash = buildOrThrow(emptyGraph, (b) => b.add(b.input('v'), b.param('v')))
    expect(feedSpecs(clash.graph, [clash.result])).toEqual(
      E.left({
        _tag: 'FeedConflict',
        name: 'v',
        message: "'v' names both an input and a param of the graph; feeds are addressed by name, so rename one",
      }),
    )
  })

  it('describes outputs and rejects ids outside the graph', () => {
    expect(outputSpecs(graph, [result.y, result.unused])).toEqual([
      { shape: [2], dtype: 'f64' },
      { shape: [3], dtype: 'f32' },
    ])
    expect(E.isRight(checkOutputs(graph, [0, graph.nodes.length - 1]))).toBe(true)
    expect(checkOutputs(graph, [0, 9])).toEqual(
      E.left({ _tag: 'UnknownOutput', output: 9, message: 'output #9 is not a node of the graph (its ids are 0..3)' }),
    )
    expect(E.isLeft(checkOutputs(graph, [-1]))).toBe(true)
    expect(E.isLeft(checkOutputs(graph, [0.5]))).toBe(true)
  })
})

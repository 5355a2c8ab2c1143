import * as E from 'fp-ts/lib/Either.js'
import { ancestors, type Graph, type NodeId, paramsOf, sameShape, showShape, sizeOf } from '@backprop/graph'
import type { Feeds, FeedSpec, TensorSpec } from './backend.js'
import type { ParamUpdate } from './state.js'
import {
  type BackendError,
  feedConflict,
  feedDTypeError,
  feedLengthError,
  feedShapeError,
  missingFeed,
  unknownFeed,
  unknownOutput,
} from './errors.js'
import { isDataOf } from './tensor.js'

/**
 * Checks that every requested output is a node of `graph`: an integer id in
 * range. Backends call it first in `compile`.
 *
 * @category Validation
 */
export const checkOutputs = (graph: Graph, outputs: readonly NodeId[]): E.Either<BackendError, void> => {
  const bad = outputs.find((id) => !Number.isInteger(id) || id < 0 || id >= graph.nodes.length)
  return bad === undefined ? E.right(undefined) : E.left(unknownOutput(bad, graph.nodes.length))
}

/**
 * The feed list of an executable computing `outputs` of `graph`: every
 * `input` and `param` node in id order, `required` when an output depends on
 * it. Fails with `FeedConflict` when an input and a param share a name.
 * Expects `outputs` to have passed {@link checkOutputs}.
 *
 * @category Validation
 */
export const feedSpecs = (graph: Graph, outputs: readonly NodeId[]): E.Either<BackendError, FeedSpec[]> => {
  const needed = new Set(ancestors(graph, outputs))
  const specs: FeedSpec[] = []
  const seen = new Set<string>()
  for (let id = 0; id < graph.nodes.length; id++) {
    const node = graph.nodes[id]!
    if (node.op !== 'input' && node.op !== 'param') continue
    const name = node.attrs.name!
    if (seen.has(name)) return E.left(feedConflict(name))
    seen.add(name)
    specs.push({ name, kind: node.op, shape: node.shape, dtype: node.dtype, required: needed.has(id) })
  }
  return E.right(specs)
}

/**
 * Shape and dtype of each of `outputs`, in order.
 *
 * @category Validation
 */
export const outputSpecs = (graph: Graph, outputs: readonly NodeId[]): TensorSpec[] =>
  outputs.map((id) => ({ shape: graph.nodes[id]!.shape, dtype: graph.nodes[id]!.dtype }))

/**
 * Validates `feeds` against an executable's feed list, the same way for
 * every backend. In order: a name the graph doesn't have is `UnknownFeed`
 * (listing the known names: it is most likely a typo, and reporting it
 * before the feed it was meant to be reads better); then, per feed in list
 * order, a required feed that is absent is `MissingFeed`, a wrong dtype (or
 * data of the wrong array class) is `FeedDType`, and a wrong shape (or data
 * of the wrong length) is `FeedShape`. Feeds that are given but not required
 * are checked too. Only the first problem is reported.
 *
 * @example
 * ```ts
 * checkFeeds(executable.feeds, { x: tensor([1, 2, 3], [3]) })
 * // Left: feed 'x' has shape [3] but the graph expects [2]
 * ```
 * @category Validation
 */
export const checkFeeds = (specs: readonly FeedSpec[], feeds: Feeds): E.Either<BackendError, void> => {
  const known = new Set(specs.map((s) => s.name))
  for (const name of Object.keys(feeds)) {
    if (!known.has(name)) return E.left(unknownFeed(name, specs.map((s) => s.name)))
  }
  for (const spec of specs) {
    const feed = Object.hasOwn(feeds, spec.name) ? feeds[spec.name] : undefined
    if (feed === undefined) {
      if (spec.required) return E.left(missingFeed(spec))
      continue
    }
    if (feed.dtype !== spec.dtype) return E.left(feedDTypeError(spec.name, feed.dtype, spec.dtype))
    if (!isDataOf(feed.data, feed.dtype)) {
      return E.left(feedDTypeError(spec.name, feed.dtype, spec.dtype, feed.data?.constructor?.name ?? typeof feed.data))
    }
    if (!sameShape(feed.shape, spec.shape)) return E.left(feedShapeError(spec.name, feed.shape, spec.shape))
    if (feed.data.length !== sizeOf(feed.shape)) {
      return E.left(feedLengthError(spec.name, feed.data.length, feed.shape, spec.shape))
    }
  }
  return E.right(undefined)
}

const updateError = (message: string, name: string): BackendError => ({ _tag: 'FeedConflict', name, message })

/**
 * Checks in-place updates (see
 * {@link @backprop/backend!CompileOptions.updates | CompileOptions.updates})
 * against `graph`: each names a param of the graph, at most once, and its
 * value is a node of the graph with the param's shape and dtype. Returns
 * them as pairs of node ids, for a backend that holds parameters.
 *
 * @category State
 */
export const checkUpdates = (
  graph: Graph,
  updates: readonly ParamUpdate[],
): E.Either<BackendError, { param: NodeId; value: NodeId }[]> => {
  const params = paramsOf(graph)
  const out: { param: NodeId; value: NodeId }[] = []
  const seen = new Set<string>()
  for (const u of updates) {
    const param = params.get(u.param)
    if (param === undefined) {
      return E.left({
        _tag: 'UnknownFeed',
        name: u.param,
        known: [...params.keys()],
        message: `cannot update '${u.param}': it is not a param of the graph (its params are ${[...params.keys()].join(', ') || 'none'})`,
      })
    }
    if (seen.has(u.param)) return E.left(updateError(`param '${u.param}' is updated twice; give one update per param`, u.param))
    seen.add(u.param)
    const bad = checkOutputs(graph, [u.value])
    if (E.isLeft(bad)) return bad
    const p = graph.nodes[param]!
    const v = graph.nodes[u.value]!
    if (v.dtype !== p.dtype) {
      return E.left({
        _tag: 'FeedDType',
        name: u.param,
        expected: p.dtype,
        actual: v.dtype,
        message: `the update of '${u.param}' has dtype ${v.dtype} but the param is ${p.dtype}`,
      })
    }
    if (!sameShape(v.shape, p.shape)) {
      return E.left({
        _tag: 'FeedShape',
        name: u.param,
        expected: p.shape,
        actual: v.shape,
        message: `the update of '${u.param}' has shape ${showShape(v.shape)} but the param is ${showShape(p.shape)}`,
      })
    }
    out.push({ param, value: u.value })
  }
  return E.right(out)
}

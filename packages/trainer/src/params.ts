import type { Tensor, TensorData } from '@backprop/backend'
import { type DType, type Graph, paramsOf, type Shape, sameShape, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { paramsError, type TrainError } from './errors.js'

/**
 * The trainable parameters of a model by name: one tensor per `param` node of
 * its graph. Parameter sets are values: the trainer returns new sets with
 * new arrays and never writes into one it was given.
 *
 * @category Parameters
 */
export type Params = Readonly<Record<string, Tensor>>

/**
 * What a parameter must look like: its shape and dtype.
 *
 * @category Parameters
 */
export interface ParamSpec {
  /** The parameter's shape. */
  readonly shape: Shape
  /** The parameter's dtype. */
  readonly dtype: DType
}

/**
 * The shape and dtype of every `param` node of a graph, by name, in graph order.
 *
 * @category Parameters
 */
export const paramSpecs = (graph: Graph): ReadonlyMap<string, ParamSpec> => {
  const out = new Map<string, ParamSpec>()
  for (const [name, id] of paramsOf(graph)) {
    const node = graph.nodes[id]!
    out.set(name, { shape: node.shape, dtype: node.dtype })
  }
  return out
}

/** A zero-filled array of the class `dtype` calls for. @internal */
export const zerosOf = (dtype: DType, size: number): TensorData =>
  dtype === 'f32' ? new Float32Array(size) : new Float64Array(size)

/**
 * Checks that `params` holds exactly the parameters in `specs`, each with the
 * right shape, dtype, array class and length, and only finite numbers.
 * Returns the same set on success.
 *
 * @category Parameters
 */
export const checkParams = (
  specs: ReadonlyMap<string, ParamSpec>,
  params: Params,
): E.Either<TrainError, Params> => {
  for (const [name, spec] of specs) {
    const p = params[name]
    if (p === undefined) {
      return E.left(paramsError(name, `parameter '${name}' (${showShape(spec.shape)} ${spec.dtype}) has no value`))
    }
    if (!sameShape(p.shape, spec.shape)) {
      return E.left(
        paramsError(name, `parameter '${name}' has shape ${showShape(p.shape)} but the model expects ${showShape(spec.shape)}`),
      )
    }
    if (p.dtype !== spec.dtype || !(p.dtype === 'f32' ? p.data instanceof Float32Array : p.data instanceof Float64Array)) {
      return E.left(paramsError(name, `parameter '${name}' has dtype ${p.dtype} but the model expects ${spec.dtype}`))
    }
    if (p.data.length !== sizeOf(spec.shape)) {
      return E.left(
        paramsError(name, `parameter '${name}' holds ${p.data.length} values but shape ${showShape(spec.shape)} needs ${sizeOf(spec.shape)}`),
      )
    }
    const bad = firstNonFinite(p.data)
    if (bad !== undefined) {
      return E.left(paramsError(name, `parameter '${name}' element ${bad} is ${p.data[bad]}`))
    }
  }
  const extra = Object.keys(params).find((name) => !specs.has(name))
  if (extra !== undefined) {
    return E.left(
      paramsError(extra, `parameter '${extra}' is not a parameter of the model (it has ${[...specs.keys()].join(', ')})`),
    )
  }
  return E.right(params)
}

/**
 * The index of the first element that is NaN or infinite, or `undefined` when
 * all are finite.
 *
 * @category Parameters
 */
export const firstNonFinite = (data: ArrayLike<number>): number | undefined => {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    // v - v is 0 for every finite v and NaN for NaN and both infinities.
    if (v - v !== 0) return i
  }
  return undefined
}

/**
 * The name of the first parameter (in key order) holding a NaN or an
 * infinity, or `undefined` when every value is finite.
 *
 * @category Parameters
 */
export const nonFiniteParam = (params: Params): string | undefined =>
  Object.keys(params).find((name) => firstNonFinite(params[name]!.data) !== undefined)

/**
 * A deep copy of a parameter set: same names, shapes and dtypes, new arrays.
 *
 * @category Parameters
 */
export const cloneParams = (params: Params): Params =>
  Object.fromEntries(
    Object.entries(params).map(([name, p]) => [name, { shape: [...p.shape], dtype: p.dtype, data: p.data.slice() }]),
  )

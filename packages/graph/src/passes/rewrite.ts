import type { Builder } from '../builder.js'
import { buildOrThrow } from '../builder.js'
import { emptyGraph, type Attrs, type Graph, type Node, type NodeId } from '../graph.js'
import type { BinaryOp, OpName, UnaryOp } from '../ops.js'
import { broadcastShapes, type DType, type Shape, sameShape, sizeOf } from '../shape.js'
import { makePass, type Pass, type Rooted } from './pass.js'
import { pruneGraph } from './prune.js'
import { splatOf } from './tensor.js'

/**
 * One local rewrite rule: given node `id` (whose operands are already
 * rewritten), return the id of an equivalent node built with `b`, or
 * `undefined` when the rule does not apply. Nodes a rule builds through `b`
 * are themselves rewritten before the rule sees their ids, so a rule may
 * build a plain `b.mul(a, c)` and get back its simplest form.
 *
 * A rule should keep the node's shape and dtype; one that returns a value of
 * a smaller shape that broadcasts to the node's (such as a scalar `0` for
 * `x * 0`) is broadcast back by the driver, and one that changes the dtype
 * or an incompatible shape is ignored.
 *
 * @example
 * ```ts
 * // x * 1 -> x
 * const mulOne: Rewrite = (b, _id, n) =>
 *   n.op === 'mul' && constantValue(b, n.inputs[1]!) === 1 ? n.inputs[0] : undefined
 * ```
 * @category Rewrites
 */
export type Rewrite = (b: Builder, id: NodeId, node: Node) => NodeId | undefined

/**
 * Options of a rewrite sweep.
 *
 * @category Rewrites
 */
export interface RewriteOptions {
  /** Rewrites applied at one node before it counts as settled (default 64). */
  readonly maxSteps?: number
}

// Marks in the settled table: unknown yet, or being settled further up.
const UNKNOWN = -1
const BUSY = -2

// Deepest nesting of rule-built nodes rewritten in turn; rules build small
// expressions, so this is only a guard against a rule set that keeps growing.
const maxDepth = 200

/**
 * A builder whose every node is rewritten by the rules as it is built, so a
 * node's id always stands for its settled form. Memoised by id: each node is
 * settled once per sweep.
 */
class RewritingBuilder implements Builder {
  private settled = new Int32Array(1024).fill(UNKNOWN)
  private depth = 0

  constructor(
    private readonly inner: Builder,
    private readonly rules: readonly Rewrite[],
    private readonly maxSteps: number,
  ) {}

  node(id: NodeId): Node {
    return this.inner.node(id)
  }
  get size(): number {
    return this.inner.size
  }

  apply(op: OpName, inputs: readonly NodeId[], attrs?: Attrs, dtype?: DType): NodeId {
    return this.settle(this.inner.apply(op, inputs, attrs, dtype))
  }

  private stateOf(id: NodeId): number {
    return id < this.settled.length ? this.settled[id]! : UNKNOWN
  }

  private mark(id: NodeId, state: number): void {
    if (id >= this.settled.length) {
      let length = this.settled.length * 2
      while (length <= id) length *= 2
      const grown = new Int32Array(length).fill(UNKNOWN)
      grown.set(this.settled)
      this.settled = grown
    }
    this.settled[id] = state
  }

  /** Applies the rules at `id` to a local fixpoint; returns the settled id. */
  settle(id: NodeId): NodeId {
    const state = this.stateOf(id)
    if (state >= 0) return state
    // A node being settled further up is returned as it is, which breaks
    // rule cycles such as a -> b -> a.
    if (state === BUSY || this.depth >= maxDepth) return id
    this.depth++
    const visited = [id]
    this.mark(id, BUSY)
    let current = id
    let steps = 0
    search: while (steps < this.maxSteps) {
      const node = this.inner.node(current)
      for (const rule of this.rules) {
        const found = rule(this, current, node)
        if (found === undefined || found === current) continue
        const next = this.fit(found, node)
        if (next === undefined) continue
        steps++
        const known = this.stateOf(next)
        if (known >= 0) {
          current = known
          break search
        }
        if (known === BUSY) {
          // Rewritten back to a node still being settled further up: leave
          // marking it to that caller.
          for (const v of visited) this.mark(v, next)
          this.depth--
          return next
        }
        this.mark(next, BUSY)
        visited.push(next)
        current = next
        continue search
      }
      break
    }
    for (const v of visited) this.mark(v, current)
    this.mark(current, current)
    this.depth--
    return current
  }

  /** `found` with the shape of `node`: broadcast up if smaller, else undefined. */
  private fit(found: NodeId, node: Node): NodeId | undefined {
    const n = this.inner.node(found)
    if (n.dtype !== node.dtype) return undefined
    if (sameShape(n.shape, node.shape)) return found
    const joint = broadcastShapes(n.shape, node.shape)
    if (joint === undefined || !sameShape(joint, node.shape)) return undefined
    const value = splatOf(n)
    return value !== undefined
      ? this.inner.scalar(value, node.dtype, node.shape)
      : this.inner.broadcast(found, node.shape)
  }

  input(name: string, shape: Shape = [], dtype: DType = 'f64'): NodeId {
    return this.apply('input', [], { name, shape }, dtype)
  }
  param(name: string, shape: Shape = [], dtype: DType = 'f64'): NodeId {
    return this.apply('param', [], { name, shape }, dtype)
  }
  scalar(value: number, dtype: DType = 'f64', shape: Shape = []): NodeId {
    return this.apply('const', [], { value, shape }, dtype)
  }
  scalarLike(value: number, like: NodeId): NodeId {
    return this.scalar(value, this.node(like).dtype)
  }
  constant(values: readonly number[], shape: Shape, dtype: DType = 'f64'): NodeId {
    return this.apply('const', [], { values: [...values], shape }, dtype)
  }
  unary(op: UnaryOp, x: NodeId): NodeId {
    return this.apply(op, [x])
  }
  binary(op: BinaryOp, a: NodeId, b: NodeId): NodeId {
    return this.apply(op, [a, b])
  }
  neg(x: NodeId): NodeId {
    return this.apply('neg', [x])
  }
  exp(x: NodeId): NodeId {
    return this.apply('exp', [x])
  }
  log(x: NodeId): NodeId {
    return this.apply('log', [x])
  }
  sqrt(x: NodeId): NodeId {
    return this.apply('sqrt', [x])
  }
  sin(x: NodeId): NodeId {
    return this.apply('sin', [x])
  }
  cos(x: NodeId): NodeId {
    return this.apply('cos', [x])
  }
  tan(x: NodeId): NodeId {
    return this.apply('tan', [x])
  }
  tanh(x: NodeId): NodeId {
    return this.apply('tanh', [x])
  }
  sigmoid(x: NodeId): NodeId {
    return this.apply('sigmoid', [x])
  }
  relu(x: NodeId): NodeId {
    return this.apply('relu', [x])
  }
  abs(x: NodeId): NodeId {
    return this.apply('abs', [x])
  }
  square(x: NodeId): NodeId {
    return this.apply('square', [x])
  }
  softplus(x: NodeId): NodeId {
    return this.apply('softplus', [x])
  }
  sign(x: NodeId): NodeId {
    return this.apply('sign', [x])
  }
  stopGradient(x: NodeId): NodeId {
    return this.apply('stopGradient', [x])
  }
  add(a: NodeId, b: NodeId): NodeId {
    return this.apply('add', [a, b])
  }
  sub(a: NodeId, b: NodeId): NodeId {
    return this.apply('sub', [a, b])
  }
  mul(a: NodeId, b: NodeId): NodeId {
    return this.apply('mul', [a, b])
  }
  div(a: NodeId, b: NodeId): NodeId {
    return this.apply('div', [a, b])
  }
  pow(a: NodeId, b: NodeId): NodeId {
    return this.apply('pow', [a, b])
  }
  max(a: NodeId, b: NodeId): NodeId {
    return this.apply('max', [a, b])
  }
  min(a: NodeId, b: NodeId): NodeId {
    return this.apply('min', [a, b])
  }
  mulNoNan(a: NodeId, b: NodeId): NodeId {
    return this.apply('mulNoNan', [a, b])
  }
  greater(a: NodeId, b: NodeId): NodeId {
    return this.apply('greater', [a, b])
  }
  greaterEqual(a: NodeId, b: NodeId): NodeId {
    return this.apply('greaterEqual', [a, b])
  }
  equal(a: NodeId, b: NodeId): NodeId {
    return this.apply('equal', [a, b])
  }
  where(cond: NodeId, a: NodeId, b: NodeId): NodeId {
    return this.apply('where', [cond, a, b])
  }
  matmul(a: NodeId, b: NodeId): NodeId {
    return this.apply('matmul', [a, b])
  }
  transpose(x: NodeId, perm?: readonly number[]): NodeId {
    return this.apply('transpose', [x], perm ? { perm } : {})
  }
  reshape(x: NodeId, shape: Shape): NodeId {
    return this.apply('reshape', [x], { shape })
  }
  broadcast(x: NodeId, shape: Shape): NodeId {
    return this.apply('broadcast', [x], { shape })
  }
  sum(x: NodeId, axes?: readonly number[], keepdims = false): NodeId {
    return this.apply('sum', [x], axes ? { axes, keepdims } : { keepdims })
  }
  reduceMax(x: NodeId, axes?: readonly number[], keepdims = false): NodeId {
    return this.apply('reduceMax', [x], axes ? { axes, keepdims } : { keepdims })
  }
  mean(x: NodeId, axes?: readonly number[], keepdims = false): NodeId {
    const total = this.sum(x, axes, keepdims)
    const count = sizeOf(this.node(x).shape) / sizeOf(this.node(total).shape)
    return this.mul(total, this.scalarLike(1 / count, x))
  }
  softmax(x: NodeId, axis = -1): NodeId {
    return this.apply('softmax', [x], { axis })
  }
  logSoftmax(x: NodeId, axis = -1): NodeId {
    return this.apply('logSoftmax', [x], { axis })
  }
  logSumExp(x: NodeId, axis = -1, keepdims = false): NodeId {
    return this.apply('logSumExp', [x], { axis, keepdims })
  }
}

/**
 * One forward sweep: rebuilds each node of `graph` (in id order, so operands
 * come first) from its rewritten operands, applies `rules` at it to a local
 * fixpoint, and prunes what `outputs` no longer need. Iterative over node
 * ids, so graph depth does not touch the call stack. @internal
 */
export const rewriteGraph = (
  graph: Graph,
  outputs: readonly NodeId[],
  rules: readonly Rewrite[],
  options: RewriteOptions = {},
): Rooted => {
  const maxSteps = options.maxSteps ?? 64
  const renumber = new Int32Array(graph.nodes.length)
  const built = buildOrThrow(emptyGraph, (inner) => {
    const b = new RewritingBuilder(inner, rules, maxSteps)
    const need = new Uint8Array(graph.nodes.length)
    for (const o of outputs) need[o] = 1
    // Only ancestors of the outputs are rebuilt: mark them walking down the ids.
    for (let id = graph.nodes.length - 1; id >= 0; id--) {
      if (need[id]) for (const i of graph.nodes[id]!.inputs) need[i] = 1
    }
    for (let id = 0; id < graph.nodes.length; id++) {
      if (!need[id]) continue
      const n = graph.nodes[id]!
      const inputs = n.inputs.map((i) => renumber[i]!)
      renumber[id] = b.apply(n.op, inputs, n.attrs, n.dtype)
    }
  })
  return pruneGraph(
    built.graph,
    outputs.map((o) => renumber[o]!),
  )
}

/**
 * A pass that rewrites a graph with a rule table: one forward sweep that
 * rebuilds every node bottom-up from its already rewritten operands and
 * applies the rules at it until none fires (or `maxSteps` rewrites), then
 * prunes. Tables compose by concatenation: `rewrite([...constantRules, ...mine])`.
 * The result is hash-consed, so equal rewritten subexpressions share a node.
 *
 * @example
 * ```ts
 * // x - x -> 0, as a one-rule pass
 * const subSelf: Rewrite = (b, _id, n) =>
 *   n.op === 'sub' && n.inputs[0] === n.inputs[1] ? b.scalarLike(0, n.inputs[0]!) : undefined
 * const cancel = rewrite([subSelf])
 * cancel(graph, outputs)
 * ```
 * @category Passes
 */
export const rewrite = (rules: readonly Rewrite[], options: RewriteOptions = {}): Pass<void> =>
  makePass((graph, outputs) => rewriteGraph(graph, outputs, rules, options))

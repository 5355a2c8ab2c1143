// Rewrites to numerically stable forms: each replaces a composition that
// overflows, underflows or cancels in floating point by an op whose kernel is
// written to avoid that (ops.ts evaluates softplus and sigmoid on the safe side).
import type { NodeId } from '../../graph.js'
import { constantValue, operandOf } from '../match.js'
import { onOps, type Rewrite } from '../rewrite.js'

const one = (b: Parameters<Rewrite>[0], id: NodeId): boolean => constantValue(b, id) === 1

// log(sigmoid(a)) -> -softplus(-a)
const logSigmoid = onOps(['log'], (b, _id, n) => {
  const a = n.op === 'log' ? operandOf(b, n.inputs[0]!, 'sigmoid') : undefined
  return a === undefined ? undefined : b.neg(b.softplus(b.neg(a)))
})

// log(1 - sigmoid(a)) -> -softplus(a)
const logOneMinusSigmoid = onOps(['log'], (b, _id, n) => {
  if (n.op !== 'log') return undefined
  const d = b.node(n.inputs[0]!)
  if (d.op !== 'sub' || !one(b, d.inputs[0]!)) return undefined
  const a = operandOf(b, d.inputs[1]!, 'sigmoid')
  return a === undefined ? undefined : b.neg(b.softplus(a))
})

/** `exp(a)` when `id` is `1 + exp(a)` or `exp(a) + 1`. */
const onePlusExp = (b: Parameters<Rewrite>[0], id: NodeId): NodeId | undefined => {
  const s = b.node(id)
  if (s.op !== 'add') return undefined
  const [x, y] = s.inputs as [NodeId, NodeId]
  if (one(b, x)) return operandOf(b, y, 'exp')
  return one(b, y) ? operandOf(b, x, 'exp') : undefined
}

// log(1 + exp(a)) -> softplus(a)
const logOnePlusExp = onOps(['log'], (b, _id, n) => {
  const a = n.op === 'log' ? onePlusExp(b, n.inputs[0]!) : undefined
  return a === undefined ? undefined : b.softplus(a)
})

// 1 / (1 + exp(-a)) -> sigmoid(a)
const sigmoidForm = onOps(['div'], (b, _id, n) => {
  if (n.op !== 'div' || !one(b, n.inputs[0]!)) return undefined
  const e = onePlusExp(b, n.inputs[1]!)
  const a = e === undefined ? undefined : operandOf(b, e, 'neg')
  return a === undefined ? undefined : b.sigmoid(a)
})

// log(softmax(x, axis)) -> logSoftmax(x, axis)
const logOfSoftmax = onOps(['log'], (b, _id, n) => {
  if (n.op !== 'log') return undefined
  const s = b.node(n.inputs[0]!)
  return s.op === 'softmax' ? b.logSoftmax(s.inputs[0]!, s.attrs.axis!) : undefined
})

// log(sum(exp(x), [axis], keepdims)) -> logSumExp(x, axis, keepdims)
const logOfSumExp = onOps(['log'], (b, _id, n) => {
  if (n.op !== 'log') return undefined
  const s = b.node(n.inputs[0]!)
  if (s.op !== 'sum' || s.attrs.axes!.length !== 1) return undefined
  const x = operandOf(b, s.inputs[0]!, 'exp')
  return x === undefined ? undefined : b.logSumExp(x, s.attrs.axes![0]!, s.attrs.keepdims ?? false)
})

// exp(logSoftmax(x, axis)) -> softmax(x, axis)
const expOfLogSoftmax = onOps(['exp'], (b, _id, n) => {
  if (n.op !== 'exp') return undefined
  const s = b.node(n.inputs[0]!)
  return s.op === 'logSoftmax' ? b.softmax(s.inputs[0]!, s.attrs.axis!) : undefined
})

/**
 * Rewrites to numerically stable forms: `log(sigmoid a) -> -softplus(-a)`,
 * `log(1 - sigmoid a) -> -softplus(a)`, `log(1 + exp a) -> softplus(a)`,
 * `1 / (1 + exp(-a)) -> sigmoid(a)`, `log(softmax(x)) -> logSoftmax(x)`,
 * `log(sum(exp x, [axis])) -> logSumExp(x, axis)`, `exp(logSoftmax(x)) -> softmax(x)`.
 * Included in {@link simplify} unless `stable: false`.
 *
 * @category Rewrites
 */
export const stableRules: readonly Rewrite[] = [
  logSigmoid,
  logOneMinusSigmoid,
  logOnePlusExp,
  sigmoidForm,
  logOfSoftmax,
  logOfSumExp,
  expOfLogSoftmax,
]

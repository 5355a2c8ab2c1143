import type { Builder } from './builder.js'
import type { Attrs, Node, NodeId } from './graph.js'
import type { BinaryOp, OpName, UnaryOp } from './ops.js'
import { type DType, type Shape, sizeOf } from './shape.js'

/**
 * Every named op method of {@link Builder}, written once in terms of
 * `apply` and `node`: the graph builder and the rewriting builder of the
 * passes differ only in those two.
 *
 * @internal
 */
export abstract class OpMethods implements Builder {
  abstract readonly size: number
  abstract node(id: NodeId): Node
  abstract apply(op: OpName, inputs: readonly NodeId[], attrs?: Attrs, dtype?: DType): NodeId

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
  matmul(a: NodeId, b: NodeId): NodeId {
    return this.apply('matmul', [a, b])
  }
  where(cond: NodeId, a: NodeId, b: NodeId): NodeId {
    return this.apply('where', [cond, a, b])
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

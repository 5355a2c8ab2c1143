import type { Builder, ElementwiseMethods } from './builder.js'
import type { Attrs, Node, NodeId } from './graph.js'
import { type BinaryOp, type OpName, opNames, ops, type UnaryOp } from './ops.js'
import { type DType, type Shape, sizeOf } from './shape.js'

// The elementwise methods, one per op (see ElementwiseMethods), are put on the
// prototype below from the op table; this declaration gives them their types.
export interface OpMethods extends ElementwiseMethods {}

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
  gelu(x: NodeId): NodeId {
    const half = this.div(x, this.scalarLike(2, x))
    return this.mul(half, this.add(this.scalarLike(1, x), this.erf(this.div(x, this.scalarLike(Math.SQRT2, x)))))
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
  slice(x: NodeId, start: number, end: number, axis = 0): NodeId {
    return this.apply('slice', [x], { axis, start, end })
  }
  index(x: NodeId, i: number, axis = 0): NodeId {
    return this.apply('index', [x], { axis, start: i })
  }
  // A join of n parts is n - 1 binary concat nodes: one arity for every table.
  concat(xs: readonly NodeId[], axis = 0): NodeId {
    if (xs.length === 0) this.apply('concat', [], { axis })
    return xs.reduce((joined, x) => this.apply('concat', [joined, x], { axis }))
  }
}

// b.<op>(...operands) for each elementwise op of one or two operands.
for (const op of opNames) {
  const { kind, arity } = ops[op]
  if (kind !== 'elementwise' || arity > 2) continue
  Object.defineProperty(OpMethods.prototype, op, {
    value: function (this: OpMethods, ...operands: NodeId[]): NodeId {
      return this.apply(op, operands)
    },
    writable: true,
    configurable: true,
  })
}

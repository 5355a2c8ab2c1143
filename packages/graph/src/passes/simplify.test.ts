import fc from 'fast-check'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../builder.js'
import { GraphFailure } from '../errors.js'
import { ancestors, emptyGraph, type Graph, type NodeId } from '../graph.js'
import type { BinaryOp, UnaryOp } from '../ops.js'
import type { Shape } from '../shape.js'
import { foldConstants } from './fold.js'
import { prune } from './prune.js'
import { onOps, rewrite, type Rewrite } from './rewrite.js'
import { simplify, simplifyRules } from './simplify.js'
import { evaluate, showOutput } from './testing/helpers.js'

// ---- random scalar graphs ----

// Continuous ops only: a comparison or sign of two values that differ in the
// last bit (log(exp x) against x, say) would turn rounding into a jump.
const unaryOps: readonly UnaryOp[] = [
  'neg', 'exp', 'log', 'sqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'abs', 'square', 'softplus', 'stopGradient',
]
const binaryOps: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'mulNoNan']
// Compositions the rules look for, so that random graphs hit them often.
const patterns = {
  logSigmoid: (b: Builder, a: NodeId) => b.log(b.sigmoid(a)),
  logOnePlusExp: (b: Builder, a: NodeId) => b.log(b.add(b.scalar(1), b.exp(a))),
  sigmoidForm: (b: Builder, a: NodeId) => b.div(b.scalar(1), b.add(b.scalar(1), b.exp(b.neg(a)))),
  sqrtSquare: (b: Builder, a: NodeId) => b.sqrt(b.square(a)),
  logExp: (b: Builder, a: NodeId) => b.log(b.exp(a)),
  scaled: (b: Builder, a: NodeId) => b.mul(b.scalar(2), a),
} as const
type Step = readonly [string, number, number, number]

const stepArb = fc.tuple(
  fc.constantFrom<string>(...unaryOps, ...binaryOps, ...Object.keys(patterns), 'where', 'log1mSigmoid'),
  fc.nat(),
  fc.nat(),
  fc.nat(),
)
const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 10 })

// Powers of two (and 0), so that gathering constants rounds exactly as the original does.
const constantPool = [0, 1, -1, 2, 0.5, -2]

/** A random scalar graph over inputs x and y; outputs the last node and one other. */
const scalarGraph = (steps: readonly Step[]): { graph: Graph; outputs: NodeId[] } => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x')
    const y = b.input('y')
    const pool = [x, y, ...constantPool.map((c) => b.scalar(c))]
    const pick = (n: number) => pool[n % pool.length]!
    for (const [op, i, j, k] of steps) {
      const a = pick(i)
      let id: NodeId
      if ((unaryOps as readonly string[]).includes(op)) id = b.unary(op as UnaryOp, a)
      else if ((binaryOps as readonly string[]).includes(op)) id = b.binary(op as BinaryOp, a, pick(j))
      // The condition is an input or constant: exact in both graphs.
      else if (op === 'where') id = b.where(pool[i % (2 + constantPool.length)]!, pick(j), pick(k))
      // log(1 - sigmoid(a)) cancels badly for large a; keep a = x or y.
      else if (op === 'log1mSigmoid') id = b.log(b.sub(b.scalar(1), b.sigmoid(pool[i % 2]!)))
      else id = patterns[op as keyof typeof patterns](b, a)
      pool.push(id)
    }
    return [pool[pool.length - 1]!, pick(steps[0]![3])]
  })
  return { graph, outputs: result }
}

const pointArb = fc.record({
  x: fc.double({ min: -3, max: 3, noNaN: true }),
  y: fc.double({ min: -3, max: 3, noNaN: true }),
})

/**
 * The largest magnitude among the values `out` depends on, or undefined when
 * the evaluation is ill-conditioned there, so that a last-bit difference
 * between equivalent forms could change the result by more than rounding: a
 * value that is not finite or beyond 1e6, a sum or difference that cancels to
 * a tiny nonzero value, or an op evaluated next to a singularity (log, sqrt
 * or a divisor near 0, a power of a base <= 0, defined only at some exponents).
 */
const conditioning = (graph: Graph, values: Float64Array, out: NodeId): number | undefined => {
  let largest = 0
  for (const id of ancestors(graph, [out])) {
    const v = values[id]!
    if (!Number.isFinite(v) || Math.abs(v) > 1e6) return undefined
    const n = graph.nodes[id]!
    const [a, b] = n.inputs.map((i) => values[i]!)
    if (n.op === 'add' || n.op === 'sub') {
      const scale = Math.max(Math.abs(a!), Math.abs(b!))
      if (v !== 0 && Math.abs(v) < 1e-6 * scale) return undefined
    }
    if ((n.op === 'log' || n.op === 'sqrt') && Math.abs(a!) < 1e-6) return undefined
    if (n.op === 'div' && Math.abs(b!) < 1e-6) return undefined
    if (n.op === 'pow' && a! <= 1e-6) return undefined
    largest = Math.max(largest, Math.abs(v))
  }
  return largest
}

describe('simplify', () => {
  it('preserves values of random scalar graphs (where they are finite and well-conditioned)', () => {
    let checked = 0
    fc.assert(
      fc.property(stepsArb, fc.array(pointArb, { minLength: 1, maxLength: 4 }), (steps, points) => {
        const { graph, outputs } = scalarGraph(steps)
        const s = simplify(graph, outputs)
        for (const at of points) {
          const before = evaluate(graph, at)
          const after = evaluate(s.graph, at)
          outputs.forEach((o, k) => {
            const scale = conditioning(graph, before, o)
            if (scale === undefined) return
            checked++
            const want = before[o]!
            const got = after[s.outputs[k]!]!
            expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * (1 + scale))
          })
        }
      }),
      { numRuns: 500 },
    )
    expect(checked).toBeGreaterThan(500)
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const { graph, outputs } = scalarGraph(steps)
        const once = simplify(graph, outputs)
        const twice = simplify(once)
        expect(twice.graph.nodes).toEqual(once.graph.nodes)
        expect(twice.outputs).toEqual(once.outputs)
      }),
      { numRuns: 300 },
    )
  })

  it('never mutates its input', () => {
    const { graph, outputs } = scalarGraph([['add', 0, 0, 0], ['mul', 9, 3, 0]])
    const before = JSON.stringify(graph)
    simplify(graph, outputs)
    expect(JSON.stringify(graph)).toBe(before)
  })

  it('returns a frozen graph', () => {
    const { graph, outputs } = scalarGraph([['add', 0, 0, 0], ['mul', 9, 3, 0], ['sin', 10, 0, 0]])
    const s = simplify(graph, outputs)
    expect(Object.isFrozen(s.graph) && Object.isFrozen(s.graph.nodes)).toBe(true)
    for (const n of s.graph.nodes) {
      expect(Object.isFrozen(n) && Object.isFrozen(n.inputs) && Object.isFrozen(n.shape) && Object.isFrozen(n.attrs)).toBe(true)
    }
  })

  it('simplifies a hand-written derivative: d/dx x^2 = 1 * (2 * x^(2-1)) -> 2*x', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      const two = b.scalar(2)
      const local = b.mul(two, b.pow(x, b.sub(two, b.scalar(1))))
      return b.mul(b.scalar(1), local)
    })
    expect(showOutput(simplify(graph, [result]))).toBe('(2 * x)')
  })
})

// ---- shapes ----

const shapes: readonly Shape[] = [[], [3], [2, 1], [2, 3], [1]]

const tensorStepArb = fc.tuple(
  fc.constantFrom<string>(
    ...unaryOps, ...binaryOps, 'where', 'transpose', 'reshape', 'broadcast', 'sum', 'reduceMax', 'matmul',
  ),
  fc.nat(),
  fc.nat(),
  fc.nat(),
)

/** A random tensor graph; steps whose shapes do not fit are skipped. */
const tensorGraph = (steps: readonly Step[]) =>
  buildOrThrow(emptyGraph, (b) => {
    const pool: NodeId[] = shapes.map((s, i) => b.input(`x${i}`, s, 'f32'))
    pool.push(b.scalar(0, 'f32'), b.scalar(1, 'f32', [2, 3]), b.constant([1, 2, 3], [3], 'f32'))
    const pick = (n: number) => pool[n % pool.length]!
    for (const [op, i, j, k] of steps) {
      const a = pick(i)
      const rank = b.node(a).shape.length
      try {
        const id =
          (unaryOps as readonly string[]).includes(op) ? b.unary(op as UnaryOp, a)
          : (binaryOps as readonly string[]).includes(op) ? b.binary(op as BinaryOp, a, pick(j))
          : op === 'where' ? b.where(pick(k), a, pick(j))
          : op === 'transpose' ? b.transpose(a)
          : op === 'reshape' ? b.reshape(a, [...b.node(a).shape, 1])
          : op === 'broadcast' ? b.broadcast(a, shapes[j % shapes.length]!)
          : op === 'sum' ? b.sum(a, rank === 0 ? [] : [j % rank], k % 2 === 0)
          : op === 'reduceMax' ? b.reduceMax(a, rank === 0 ? [] : [j % rank], k % 2 === 0)
          : b.matmul(a, pick(j))
        pool.push(id)
      } catch (e) {
        if (!(e instanceof GraphFailure)) throw e
      }
    }
    return pool.slice(-3)
  })

describe('simplify on tensors', () => {
  it('keeps the shape and dtype of every output', () => {
    fc.assert(
      fc.property(fc.array(tensorStepArb, { minLength: 1, maxLength: 12 }), (steps) => {
        const { graph, result } = tensorGraph(steps)
        const s = simplify(graph, result)
        result.forEach((o, k) => {
          const out = s.graph.nodes[s.outputs[k]!]!
          expect(out.shape).toEqual(graph.nodes[o]!.shape)
          expect(out.dtype).toBe('f32')
        })
      }),
      { numRuns: 300 },
    )
  })
})

// ---- depth ----

// Large graphs take a second or two on a busy machine; the default 5 s is tight.
const deepTimeout = 60_000

describe('simplify on deep graphs', () => {
  it('simplifies a 100k-node chain without overflowing the stack', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const one = b.scalar(1)
      const zero = b.scalar(0)
      let y = b.input('x')
      for (let i = 0; i < 34_000; i++) y = b.sin(b.add(b.mul(y, one), zero))
      return y
    })
    expect(graph.nodes.length).toBeGreaterThan(100_000)
    const s = simplify(graph, [result])
    expect(s.graph.nodes.length).toBe(34_001)
    expect(s.graph.nodes.every((n, id) => (id === 0 ? n.op === 'input' : n.op === 'sin'))).toBe(true)
  }, deepTimeout)

  it('gathers a 100k-term sum x + x + ... + x into one product', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      let y = x
      for (let i = 0; i < 100_000; i++) y = b.add(y, x)
      return y
    })
    expect(showOutput(simplify(graph, [result]))).toBe('(100001 * x)')
  }, deepTimeout)

  it('cancels 100k nested negations', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      let y = b.input('x')
      for (let i = 0; i < 100_000; i++) y = b.neg(y)
      return y
    })
    expect(showOutput(simplify(graph, [result]))).toBe('x')
  }, deepTimeout)
})

describe('simplify keeps shared subexpressions shared', () => {
  it('gathers a chain into its consumer only where the chain is used once', () => {
    // The shape of a reverse pass: a running product p_k = p_{k-1} * c_k, each
    // p_{k-1} used twice, by p_k and by a term t_k = p_{k-1} * w_k of a long
    // sum. Gathered into t_k, p_{k-1} would be copied (w_k sorts before its
    // factors), and the graph would grow by a chain per term.
    const n = 3000
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      const w = Array.from({ length: n }, (_, k) => b.sin(b.mul(b.scalar(k + 1), x)))
      let p = x
      let sum = b.scalar(0)
      for (let k = 0; k < n; k++) {
        sum = b.add(sum, b.mul(p, w[k]!))
        p = b.mul(p, b.cos(w[k]!))
      }
      return b.add(sum, p)
    })
    const s = simplify(graph, [result])
    expect(s.graph.nodes.length).toBeLessThanOrEqual(ancestors(graph, [result]).length)
    const at = { x: 0.001 }
    expect(evaluate(s.graph, at)[s.outputs[0]!]).toBeCloseTo(evaluate(graph, at)[result]!, 9)
  }, deepTimeout)

  it('gathers a chain whose other consumers vanished while simplifying', () => {
    // (0.5 - y) is used twice, but its use in (0.5 - y) * 0 goes away.
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const y = b.input('y')
      const d = b.sub(b.scalar(0.5), y)
      return b.add(b.sub(d, y), b.mul(d, b.scalar(0)))
    })
    const once = simplify(graph, [result])
    expect(showOutput(once)).toBe('(0.5 - (2 * y))')
    expect(simplify(once).graph.nodes).toEqual(once.graph.nodes)
  })
})

// ---- calling forms and custom tables ----

describe('passes compose', () => {
  const sample = () =>
    buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      b.cos(x) // dead
      return b.mul(b.exp(b.scalar(0)), b.add(x, b.scalar(0)))
    })

  it('in pipe, data-last', () => {
    const { graph, result } = sample()
    const r = pipe(graph, prune([result]), foldConstants, simplify)
    expect(showOutput(r)).toBe('x')
    expect(r.graph.nodes.length).toBe(1)
  })

  it('with options in the data-last form', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.log(b.sigmoid(b.input('x'))))
    expect(showOutput(simplify([result], { stable: false })(graph))).toBe('log(sigmoid(x))')
  })

  it('with a custom rule table', () => {
    const { graph, result } = sample()
    // An empty table rewrites nothing; only pruning remains.
    const r = simplify(graph, [result], { rules: [] })
    expect(showOutput(r)).toBe('(exp(0) * (x + 0))')
    expect(showOutput(rewrite([])(graph, [result]))).toBe('(exp(0) * (x + 0))')
  })
})

describe('rewrite', () => {
  it('broadcasts a smaller result back to the node shape', () => {
    // x * y -> x, deliberately returning the smaller operand
    const keepFirst: Rewrite = (_b, _id, n) => (n.op === 'mul' ? n.inputs[0] : undefined)
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.mul(b.input('s'), b.input('v', [3])))
    expect(showOutput(rewrite([keepFirst])(graph, [result]))).toBe('broadcast(s; shape=3)')
  })

  it('ignores a result of another dtype or an incompatible shape', () => {
    const toF32: Rewrite = (b, _id, n) => (n.op === 'sin' ? b.input('other', [], 'f32') : undefined)
    const toWide: Rewrite = (b, _id, n) => (n.op === 'sin' ? b.input('wide', [4]) : undefined)
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.sin(b.input('x', [3])))
    expect(showOutput(rewrite([toF32, toWide])(graph, [result]))).toBe('sin(x)')
  })

  it('terminates on rules that undo each other', () => {
    // a + b -> b + a, unconditionally: a cycle of length two
    const swap: Rewrite = (b, _id, n) => (n.op === 'add' ? b.add(n.inputs[1]!, n.inputs[0]!) : undefined)
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.add(b.input('x'), b.input('y')))
    const r = rewrite([swap])(graph, [result])
    expect(['(x + y)', '(y + x)']).toContain(showOutput(r))
  })

  it('tries a rule tagged with ops only at nodes of those ops', () => {
    const seen = new Set<string>()
    const watch = onOps(['sin', 'cos'], (_b, _id, n) => {
      seen.add(n.op)
      return undefined
    })
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      return b.add(b.sin(x), b.mul(b.cos(x), b.exp(x)))
    })
    rewrite([watch])(graph, [result])
    expect([...seen].sort()).toEqual(['cos', 'sin'])
  })

  it('simplifies what a rule builds before the rule sees it', () => {
    // sin(x) -> x * 1 + 0, which the rest of the table reduces to x
    const expand: Rewrite = (b, _id, n) =>
      n.op === 'sin' ? b.add(b.mul(n.inputs[0]!, b.scalar(1)), b.scalar(0)) : undefined
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.sin(b.input('x')))
    const r = simplify(graph, [result], { rules: [expand, ...simplifyRules] })
    expect(showOutput(r)).toBe('x')
  })
})

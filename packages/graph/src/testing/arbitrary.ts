import fc from 'fast-check'
import { buildOrThrow } from '../builder.js'
import { emptyGraph, type Graph, type NodeId } from '../graph.js'
import { opNames, ops } from '../ops.js'

/**
 * A random scalar graph and the node it is about.
 *
 * @internal
 */
export interface ScalarGraph {
  /** The graph; it may hold nodes the output does not depend on. */
  readonly graph: Graph
  /** The last node built: the root of the random expression. */
  readonly output: NodeId
}

/**
 * Options of {@link arbitraryScalarGraph}.
 *
 * @internal
 */
export interface ScalarGraphOptions {
  /** `'contract'` (default): only ops of the contract syntax; `'full'`: every elementwise op. */
  readonly dialect?: 'contract' | 'full'
  /** Most ops applied after the leaves (default 12). */
  readonly maxSteps?: number
  /** The constants to draw from (default: a set that stresses printing, including 1.5e21 and 1e-7). */
  readonly constants?: readonly number[]
}

// The elementwise ops of each dialect, from the op table: the operators
// (neg, add, sub, mul, div) and the contract's functions, then the full
// dialect's functions.
const elementwise = opNames.filter((op) => ops[op].kind === 'elementwise')
const contractOps = elementwise.filter((op) => (ops[op].syntax ?? 'contract') === 'contract')
const extraOps = elementwise.filter((op) => ops[op].syntax === 'full')

// Constants that stress printing: signs, -0, fractions, exponent notation, pi and e.
const constants = [0, -0, 1, 2, -2, 0.5, -1.5, 0.1, 3, 1e-7, 1.5e21, -2.5e-8, Math.PI, Math.E, -Math.PI]

/**
 * Random DAGs of scalar f64 ops over the inputs `x`, `y`, `z` and a few
 * constants: each step applies a random op to operands picked among the
 * leaves and earlier results, so subexpressions are shared and operands
 * repeat (as in `x*x`). For property tests of printers, parsers and passes.
 * Exported from this file only, not from the package index.
 *
 * @internal
 */
export const arbitraryScalarGraph = (opts: ScalarGraphOptions = {}): fc.Arbitrary<ScalarGraph> => {
  const opsPool = opts.dialect === 'full' ? [...contractOps, ...extraOps] : contractOps
  const step = fc.record({ op: fc.constantFrom(...opsPool), picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }) })
  return fc
    .record({
      consts: fc.subarray([...(opts.constants ?? constants)], { minLength: 1, maxLength: 4 }),
      steps: fc.array(step, { minLength: 1, maxLength: opts.maxSteps ?? 12 }),
    })
    .map(({ consts, steps }) =>
      buildOrThrow(emptyGraph, (b) => {
        const pool: NodeId[] = [b.input('x'), b.input('y'), b.input('z'), ...consts.map((c) => b.scalar(c))]
        for (const { op, picks } of steps) {
          // fast-check favours small numbers; counting from the end makes them pick
          // recent results, which gives deep expressions rather than flat ones.
          const operands = picks.slice(0, ops[op].arity).map((p) => pool[pool.length - 1 - (p % pool.length)]!)
          pool.push(b.apply(op, operands))
        }
        return pool[pool.length - 1]!
      }),
    )
    .map(({ graph, result }) => ({ graph, output: result }))
}

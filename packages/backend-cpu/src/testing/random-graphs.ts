import * as fc from 'fast-check'
import { type Feeds, tensor } from '@backprop/backend'
import {
  type BinaryOp,
  type Builder,
  buildOrThrow,
  type DType,
  emptyGraph,
  type Graph,
  type NodeId,
  type OpName,
  opNames,
  ops,
  type UnaryOp,
} from '@backprop/graph'

const elementwiseOf = (arity: number): OpName[] =>
  opNames.filter((op) => ops[op].kind === 'elementwise' && ops[op].arity === arity)

/** Unary ops a random graph may use, from the op table (all but `stopGradient`, which adds nothing to test). */
export const unaryOps = elementwiseOf(1).filter((op) => op !== 'stopGradient') as UnaryOp[]

/** Every binary op, from the op table. */
export const binaryOps = elementwiseOf(2) as BinaryOp[]

/** How one operand of a random elementwise graph is made. */
export type LeafRecipe =
  | { readonly kind: 'input'; readonly ones: readonly boolean[]; readonly drop: number }
  | { readonly kind: 'transposed' }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'scalar' }
  | { readonly kind: 'reshaped' }
  | { readonly kind: 'column' }

/** A random elementwise graph: a full shape, operands that broadcast to it, and op steps over earlier values. */
export interface ElementwiseRecipe {
  readonly shape: readonly number[]
  readonly dtype: DType
  readonly leaves: readonly LeafRecipe[]
  readonly steps: readonly { readonly op: string; readonly args: readonly number[] }[]
  /** Which earlier value (mod the count) is requested as a second output. */
  readonly extra: number
  readonly seed: number
}

const leaf = (rank: number): fc.Arbitrary<LeafRecipe> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('input' as const),
      ones: fc.array(fc.boolean(), { minLength: rank, maxLength: rank }),
      drop: fc.integer({ min: 0, max: rank }),
    }),
    fc.constant({ kind: 'transposed' as const }),
    fc.record({ kind: fc.constant('const' as const), value: fc.constantFrom(0, 1, -2, 0.5, 3) }),
    fc.constant({ kind: 'scalar' as const }),
    fc.constant({ kind: 'reshaped' as const }),
    fc.constant({ kind: 'column' as const }),
  )

/** The ops that IEEE arithmetic and selections compute exactly (no transcendental functions). */
export const exactOps: readonly string[] = [
  'neg', 'sqrt', 'relu', 'abs', 'square', 'sign', 'add', 'sub', 'mul', 'div', 'max', 'min', 'mulNoNan', 'greater', 'greaterEqual', 'equal', 'where',
]

/**
 * Arbitrary elementwise graphs with broadcasting, constants, scalar inputs
 * and views as operands, over the given ops (by default all of them).
 */
export const elementwiseRecipe = (pool: readonly string[] = [...unaryOps, ...binaryOps, 'where']): fc.Arbitrary<ElementwiseRecipe> =>
  fc
    .array(fc.oneof({ arbitrary: fc.integer({ min: 2, max: 6 }), weight: 4 }, { arbitrary: fc.constant(1), weight: 1 }), {
      minLength: 0,
      maxLength: 3,
    })
    .chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        dtype: fc.constantFrom<DType>('f32', 'f64'),
        leaves: fc.array(leaf(shape.length), { minLength: 1, maxLength: 5 }),
        steps: fc.array(
          fc.record({ op: fc.constantFrom<string>(...pool), args: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }) }),
          { minLength: 1, maxLength: 8 },
        ),
        extra: fc.nat(),
        seed: fc.nat(),
      }),
    )

/** Values in [-3, 3] with zeros, ones and halves mixed in (ties and kinks are likely). */
export const values = (n: number, seed: number): number[] => {
  let s = (seed * 2654435761) >>> 0
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  const special = [0, -0, 1, -1, 0.5, 2]
  return Array.from({ length: n }, () => (next() < 0.5 ? special[Math.floor(next() * special.length)]! : -3 + 6 * next()))
}

/** Builds a recipe's graph: its outputs are the last value and one earlier value; feeds fill every input. */
export const buildRecipe = (r: ElementwiseRecipe): { graph: Graph; outputs: NodeId[]; feeds: Feeds } => {
  const feeds: Record<string, ReturnType<typeof tensor>> = {}
  const feed = (b: Builder, name: string, shape: readonly number[]): NodeId => {
    feeds[name] = tensor(values(shape.reduce((p, d) => p * d, 1), r.seed + Object.keys(feeds).length), shape, r.dtype)
    return b.input(name, shape, r.dtype)
  }
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const vals: NodeId[] = r.leaves.map((l, i) => {
      switch (l.kind) {
        case 'input':
          return feed(b, `x${i}`, r.shape.slice(l.drop).map((d, a) => (l.ones[a + l.drop] ? 1 : d)))
        case 'transposed':
          return b.transpose(feed(b, `x${i}`, [...r.shape].reverse()))
        case 'const':
          return b.scalar(l.value, r.dtype)
        case 'scalar':
          return feed(b, `x${i}`, [])
        case 'reshaped':
          return b.reshape(feed(b, `x${i}`, [r.shape.reduce((p, d) => p * d, 1)]), r.shape)
        case 'column':
          return feed(b, `x${i}`, r.shape.map((d, a) => (a === r.shape.length - 1 ? 1 : d)))
      }
    })
    for (const { op, args } of r.steps) {
      const pick = (k: number): NodeId => vals[args[k]! % vals.length]!
      if (op === 'where') vals.push(b.where(pick(0), pick(1), pick(2)))
      else if ((binaryOps as readonly string[]).includes(op)) vals.push(b.binary(op as BinaryOp, pick(0), pick(1)))
      else vals.push(b.unary(op as UnaryOp, pick(0)))
    }
    return [vals[vals.length - 1]!, vals[r.extra % vals.length]!]
  })
  return { graph, outputs: result, feeds }
}

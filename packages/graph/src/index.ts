/**
 * Graph algebra: immutable, hash-consed computational graphs of tensor ops,
 * with the op table (shape and dtype rules), a builder, traversal, rewrite
 * passes, and printers and parsers.
 *
 * @packageDocumentation
 */
export { fail, GraphFailure, type GraphError, graphError } from './errors.js'
export { BackpropError, orThrow, type TaggedError } from './or-throw.js'
export { broadcastShapes, type DType, normalizeAxes, sameShape, type Shape, showShape, sizeOf, stridesOf } from './shape.js'
export { ancestors, type Attrs, consumers, emptyGraph, type Graph, inputsOf, type Node, type NodeId, paramsOf } from './graph.js'
export {
  type BatchFacts,
  type BinaryOp,
  type FiniteFact,
  type Inferred,
  isOpName,
  type LeafOp,
  type OpDef,
  type OpName,
  opNames,
  ops,
  type SignFacts,
  type UnaryOp,
} from './ops.js'
export { flopsOf } from './cost.js'
export { erfSeriesCoefficients } from './erf-series.js'
export { build, type Builder, buildOrThrow, type Built, type ElementwiseMethods } from './builder.js'
export {
  arithmeticRules,
  canonicalRules,
  type ChainFamily,
  constantRules,
  constantValue,
  foldConstant,
  foldConstants,
  isFiniteValued,
  isNonZero,
  isPositive,
  maxFoldSize,
  type NodeSource,
  onOps,
  type OperandSwap,
  type Pass,
  productRules,
  prune,
  rewrite,
  type Rewrite,
  type RewriteOptions,
  type Rooted,
  type RewriteContext,
  type RuleFunction,
  simplify,
  simplifyRules,
  type SimplifyOptions,
  stableRules,
  structuralRules,
  sumRules,
} from './passes/index.js'
export { sameExpression } from './equal.js'
export { parse, parseInto, type Parsed, type ParseOptions, parseOrThrow, type TextDialect } from './parse.js'
export { type TextOptions, toText, toTextAll } from './print-text.js'
export { toLatex } from './print-latex.js'
export { type DotOptions, toDot } from './dot.js'
export { fromJson, type GraphJson, type GraphJsonNode, type JsonNumber, toJson } from './json.js'

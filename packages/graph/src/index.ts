/**
 * Graph algebra: immutable, hash-consed computational graphs of tensor ops,
 * with the op table (shape and dtype rules), a builder, traversal, rewrite
 * passes, and printers and parsers.
 *
 * @packageDocumentation
 */
export * from './errors.js'
export * from './or-throw.js'
export * from './shape.js'
export * from './graph.js'
export * from './ops.js'
export * from './cost.js'
export * from './builder.js'
export * from './passes/index.js'
export * from './equal.js'
export * from './parse.js'
export * from './print-text.js'
export * from './print-latex.js'
export * from './dot.js'
export * from './json.js'

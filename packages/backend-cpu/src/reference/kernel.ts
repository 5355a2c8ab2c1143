import type { Feeds, TensorData } from '@backprop/backend'
import type { Node } from '@backprop/graph'

/**
 * One node's computation, specialised at compile time: reads the operands'
 * data and returns the node's data.
 *
 * Rules every step follows, which the executable relies on:
 * - it never writes into `operands` or `feeds`;
 * - it returns either a freshly allocated array of the node's dtype and size
 *   or one of the very arrays it was given (an operand, a feed, or a constant
 *   it owns), never a view into one. The executable copies an output whose
 *   array it does not own, so aliasing is safe.
 *
 * @category Kernels
 */
export type Step = (operands: readonly TensorData[], feeds: Feeds) => TensorData

/**
 * Compiles one node of an op into a {@link Step}: all shape work (strides,
 * fast-path choice, constant materialisation) happens here, once.
 *
 * @category Kernels
 */
export type Kernel = (node: Node, operands: readonly Node[]) => Step

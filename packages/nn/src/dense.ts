import type { Builder, NodeId } from '@backprop/graph'

/**
 * Appends a dense layer's pre-activations `a = z W^T + b` for a batch whose
 * samples are rows: `z` is `[M, N_in]`, `W` is `[N_out, N_in]` (row i holds
 * the weights into unit i, the lecture's W), `bias` is `[N_out]` and is
 * broadcast over the samples. Per sample this is the lecture's `a = W z + b`.
 * The transpose is a separate node; backends may fuse it into the product.
 *
 * @example
 * ```ts
 * buildOrThrow(emptyGraph, (b) =>
 *   dense(b, b.input('x', [8, 2]), b.param('W1', [3, 2]), b.param('b1', [3])))
 * ```
 * @category Layers
 */
export const dense = (b: Builder, z: NodeId, W: NodeId, bias: NodeId): NodeId =>
  b.add(b.matmul(z, b.transpose(W)), bias)

import { valueAndGrad } from '@backprop/fn'

// The JAX equivalent (13 lines): adjoints of the net inputs by perturbing them with zeros.
//   import jax, jax.numpy as jnp
//
//   def loss(eps, params, x, t):
//       (W1, b1), (W2, b2), (W3, b3) = params
//       a1 = x @ W1.T + b1 + eps[0]
//       a2 = jax.nn.sigmoid(a1) @ W2.T + b2 + eps[1]
//       a3 = jax.nn.sigmoid(a2) @ W3.T + b3 + eps[2]
//       return -jnp.sum(t * jax.nn.log_softmax(a3))
//
//   def deltas(params, x, t):
//       M = x.shape[0]
//       eps = [jnp.zeros((M, 5)), jnp.zeros((M, 4)), jnp.zeros((M, 2))]
//       return jax.grad(loss)(eps, params, x, t)

/**
 * The deltas dE/da_l of a 3-5-4-2 network (logsig hidden units, a softmax
 * output, cross-entropy summed over M samples), read from the gradient graph
 * as the adjoints of the net inputs a_l, with the outputs y: compiled once,
 * for any weights and samples (`W_l` is `[N_l, N_{l-1}]`).
 *
 * @example
 * ```ts
 * const { grad, aux } = deltas342(4)({ x, t, W1, b1, W2, b2, W3, b3 }) // grad.d3 equals aux.y - t
 * ```
 * @category Examples
 */
export const deltas342 = (M: number) =>
  valueAndGrad((b, { x, t, W1, b1, W2, b2, W3, b3 }) => {
    const a1 = b.add(b.matmul(x, b.transpose(W1)), b1)
    const a2 = b.add(b.matmul(b.sigmoid(a1), b.transpose(W2)), b2)
    const a3 = b.add(b.matmul(b.sigmoid(a2), b.transpose(W3)), b3)
    const E = b.neg(b.sum(b.mul(t, b.logSoftmax(a3))))
    return { value: E, adjoints: { d1: a1, d2: a2, d3: a3 }, aux: { y: b.softmax(a3) } }
  }, { x: [M, 3], t: [M, 2], W1: [5, 3], b1: [5], W2: [4, 5], b2: [4], W3: [2, 4], b3: [2] }, { wrt: [] })

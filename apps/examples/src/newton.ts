import { valueAndGrad } from '@backprop/fn'

// The JAX equivalent (11 lines):
//   import jax, jax.numpy as jnp
//   jax.config.update('jax_enable_x64', True)
//
//   def f(x):
//       return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
//
//   g, H = jax.grad(f), jax.hessian(f)
//   x = jnp.array([-1.2, 1.0])
//   for _ in range(8):
//       x = x - jnp.linalg.solve(H(x), g(x))
//   print(x)

/**
 * Newton's method on Rosenbrock's function f(x) = (1 - x0)^2 + 100 (x1 - x0^2)^2
 * from (-1.2, 1), with the symbolic gradient and the symbolic [2, 2] Hessian:
 * the iterates, the start first.
 *
 * @example
 * ```ts
 * newtonRosenbrock().at(-1) // [1, 1]
 * ```
 * @category Examples
 */
export const newtonRosenbrock = (steps = 8): number[][] => {
  const f = valueAndGrad((b, { x }) => {
    const [x0, x1] = [b.index(x, 0), b.index(x, 1)]
    return b.add(b.square(b.sub(b.scalar(1), x0)), b.mul(b.scalar(100), b.square(b.sub(x1, b.square(x0)))))
  }, { x: [2] }, { hessian: true })
  const xs = [[-1.2, 1]]
  for (let i = 0; i < steps; i++) {
    const x = xs.at(-1)!
    const { grad, hessian } = f({ x })
    const [[g0, g1], [a, b, c, d]] = [grad.x.data, hessian.x.x.data] // solve H dx = g, 2 x 2
    xs.push([x[0]! - (d * g0 - b * g1) / (a * d - b * c), x[1]! - (a * g1 - c * g0) / (a * d - b * c)])
  }
  return xs
}

import { cpuBackend } from '@backprop/backend-cpu'
import type { Dataset } from '@backprop/data'
import { buildOrThrow, emptyGraph, orThrow } from '@backprop/graph'
import { initParams } from '@backprop/nn'
import { adam, type DoneEvent, type EpochEvent, train } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'

// The JAX equivalent (24 lines), with optax:
//   import jax, jax.numpy as jnp, optax
//
//   def model(p, x):
//       h = jnp.tanh(x @ p['W1'] + p['b1'])
//       return h @ p['W2'] + x @ p['V'] + p['b2']  # skip connection
//
//   def loss(p, x, t):
//       mse = jnp.mean((model(p, x) - t) ** 2)
//       return mse + 1e-3 * (jnp.sum(p['W1'] ** 2) + jnp.sum(p['W2'] ** 2)), mse
//
//   k1, k2 = jax.random.split(jax.random.PRNGKey(1))
//   p = {'W1': jax.random.normal(k1, (1, 16)), 'b1': jnp.zeros(16),
//        'W2': jax.random.normal(k2, (16, 1)) / 4, 'V': jnp.zeros((1, 1)), 'b2': jnp.zeros(1)}
//   x = jnp.linspace(-2, 2, 64)[:, None]; t = jnp.sin(2 * x) + 0.5 * x
//   opt = optax.adam(0.02); state = opt.init(p)
//
//   @jax.jit
//   def step(p, state, x, t):
//       (l, mse), g = jax.value_and_grad(loss, has_aux=True)(p, x, t)
//       updates, state = opt.update(g, state)
//       return optax.apply_updates(p, updates), state, mse
//
//   for epoch in range(300):
//       for i in range(0, 64, 16):
//           p, state, mse = step(p, state, x[i:i + 16], t[i:i + 16])

/**
 * A tanh network with a skip connection, y = W2 tanh(W1 x + b1) + V x + b2,
 * fitted to t = sin(2x) + x/2 on 64 points of [-2, 2] through `train()` with
 * an L2 penalty on W1 and W2, reporting the MSE and penalty parts of the loss
 * as metrics: the epoch events and the done event (loss at the final
 * parameters included).
 *
 * @category Examples
 */
export const skipConnectionL2 = async (epochs = 300): Promise<{ epochs: EpochEvent[]; done: DoneEvent }> => {
  const x = Float64Array.from({ length: 64 }, (_, i) => -2 + (4 * i) / 63)
  const data: Dataset = { name: 'sine', size: 64, features: 1, targets: 1, x, t: x.map((v) => Math.sin(2 * v) + v / 2) }
  const net = (batch: number) => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const [x, t, W1, W2] = [b.input('x', [batch, 1]), b.input('t', [batch, 1]), b.param('W1', [1, 16]), b.param('W2', [16, 1])]
      const h = b.tanh(b.add(b.matmul(x, W1), b.param('b1', [16])))
      const y = b.add(b.add(b.matmul(h, W2), b.matmul(x, b.param('V', [1, 1]))), b.param('b2', [1]))
      const mse = b.mean(b.square(b.sub(y, t)))
      const l2 = b.mul(b.scalar(1e-3), b.add(b.sum(b.square(W1)), b.sum(b.square(W2))))
      return { loss: b.add(mse, l2), outputs: y, metrics: { mse, l2 } }
    })
    return { graph, ...result }
  }
  const params = orThrow(initParams(net(1).graph, { seed: 1 }))
  const events = await lastValueFrom(
    train({ model: (batch) => E.right(net(batch)), backend: cpuBackend(), data, params, optimizer: adam({ lr: 0.02 }), epochs, batchSize: 16, seed: 1, stepEvery: 0, finalTrainLoss: true, failures: 'error' }).pipe(toArray()),
  )
  return { epochs: events.filter((e): e is EpochEvent => e.type === 'epoch'), done: events.at(-1) as DoneEvent }
}

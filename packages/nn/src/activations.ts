import type { Builder, NodeId } from '@backprop/graph'
import type { Activation } from './spec.js'

/**
 * Appends `z = h(a)` to the graph being built. `softmax` normalises along
 * the last axis (the units of each sample, when samples are rows). Building
 * the same activation of the same node twice gives the same node, so
 * {@link lossOf} and a network's outputs share it.
 *
 * @example
 * ```ts
 * buildOrThrow(emptyGraph, (b) => activate(b, b.input('a', [4, 3]), 'softmax'))
 * ```
 * @category Layers
 */
export const activate = (b: Builder, a: NodeId, h: Activation): NodeId => {
  switch (h) {
    case 'linear':
      return a
    case 'logsig':
      return b.sigmoid(a)
    case 'tanh':
      return b.tanh(a)
    case 'relu':
      return b.relu(a)
    case 'softmax':
      return b.softmax(a, -1)
  }
}

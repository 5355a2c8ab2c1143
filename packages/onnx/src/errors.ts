import type { NodeId, OpName } from '@backprop/graph'

/**
 * Why a graph could not be exported. The message is one line that says what
 * and where, naming the op and node when one is at fault.
 *
 * @category Export
 */
export type OnnxError =
  | {
      /** A node cannot be written in ONNX under the options given. */
      readonly _tag: 'Unexportable'
      /** The node's op. */
      readonly op: OpName
      /** The node's id. */
      readonly node: NodeId
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** The request is inconsistent: an output that is no node, a name used twice, a value of the wrong shape. */
      readonly _tag: 'BadRequest'
      /** One line: what and where. */
      readonly message: string
    }

/**
 * An {@link OnnxError} for node `node` of op `op`, e.g.
 * `cannot export node #12 (reshape [64,10] -> [640]): ...`.
 *
 * @category Export
 */
export const unexportable = (op: OpName, node: NodeId, what: string): OnnxError => ({
  _tag: 'Unexportable',
  op,
  node,
  message: `cannot export node #${node} (${op}): ${what}`,
})

/**
 * An {@link OnnxError} for an inconsistent request.
 *
 * @category Export
 */
export const badRequest = (message: string): OnnxError => ({ _tag: 'BadRequest', message })

import { type Feeds, type Tensor, tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { grad } from '@backprop/diff'
import { type Builder, buildOrThrow, type DType, emptyGraph, type NodeId, opNames } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { decodeModel, type ExportOptions, IR_VERSION, lowerings, OPSET, type OnnxModel, toOnnx } from './index.js'

const right = <A>(e: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 2)

/** Runs an exported model in ONNX Runtime; outputs by name as plain arrays. */
const runOrt = async (model: OnnxModel, feeds: Feeds): Promise<Record<string, { dims: readonly number[]; data: number[] }>> => {
  const session = await ort.InferenceSession.create(model.bytes, { logSeverityLevel: 3 })
  const ortFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype === 'f32' ? 'float32' : 'float64', t.data, [...t.shape])]),
  )
  const out = await session.run(ortFeeds)
  await session.release()
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: Array.from(t.data as Float64Array) }]))
}

const expectClose = (actual: readonly number[], expected: ArrayLike<number>, rtol: number, label: string): void => {
  expect(actual.length, label).toBe(expected.length)
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `${label}[${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * (1 + Math.abs(expected[i]!))))
}

/** A 3-4-2 tanh/softmax network for `batch` samples. */
const network = (batch: number, dtype: DType) =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [batch, 3], dtype)
    const h = b.tanh(b.add(b.matmul(x, b.transpose(b.param('W1', [4, 3], dtype))), b.param('b1', [4], dtype)))
    return b.softmax(b.add(b.matmul(h, b.transpose(b.param('W2', [2, 4], dtype))), b.param('b2', [2], dtype)))
  })

const weights = (dtype: DType): Record<string, Tensor> => ({
  W1: tensor(values(12, 1), [4, 3], dtype),
  b1: tensor(values(4, 2), [4], dtype),
  W2: tensor(values(8, 3), [2, 4], dtype),
  b2: tensor(values(2, 4), [2], dtype),
})

describe('toOnnx', () => {
  it('has a lowering for every op of the graph package', () => {
    expect(opNames.filter((op) => typeof (lowerings as Record<string, unknown>)[op] !== 'function')).toEqual([])
  })

  it('writes IR version 8, opset 17, named inputs and outputs, and given values as initialisers', () => {
    const { graph, result } = network(5, 'f32')
    const model = right(toOnnx(graph, [result], { outputNames: ['y'], values: weights('f32'), batchInputs: ['x'], metadata: { classes: 'a,b' } }))
    const decoded = decodeModel(model.bytes)
    expect([decoded.ir_version, IR_VERSION]).toEqual([8, 8])
    expect(decoded.opset_import).toEqual([{ domain: '', version: OPSET }])
    expect(OPSET).toBe(17)
    expect(decoded.graph.input.map((v) => v.name)).toEqual(['x'])
    expect(decoded.graph.input[0]!.type.tensor_type).toEqual({ elem_type: 1, shape: { dim: [{ dim_param: 'N' }, { dim_value: 3 }] } })
    expect(decoded.graph.output[0]!.type.tensor_type).toEqual({ elem_type: 1, shape: { dim: [{ dim_param: 'N' }, { dim_value: 2 }] } })
    expect(decoded.graph.initializer.map((t) => t.name).sort()).toEqual(['W1', 'W2', 'b1', 'b2'])
    const W1 = decoded.graph.initializer.find((t) => t.name === 'W1')!
    expect(W1.dims).toEqual([4, 3])
    expect(Array.from(new Float32Array(new Uint8Array(W1.raw_data).buffer))).toEqual(Array.from(weights('f32').W1!.data))
    expect(decoded.metadata_props).toEqual([{ key: 'classes', value: 'a,b' }])
    expect(model.inputs).toEqual([{ name: 'x', shape: [null, 3], dtype: 'f32' }])
    expect(model.outputs).toEqual([{ name: 'y', shape: [null, 2], dtype: 'f32' }])
  })

  it.each(['f32', 'f64'] as const)('runs a network in ONNX Runtime on any number of rows with a dynamic batch axis (%s)', async (dtype) => {
    const { graph, result } = network(3, dtype)
    const model = right(toOnnx(graph, [result], { outputNames: ['y'], values: weights(dtype), batchInputs: ['x'] }))
    for (const rows of [1, 3, 7]) {
      const x = tensor(values(rows * 3, rows), [rows, 3], dtype)
      const expected = right(evaluate(network(rows, dtype).graph, [network(rows, dtype).result], { x, ...weights(dtype) }))[0]!
      const { y } = await runOrt(model, { x })
      expect(y!.dims).toEqual([rows, 2])
      expectClose(y!.data, expected.data, dtype === 'f32' ? 1e-6 : 1e-14, `${rows} rows`)
    }
  })

  it.each(['f32', 'f64'] as const)('exports a whole training step: loss, gradients and updated parameters (%s)', async (dtype) => {
    const built = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [4, 3], dtype)
      const t = b.input('t', [4, 2], dtype)
      const W = b.param('W', [3, 2], dtype)
      const logits = b.matmul(x, W)
      const loss = b.sum(b.neg(b.mul(t, b.logSoftmax(logits, 1))))
      return { W, loss }
    })
    const g = right(grad(built.graph, built.result.loss, [built.result.W]))
    const step = buildOrThrow(g.graph, (b) => b.sub(built.result.W, b.mul(b.input('lr', [], dtype), g.gradients[0]!)))
    const outputs = [built.result.loss, g.gradients[0]!, step.result]
    const feeds = {
      x: tensor(values(12, 5), [4, 3], dtype),
      t: tensor([1, 0, 0, 1, 1, 0, 0, 1], [4, 2], dtype),
      W: tensor(values(6, 6), [3, 2], dtype),
      lr: tensor([0.1], [], dtype),
    }
    const expected = right(evaluate(step.graph, outputs, feeds))
    const model = right(toOnnx(step.graph, outputs, { outputNames: ['loss', 'dW', 'W_next'] }))
    expect(model.inputs.map((v) => v.name)).toEqual(['x', 't', 'W', 'lr'])
    const out = await runOrt(model, feeds)
    const rtol = dtype === 'f32' ? 1e-5 : 1e-13
    ;['loss', 'dW', 'W_next'].forEach((name, i) => expectClose(out[name]!.data, expected[i]!.data, rtol, name))
  })

  it.each(['f32', 'f64'] as const)('reads transposed factors through Gemm\'s flags: a layer\'s training step has no Transpose node (%s)', async (dtype) => {
    // y = x W^T, whose gradient symbolic differentiation writes as (x^T g)^T; V reaches its product through three transposes.
    const layer = (rows: number) => {
      const built = buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', [rows, 3], dtype)
        const W = b.param('W', [4, 3], dtype)
        const y = b.tanh(b.matmul(x, b.transpose(W)))
        const z = b.matmul(y, b.transpose(b.transpose(b.transpose(b.input('V', [2, 4], dtype)))))
        return { W, loss: b.sum(b.mul(z, z)) }
      })
      const g = right(grad(built.graph, built.result.loss, [built.result.W]))
      const step = buildOrThrow(g.graph, (b) => b.sub(built.result.W, b.mul(b.input('lr', [], dtype), g.gradients[0]!)))
      return { graph: step.graph, outputs: [built.result.loss, g.gradients[0]!, step.result] }
    }
    for (const rows of [1, 5]) {
      const { graph, outputs } = layer(rows)
      const model = right(toOnnx(graph, outputs, { outputNames: ['loss', 'dW', 'W_next'] }))
      const ops = decodeModel(model.bytes).graph.node.map((n) => n.op_type)
      expect(ops).not.toContain('Transpose')
      expect(ops).toContain('Gemm')
      const feeds = { x: tensor(values(rows * 3, 7), [rows, 3], dtype), W: tensor(values(12, 8), [4, 3], dtype), V: tensor(values(8, 9), [2, 4], dtype), lr: tensor([0.1], [], dtype) }
      const expected = right(evaluate(graph, outputs, feeds))
      const out = await runOrt(model, feeds)
      const rtol = dtype === 'f32' ? 1e-5 : 1e-13
      ;['loss', 'dW', 'W_next'].forEach((name, i) => expectClose(out[name]!.data, expected[i]!.data, rtol, `${rows} rows, ${name}`))
    }
  })

  it.each(['f32', 'f64'] as const)('writes a layer\'s x W^T + b as one Gemm with the bias as C, and the bias gradient as one ReduceSum (%s)', async (dtype) => {
    const built = buildOrThrow(emptyGraph, (b) => {
      const W = b.param('W', [4, 3], dtype)
      const bias = b.param('b', [4], dtype)
      const y = b.tanh(b.add(b.matmul(b.input('x', [5, 3], dtype), b.transpose(W)), bias))
      return { W, bias, loss: b.sum(b.mul(y, y)) }
    })
    const { W, bias, loss } = built.result
    const g = right(grad(built.graph, loss, [W, bias]))
    const outputs = [loss, ...g.gradients]
    const model = right(toOnnx(g.graph, outputs, { outputNames: ['loss', 'dW', 'db'] }))
    const nodes = decodeModel(model.bytes).graph.node
    const biased = nodes.find((n) => n.op_type === 'Gemm' && n.input.length === 3)
    expect(biased?.input).toEqual(['x', 'W', 'b'])
    // Nothing adds the bias again: the Gemm's output goes to tanh.
    expect(nodes.filter((n) => n.input.includes(biased!.output[0]!)).map((n) => n.op_type)).toEqual(['Tanh'])
    // db is a ReduceSum that drops the batch axis itself, with no Reshape after it.
    const producer = (value: string) => nodes.find((n) => n.output.includes(value))!
    const db = producer('db')
    expect(db.op_type).toBe('ReduceSum')
    expect(db.attribute.find((a) => a.name === 'keepdims')?.i).toBe(0)
    const feeds = { x: tensor(values(15, 5), [5, 3], dtype), W: tensor(values(12, 6), [4, 3], dtype), b: tensor(values(4, 7), [4], dtype) }
    const expected = right(evaluate(g.graph, outputs, feeds))
    const out = await runOrt(model, feeds)
    const rtol = dtype === 'f32' ? 1e-5 : 1e-13
    ;['loss', 'dW', 'db'].forEach((name, i) => expectClose(out[name]!.data, expected[i]!.data, rtol, name))
    expect(out['db']!.dims).toEqual([4])
  })

  it('keeps the Transpose of a product that something else reads, and writes no node that no output needs', async () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const p = b.matmul(b.input('a', [2, 3]), b.input('b', [3, 2]))
      return [p, b.transpose(p)]
    })
    const model = right(toOnnx(graph, result, { outputNames: ['p', 'pT'] }))
    expect(decodeModel(model.bytes).graph.node.map((n) => n.op_type)).toEqual(['MatMul', 'Transpose'])
    const out = await runOrt(model, { a: tensor([1, 2, 3, 4, 5, 6], [2, 3]), b: tensor([1, 0, 0, 1, 1, 1], [3, 2]) })
    expect(out['p']!.data).toEqual([4, 5, 10, 11])
    expect(out['pT']!.data).toEqual([4, 10, 5, 11])
  })

  it('names each output at the node that writes it, read by other nodes too, and copies only a model input, a constant or a value named twice', async () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [2, 2])
      const y = b.exp(x)
      // y is an output that another node reads, as an updated weight that a check reads.
      return [y, b.sum(y), y, x, b.scalar(3)]
    })
    const model = right(toOnnx(graph, result, { outputNames: ['y', 'total', 'again', 'echo', 'three'] }))
    const nodes = decodeModel(model.bytes).graph.node
    expect(nodes.map((n) => [n.op_type, n.input[0], n.output[0]])).toEqual([
      ['Exp', 'x', 'y'],
      ['ReduceSum', 'y', 'total'],
      ['Identity', 'y', 'again'],
      ['Identity', 'x', 'echo'],
      ['Identity', expect.stringMatching(/^const_/), 'three'],
    ])
    const x = [0, 1, -1, 0.5]
    const out = await runOrt(model, { x: tensor(x, [2, 2]) })
    expectClose(out['y']!.data, x.map(Math.exp), 1e-15, 'y')
    expectClose(out['total']!.data, [x.map(Math.exp).reduce((a, v) => a + v)], 1e-15, 'total')
    expect(out['again']!.data).toEqual(out['y']!.data)
    expect(out['echo']!.data).toEqual(x)
    expect(out['three']!.data).toEqual([3])
  })

  it.each(['f32', 'f64'] as const)('writes an SGD step W - lr (x^T g)^T as one Gemm accumulating onto W, with lr scaling the smaller factor (%s)', async (dtype) => {
    const step = (returnGradient: boolean) => {
      const built = buildOrThrow(emptyGraph, (b) => {
        const W = b.param('W', [4, 30], dtype)
        const y = b.tanh(b.matmul(b.input('x', [5, 30], dtype), b.transpose(W)))
        return { W, loss: b.sum(b.mul(y, y)) }
      })
      const g = right(grad(built.graph, built.result.loss, [built.result.W]))
      const next = buildOrThrow(g.graph, (b) => b.sub(built.result.W, b.mul(b.input('lr', [], dtype), g.gradients[0]!)))
      return { graph: next.graph, outputs: [built.result.loss, next.result, ...(returnGradient ? g.gradients : [])] }
    }
    const { graph, outputs } = step(false)
    const model = right(toOnnx(graph, outputs, { outputNames: ['loss', 'W_next'] }))
    const nodes = decodeModel(model.bytes).graph.node
    const update = nodes.find((n) => n.output[0] === 'W_next')!
    expect(update.op_type).toBe('Gemm')
    expect(update.input[2]).toBe('W')
    // W is read by the forward product and the update, nothing else.
    expect(nodes.filter((n) => n.input.includes('W')).map((n) => n.op_type)).toEqual(['Gemm', 'Gemm'])
    const floats = Object.fromEntries(update.attribute.filter((a) => a.name === 'alpha' || a.name === 'beta').map((a) => [a.name, a.f]))
    expect(floats).toEqual({ alpha: -1, beta: 1 })
    // lr scales the [5, 4] backpropagated gradient, not x ([5, 30]) nor the [4, 30] product.
    const scaling = nodes.find((n) => n.output[0] === update.input[0] || n.output[0] === update.input[1])!
    expect(scaling.op_type).toBe('Mul')
    expect(scaling.input).toContain('lr')
    expect(scaling.input).not.toContain('x')
    const feeds = { x: tensor(values(150, 3), [5, 30], dtype), W: tensor(values(120, 4), [4, 30], dtype), lr: tensor([0.1], [], dtype) }
    const expected = right(evaluate(graph, outputs, feeds))
    const out = await runOrt(model, feeds)
    const rtol = dtype === 'f32' ? 1e-6 : 1e-15
    ;['loss', 'W_next'].forEach((name, i) => expectClose(out[name]!.data, expected[i]!.data, rtol, name))
    // A gradient that is an output itself is computed once, and subtracted.
    const kept = step(true)
    const keptNodes = decodeModel(right(toOnnx(kept.graph, kept.outputs, { outputNames: ['loss', 'W_next', 'dW'] })).bytes).graph.node
    expect(keptNodes.find((n) => n.output[0] === 'W_next')?.op_type).toBe('Sub')
  })

  describe('sum(0 * x), a finiteness check', () => {
    const check = (shape: readonly number[], dtype: DType, keepdims = false) =>
      buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', shape, dtype)
        return b.sum(b.mul(b.scalar(0, dtype), x), undefined, keepdims)
      })

    it('is a product with a row of zeros, not a zero times every element', () => {
      const opTypes = (shape: readonly number[], keepdims = false, batchInputs: string[] = []) => {
        const { graph, result } = check(shape, 'f32', keepdims)
        return decodeModel(right(toOnnx(graph, [result], { batchInputs })).bytes).graph.node.map((n) => n.op_type)
      }
      expect(opTypes([7, 5])).toEqual(['MatMul', 'ReduceSum'])
      expect(opTypes([7])).toEqual(['MatMul'])
      // Rows known only at run time: the elementwise form.
      expect(opTypes([7, 5], false, ['x'])).toEqual(['Mul', 'ReduceSum'])
    })

    it.each(['f32', 'f64'] as const)('is NaN in ONNX Runtime exactly when some element is NaN or infinite, whatever the magnitudes (%s)', async (dtype) => {
      const huge = dtype === 'f32' ? 3e38 : 1.7e308
      // A weight-sized matrix too: the product's kernel works in blocks, and every block must be read.
      for (const [shape, keepdims] of [[[3, 4], false], [[3, 4], true], [[12], false], [[12], true], [[130, 790], false]] as const) {
        const n = shape.reduce((a: number, d) => a * d, 1)
        const { graph, result } = check(shape, dtype, keepdims)
        const model = right(toOnnx(graph, [result], { outputNames: ['check'] }))
        const run = async (data: number[]) => (await runOrt(model, { x: tensor(data, shape, dtype) }))['check']!
        // Finite values whose plain sum overflows give no false alarm.
        const finite = await run(Array.from({ length: n }, (_, i) => (i % 2 ? huge : -huge * (i / n))))
        expect(finite.data.map(Math.abs)).toEqual([0])
        expect(finite.dims).toEqual(keepdims ? shape.map(() => 1) : [])
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          for (const at of [0, n >> 1, n - 1]) {
            const data = Array.from({ length: n }, (_, i) => (i === at ? bad : (i % 13) - 6))
            expect((await run(data)).data, `${bad} at ${at} of ${shape} (keepdims ${keepdims})`).toEqual([Number.NaN])
          }
        }
      }
    })
  })

  it('writes Tan and Softplus in float64 with ops that ONNX Runtime has double kernels for, keeping small values', async () => {
    const build = (dtype: DType) => buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [6], dtype)
      return [b.tan(x), b.softplus(x)]
    })
    const opTypes = (dtype: DType) => decodeModel(right(toOnnx(build(dtype).graph, build(dtype).result)).bytes).graph.node.map((n) => n.op_type)
    expect(opTypes('f32')).toEqual(expect.arrayContaining(['Tan', 'Softplus']))
    expect(opTypes('f64')).not.toEqual(expect.arrayContaining(['Tan']))
    expect(opTypes('f64')).not.toContain('Softplus')
    const x = [-40, -10, -1e-3, 0, 3, 40]
    const { graph, result } = build('f64')
    const out = await runOrt(right(toOnnx(graph, result, { outputNames: ['tan', 'softplus'] })), { x: tensor(x, [6]) })
    expectClose(out['tan']!.data, x.map(Math.tan), 1e-14, 'tan')
    const softplus = x.map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))))
    out['softplus']!.data.forEach((v, i) => expect(Math.abs(v - softplus[i]!)).toBeLessThanOrEqual(4e-16 * Math.abs(softplus[i]!)))
  })
})

describe('erf', () => {
  it.each(['f32', 'f64'] as const)('runs in ONNX Runtime as the op table computes it (%s)', async (dtype) => {
    const x = [-3, -1, -1e-3, 0, 0.5, 1.4, 2, 7]
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.erf(b.input('x', [x.length], dtype)))
    const out = await runOrt(right(toOnnx(graph, [result], { outputNames: ['y'] })), { x: tensor(x, [x.length], dtype) })
    const expected = right(evaluate(graph, [result], { x: tensor(x, [x.length], dtype) }))[0]!.data
    expectClose(out['y']!.data, expected, dtype === 'f32' ? 1e-6 : 1e-15, 'erf')
  })
})

describe('toOnnx errors', () => {
  const failure = (build: (b: Builder) => NodeId | NodeId[], options: ExportOptions = {}) => {
    const { graph, result } = buildOrThrow(emptyGraph, build)
    const exported = toOnnx(graph, Array.isArray(result) ? result : [result], options)
    return E.isLeft(exported) ? exported.left : undefined
  }

  it('name the op and node that cannot carry the dynamic batch axis', () => {
    const moved = failure((b) => b.transpose(b.input('x', [4, 3])), { batchInputs: ['x'] })
    expect(moved).toMatchObject({ _tag: 'Unexportable', op: 'transpose', node: 1 })
    expect(moved?.message).toBe('cannot export node #1 (transpose): the transpose [1,0] moves the batch axis off axis 0')
    const stray = failure((b) => b.add(b.input('x', [4, 3]), b.param('p', [4, 3])), { batchInputs: ['x'] })
    expect(stray?.message).toBe('cannot export node #2 (add): operand #1 (param [4,3]) meets the batch axis but does not depend on a batch input')
    expect(failure((b) => b.reshape(b.input('x', [4, 3]), [12]), { batchInputs: ['x'] })?.message).toContain('(reshape): [4,3] -> [12] changes the batch axis 0')
  })

  it('reject requests that do not fit the graph', () => {
    expect(failure((b) => b.exp(b.input('x', [2])), { outputNames: ['x'] })?.message).toBe(
      "the name 'x' is used twice among the model's inputs and outputs",
    )
    expect(failure((b) => b.exp(b.param('W', [2])), { values: { W: tensor([1, 2, 3], [3]) } })?.message).toBe(
      "the value given for 'W' is [3] f64 with 3 elements but the graph's param is [2] f64",
    )
    expect(failure((b) => b.exp(b.input('x', [2])), { batchInputs: ['z'] })?.message).toBe("batch input 'z' is not an input the outputs depend on")
    const { graph } = buildOrThrow(emptyGraph, (b) => b.input('x', [2]))
    expect(E.isLeft(toOnnx(graph, [7])) && toOnnx(graph, [7])).toMatchObject({ left: { _tag: 'BadRequest' } })
  })
})

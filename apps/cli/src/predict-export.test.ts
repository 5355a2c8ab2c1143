import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { run } from './run.js'

const backprop = async (...argv: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const status = await run(argv, (l) => out.push(l), (l) => err.push(l))
  return { status, out, err }
}

const dir = mkdtempSync(join(tmpdir(), 'backprop-model-'))
const file = (name: string, text: string): string => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** A deterministic two-feature, three-class problem. */
const classifierCsv = (rows: number, seed: number): string => {
  const lines = ['height,width,kind']
  for (let i = 0; i < rows; i++) {
    const h = 10 + 5 * Math.sin(seed + i * 1.7)
    const w = 200 + 80 * Math.cos(seed * 3 + i * 0.9)
    const kind = h + (w - 200) / 16 > 12 ? 'large' : h > 8 ? 'medium' : 'small'
    lines.push(`${h.toFixed(3)},${w.toFixed(2)},${kind}`)
  }
  return `${lines.join('\n')}\n`
}

/** Rows to predict: the features in another order, among other columns, no target. */
const rowsCsv = (rows: number): { text: string; x: number[][] } => {
  const x: number[][] = []
  const lines = ['width,note,height']
  for (let i = 0; i < rows; i++) {
    const h = 9 + 4 * Math.cos(i)
    const w = 190 + 70 * Math.sin(2 * i)
    x.push([h, w])
    lines.push(`${w},row ${i},${h}`)
  }
  return { text: `${lines.join('\n')}\n`, x }
}

interface Prediction {
  readonly row: number
  readonly outputs: number[]
  readonly class?: string
}

/** Runs the exported ONNX file in ONNX Runtime on raw feature rows; y row by row. */
const runOnnx = async (path: string, x: number[][], dtype: 'f32' | 'f64'): Promise<{ dims: readonly number[]; y: number[][] }> => {
  const session = await ort.InferenceSession.create(path)
  const data = dtype === 'f32' ? Float32Array.from(x.flat()) : Float64Array.from(x.flat())
  const { y } = await session.run({ x: new ort.Tensor(dtype === 'f32' ? 'float32' : 'float64', data, [x.length, x[0]!.length]) })
  await session.release()
  const K = y!.dims[1]!
  const values = Array.from(y!.data as Float32Array)
  return { dims: y!.dims, y: x.map((_, i) => values.slice(i * K, (i + 1) * K)) }
}

const expectRowsClose = (actual: number[][], expected: number[][], rtol: number): void => {
  expect(actual.length).toBe(expected.length)
  actual.forEach((row, i) =>
    row.forEach((v, k) => expect(Math.abs(v - expected[i]![k]!), `row ${i + 1}, output ${k + 1}: ${v} vs ${expected[i]![k]}`).toBeLessThanOrEqual(rtol * Math.abs(expected[i]![k]!) + 1e-12)),
  )
}

describe('models that leave: train --checkpoint, predict, export', () => {
  const data = file('shapes.csv', classifierCsv(150, 1))
  const rows = rowsCsv(9)
  const rowsFile = file('rows.csv', rows.text)

  it('writes a self-describing model file, and predict applies it to raw rows found by column name', async () => {
    const model = join(dir, 'classifier.json')
    const trained = await backprop(
      'train', '--dataset', data, '--target', 'kind', '--layers', '2,6,3', '--hidden', 'tanh', '--optimizer', 'adam',
      '--lr', '0.05', '--batch', '16', '--epochs', '20', '--seed', '3', '--checkpoint', model, '--json',
    )
    expect(trained.err).toEqual([])
    const file = JSON.parse(readFileSync(model, 'utf8')) as Record<string, unknown>
    expect(file['format']).toBe('backprop-model')
    expect(file['architecture']).toEqual({ kind: 'layered', sizes: [2, 6, 3], activations: ['tanh', 'softmax'], loss: 'softmax-cross-entropy' })
    expect(file['features']).toEqual(['height', 'width'])
    expect([...(file['classes'] as string[])].sort()).toEqual(['large', 'medium', 'small'])
    expect(file['dtype']).toBe('f32')
    expect((file['training'] as Record<string, unknown>)['optimizer']).toBe('adam')

    const predicted = await backprop('predict', '--model', model, '--input', rowsFile, '--json')
    expect(predicted.err).toEqual([])
    const lines = predicted.out.map((l) => JSON.parse(l) as Prediction)
    expect(lines.map((l) => l.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])

    // The same network by plain loops from the file's own numbers: scale, tanh layer, softmax layer.
    const params = file['params'] as Record<string, { data: number[] }>
    const { offset, scale } = file['scaling'] as { offset: number[]; scale: number[] }
    const classes = file['classes'] as string[]
    rows.x.forEach((raw, i) => {
      const z = raw.map((v, j) => (Math.fround(v) - offset[j]!) / scale[j]!)
      const h = [0, 1, 2, 3, 4, 5].map((u) => Math.tanh(params['b1']!.data[u]! + z.reduce((s, v, j) => s + v * params['W1']!.data[u * 2 + j]!, 0)))
      const a = [0, 1, 2].map((k) => params['b2']!.data[k]! + h.reduce((s, v, u) => s + v * params['W2']!.data[k * 6 + u]!, 0))
      const e = a.map((v) => Math.exp(v - Math.max(...a)))
      const y = e.map((v) => v / e.reduce((s, w) => s + w, 0))
      expectRowsClose([lines[i]!.outputs], [y], 1e-5)
      expect(lines[i]!.class).toBe(classes[y.indexOf(Math.max(...y))])
    })

    // An ONNX file that ONNX Runtime runs on the same rows to the same outputs.
    const onnxPath = join(dir, 'classifier.onnx')
    const exported = await backprop('export', '--model', model, '--format', 'onnx', '--out', onnxPath)
    expect(exported.err).toEqual([])
    expect(exported.status).toBe(0)
    const onnx = await runOnnx(onnxPath, rows.x, 'f32')
    expect(onnx.dims).toEqual([9, 3])
    expectRowsClose(onnx.y, lines.map((l) => l.outputs), 1e-5)
    // and on a single row: the batch axis is dynamic
    expectRowsClose((await runOnnx(onnxPath, rows.x.slice(2, 3), 'f32')).y, [lines[2]!.outputs], 1e-5)
  })

  it('exports a float64 regression and a general --net network that ONNX Runtime runs like predict', async () => {
    const regression = file('reg.csv', `a,b,y\n${Array.from({ length: 60 }, (_, i) => `${i / 7},${Math.sin(i)},${(i / 7) * 0.5 - Math.sin(i)}`).join('\n')}\n`)
    const net = file('net.json', JSON.stringify({
      inputs: 2,
      units: [{ activation: 'tanh', in: [1, 2] }, { activation: 'relu', in: [1, 3] }, { activation: 'linear', in: [2, 3, 4] }],
      outputs: [5],
      loss: 'sse',
    }))
    const input = file('reg-rows.csv', 'b,a\n0.5,1\n-0.25,3\n2,0\n')
    const x = [[1, 0.5], [3, -0.25], [0, 2]]
    for (const [name, shape] of [['layered', ['--layers', '2,5,1', '--loss', 'sse']], ['net', ['--net', net]]] as const) {
      const model = join(dir, `reg-${name}.json`)
      const trained = await backprop('train', '--dataset', regression, '--target', 'y', ...shape, '--dtype', 'f64', '--epochs', '5', '--checkpoint', model, '--json')
      expect(trained.err).toEqual([])
      const predicted = (await backprop('predict', '--model', model, '--input', input, '--json')).out.map((l) => JSON.parse(l) as Prediction)
      expect(predicted.map((p) => p.class)).toEqual([undefined, undefined, undefined])
      const onnxPath = join(dir, `reg-${name}.onnx`)
      expect((await backprop('export', '--model', model, '--out', onnxPath)).status).toBe(0)
      expectRowsClose((await runOnnx(onnxPath, x, 'f64')).y, predicted.map((p) => p.outputs), 1e-12)
    }
  })

  it('answers bad input with one error line and status 2', async () => {
    const model = join(dir, 'small.json')
    await backprop('train', '--dataset', data, '--target', 'kind', '--layers', '2,3,3', '--epochs', '1', '--checkpoint', model, '--json')
    const text = readFileSync(model, 'utf8')
    const failure = async (...argv: string[]) => {
      const r = await backprop(...argv)
      expect(r.status).toBe(2)
      expect(r.err).toHaveLength(1)
      return r.err[0]!
    }
    const corrupt = file('corrupt.json', text.slice(0, 200))
    expect(await failure('predict', '--model', corrupt, '--input', rowsFile)).toMatch(/^error: .*corrupt\.json: not a model file: invalid JSON/)
    const future = file('future.json', text.replace('"version":1', '"version":9'))
    expect(await failure('export', '--model', future, '--out', join(dir, 'x.onnx'))).toContain('future.json: unsupported backprop-model version 9; this build reads version 1')
    const otherRows = file('other.csv', 'height,depth\n1,2\n')
    expect(await failure('predict', '--model', model, '--input', otherRows)).toContain("other.csv: no column 'width' in the header; the model's features are height, width")
    const notNumber = file('nan.csv', 'height,width\n1,wide\n')
    expect(await failure('predict', '--model', model, '--input', notNumber)).toContain("nan.csv line 2, column 2: 'wide' in column 'width' is not a number")
    const bad = file('bad-arch.json', text.replace('"sizes":[2,3,3]', '"sizes":[2,3]'))
    expect(await failure('predict', '--model', bad, '--input', rowsFile)).toContain('bad-arch.json')
  })

  it('still reads parameter-only checkpoints of older builds: they resume training, but predict asks for a model file', async () => {
    const model = JSON.parse(readFileSync(join(dir, 'small.json'), 'utf8')) as { params: unknown }
    const old = file('old.json', JSON.stringify({ format: 'backprop-params', version: 1, params: model.params }))
    const resumed = await backprop('train', '--dataset', data, '--target', 'kind', '--layers', '2,3,3', '--epochs', '1', '--resume', old, '--json')
    expect(resumed.err).toEqual([])
    expect(resumed.status).toBe(0)
    const r = await backprop('predict', '--model', old, '--input', rowsFile)
    expect(r.status).toBe(2)
    expect(r.err[0]).toContain('old.json: holds parameters only')
  })
})

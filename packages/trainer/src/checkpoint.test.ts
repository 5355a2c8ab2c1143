import * as E from 'fp-ts/lib/Either.js'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AtomicIo, nodeIo } from './atomic-write.js'
import { decodeParams, encodeParams, loadParams, saveParams } from './checkpoint.js'
import type { Params } from './params.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trainer-checkpoint-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const params: Params = {
  W1: { shape: [2, 3], dtype: 'f64', data: Float64Array.of(0.1, -2.5e-300, 1 / 3, Math.PI, -0, 1e21) },
  b1: { shape: [2], dtype: 'f32', data: Float32Array.of(0.1, -7.25) },
  s: { shape: [], dtype: 'f64', data: Float64Array.of(42) },
}

const otherParams: Params = { W1: { shape: [1], dtype: 'f64', data: Float64Array.of(9) } }

describe('encode and decode', () => {
  it('round-trips every value bit for bit, f64 and f32', () => {
    const decoded = decodeParams(encodeParams(params), 'x.json')
    expect(E.isRight(decoded)).toBe(true)
    const back = (decoded as E.Right<Params>).right
    expect(Object.keys(back)).toEqual(['W1', 'b1', 's'])
    expect(back['W1']!.data).toBeInstanceOf(Float64Array)
    expect(back['b1']!.data).toBeInstanceOf(Float32Array)
    expect(back['s']!.shape).toEqual([])
    for (const name of Object.keys(params)) {
      const a = params[name]!.data
      const b = back[name]!.data
      expect(b.length).toBe(a.length)
      // compare the exact values (0 and -0 are the same number to a backend)
      for (let i = 0; i < a.length; i++) expect(b[i] === a[i]).toBe(true)
    }
  })

  it('writes the documented JSON layout', () => {
    const json = JSON.parse(encodeParams({ b: { shape: [2], dtype: 'f64', data: Float64Array.of(1.5, -2) } }))
    expect(json).toEqual({ format: 'backprop-params', version: 1, params: { b: { shape: [2], dtype: 'f64', data: [1.5, -2] } } })
  })

  it.each([
    ['invalid JSON', '{"format": "backprop-params", "version": 1, "params": {"W": {"shape": [2]', /invalid JSON/],
    ['another format', '{"format": "something", "version": 1, "params": {}}', /not a model file: expected "format": "backprop-model"/],
    ['a future version', '{"format": "backprop-params", "version": 2, "params": {}}', /unsupported backprop-params version 2; this build reads version 1/],
    ['no params', '{"format": "backprop-params", "version": 1}', /no "params" object/],
    ['a bad shape', '{"format":"backprop-params","version":1,"params":{"W":{"shape":[2,-1],"dtype":"f64","data":[]}}}', /'W' has no valid shape/],
    ['a bad dtype', '{"format":"backprop-params","version":1,"params":{"W":{"shape":[1],"dtype":"i32","data":[1]}}}', /'W' has dtype "i32"/],
    ['too few values', '{"format":"backprop-params","version":1,"params":{"W":{"shape":[2,2],"dtype":"f64","data":[1,2,3]}}}', /holds 3 values but shape \[2,2\] needs 4/],
    ['a non-number', '{"format":"backprop-params","version":1,"params":{"W":{"shape":[2],"dtype":"f64","data":[1,"2"]}}}', /'W' has no data/],
    ['an f32 overflow', '{"format":"backprop-params","version":1,"params":{"W":{"shape":[1],"dtype":"f32","data":[1e300]}}}', /element 0 is not finite/],
  ])('rejects %s with a message naming the file', (_what, text, message) => {
    const decoded = decodeParams(text, 'ck.json')
    expect(E.isLeft(decoded)).toBe(true)
    const error = (decoded as E.Left<{ _tag: string; message: string; path: string }>).left
    expect(error._tag).toBe('CheckpointError')
    expect(error.path).toBe('ck.json')
    expect(error.message).toMatch(/^ck\.json: /)
    expect(error.message).toMatch(message)
  })
})

describe('saveParams and loadParams', () => {
  it('save then load gives the same parameters', async () => {
    const path = join(dir, 'model.json')
    expect(await saveParams(path, params)).toEqual(E.right(path))
    const loaded = loadParams(path)
    expect(E.isRight(loaded) && loaded.right['b1']!.data).toEqual(params['b1']!.data)
    expect(readdirSync(dir)).toEqual(['model.json']) // no temporary file left behind
  })

  it('a missing file is a clear Left', () => {
    const loaded = loadParams(join(dir, 'absent.json'))
    expect(loaded).toEqual(E.left(expect.objectContaining({ _tag: 'CheckpointError', message: `${join(dir, 'absent.json')}: no such file` })))
  })

  it('a truncated file (a torn write) is rejected, not half-loaded', () => {
    const path = join(dir, 'torn.json')
    const text = encodeParams(params)
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)))
    const loaded = loadParams(path)
    expect(E.isLeft(loaded) && loaded.left.message).toMatch(/invalid JSON/)
  })

  it('never writes NaN or infinite parameters', async () => {
    const path = join(dir, 'nan.json')
    const saved = await saveParams(path, { w: { shape: [2], dtype: 'f64', data: Float64Array.of(1, NaN) } })
    expect(E.isLeft(saved) && saved.left.message).toMatch(/not written: parameter 'w' element 1 is NaN/)
    expect(existsSync(path)).toBe(false)
  })

  it('writes a temporary file in the same directory, flushed, then renames it over the target', async () => {
    const calls: string[] = []
    const io: AtomicIo = {
      writeFile: async (path, text) => {
        calls.push(`write ${path}`)
        await nodeIo.writeFile(path, text)
      },
      rename: async (from, to) => {
        calls.push(`rename ${from} -> ${to}`)
        await nodeIo.rename(from, to)
      },
      unlink: async (path) => {
        calls.push(`unlink ${path}`)
        await nodeIo.unlink(path)
      },
    }
    const path = join(dir, 'model.json')
    await saveParams(path, params, { io })
    expect(calls).toHaveLength(2)
    const temp = calls[0]!.slice('write '.length)
    expect(temp).not.toBe(path)
    expect(dirname(temp)).toBe(dir)
    expect(calls[1]).toBe(`rename ${temp} -> ${path}`)
    expect(existsSync(temp)).toBe(false)
  })

  it('a crash mid-write leaves the previous checkpoint intact and removes the temporary file', async () => {
    const path = join(dir, 'model.json')
    await saveParams(path, otherParams)
    const before = readFileSync(path, 'utf8')
    const crashing: AtomicIo = {
      ...nodeIo,
      writeFile: async (temp, text) => {
        // half the bytes reach the disk, then the process "dies"
        writeFileSync(temp, text.slice(0, text.length >> 1))
        throw new Error('disk full')
      },
    }
    const saved = await saveParams(path, params, { io: crashing })
    expect(E.isLeft(saved) && saved.left.message).toBe(`${path}: cannot write the checkpoint: disk full`)
    expect(readFileSync(path, 'utf8')).toBe(before)
    expect(readdirSync(dir)).toEqual(['model.json'])
    expect(loadParams(path)).toEqual(E.right(otherParams))
  })

  it('a failed rename also leaves the previous checkpoint intact', async () => {
    const path = join(dir, 'model.json')
    await saveParams(path, otherParams)
    const io: AtomicIo = { ...nodeIo, rename: async () => Promise.reject(new Error('rename refused')) }
    const saved = await saveParams(path, params, { io })
    expect(E.isLeft(saved)).toBe(true)
    expect(loadParams(path)).toEqual(E.right(otherParams))
    expect(readdirSync(dir)).toEqual(['model.json'])
  })
})

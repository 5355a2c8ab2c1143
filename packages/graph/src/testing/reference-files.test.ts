import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { referenceCases, referenceDirs, referenceFiles, vendoredDir } from './reference-files.js'

const extra = mkdtempSync(join(tmpdir(), 'reference-'))
const other = mkdtempSync(join(tmpdir(), 'reference-'))
afterAll(() => [extra, other].forEach((dir) => rmSync(dir, { recursive: true, force: true })))

// A copy of a vendored file (read once) and a file of cases of its own.
writeFileSync(join(extra, 'copy.json'), readFileSync(join(vendoredDir, 'scalar-random.json'), 'utf8'))
const own = { kind: 'scalar-expressions', cases: [{ id: 'square', expr: 'x^2', vars: ['x'], points: [] }] }
writeFileSync(join(extra, 'own.json'), JSON.stringify(own))

describe('reference folders', () => {
  it('always start with the vendored cases, which include every kind', () => {
    const files = referenceFiles([vendoredDir])
    expect(new Set(files.map((f) => f.kind))).toEqual(new Set(['scalar-expressions', 'layered-networks', 'feedforward-networks']))
    expect(files.map((f) => f.name)).toContain(join('reference', 'scalar-classic.json'))
  })

  it('add the folders BACKPROP_REFERENCE_DIR names, in order, after the vendored ones', () => {
    expect(referenceDirs(`${extra}${delimiter}${other}`)).toEqual([vendoredDir, extra, other])
  })

  it('refuse a named folder that does not exist', () => {
    expect(() => referenceDirs(join(extra, 'missing'))).toThrow(/missing, which does not exist/)
  })

  it('read a file that repeats one already read once, and keep the others', () => {
    const names = referenceFiles([vendoredDir, extra]).map((f) => f.name)
    expect(names.filter((n) => n.endsWith('copy.json'))).toEqual([])
    expect(names.filter((n) => n.endsWith('own.json'))).toHaveLength(1)
  })

  it('prefix case ids with the file they come from', () => {
    const cases = referenceCases<{ id: string }>('scalar-expressions', referenceFiles([extra]))
    expect(cases.map((c) => c.id)).toContain(`${referenceFiles([extra]).find((f) => f.name.endsWith('own.json'))!.name}: square`)
  })
})

import { describe, expect, it } from 'vitest'
import { examples, runExamples } from './cli.js'
import type { Terminal } from './live.js'

/** A terminal that records what it is given. */
const recorder = (isTTY = false) => {
  const out: string[] = []
  const errors: string[] = []
  const term: Terminal = { write: (text) => out.push(text), error: (line) => errors.push(line), isTTY }
  return { term, out, errors, text: () => out.join('') }
}

describe('runExamples', () => {
  it('lists every example without an argument', async () => {
    const { term, text, errors } = recorder()
    expect(await runExamples([], term)).toBe(0)
    for (const name of ['linear-regression', 'logsig-neuron', 'xor', 'mnist-curve', 'newton', 'skip-l2', 'deltas', 'general-network', 'vanishing-gradients']) expect(text()).toContain(`  ${name} `)
    expect(examples.map((e) => e.name)).toEqual(['linear-regression', 'logsig-neuron', 'xor', 'mnist-curve', 'newton', 'skip-l2', 'deltas', 'general-network', 'vanishing-gradients'])
    expect(errors).toEqual([])
  })

  it('refuses an unknown name and extra arguments with one line and status 2', async () => {
    const unknown = recorder()
    expect(await runExamples(['xr'], unknown.term)).toBe(2)
    expect(unknown.errors).toEqual(["error: unknown example 'xr'; expected one of linear-regression, logsig-neuron, xor, mnist-curve, newton, skip-l2, deltas, general-network, vanishing-gradients"])
    expect(unknown.out).toEqual([])
    const extra = recorder()
    expect(await runExamples(['xor', 'more'], extra.term)).toBe(2)
    expect(extra.errors).toHaveLength(1)
    expect(extra.errors[0]).toMatch(/^error: expected one example name, got 2 arguments/)
  })

  it('runs xor and prints its loss curve, truth table and conclusion', async () => {
    const { term, text, errors } = recorder()
    expect(await runExamples(['xor'], term)).toBe(0)
    expect(errors).toEqual([])
    const lines = text().split('\n')
    expect(lines.some((l) => /^\s*\S+ \+\*/.test(l))).toBe(true) // the chart's first point, on a labelled row
    expect(lines).toContain('x1 x2 | t | y')
    expect(lines.filter((l) => /^ [01] {2}[01] \| [01] \| 0\.\d{4}$/.test(l))).toHaveLength(4)
    expect(text()).toMatch(/4\/4 patterns classified correctly; the loss fell from \S+ to \S+\n$/)
  })

  it('runs linear-regression and ends with the comparison against least squares', async () => {
    const { term, text } = recorder()
    expect(await runExamples(['linear-regression'], term)).toBe(0)
    const last = text().trimEnd().split('\n').at(-1)!
    const match = /^batch GD w = \[(.*)\], SGD w = \[(.*)\], least squares w\* = \[(.*)\]: max difference (\S+)$/.exec(last)
    expect(match).not.toBeNull()
    const [gd, sgd, star] = [match![1]!, match![2]!, match![3]!].map((v) => v.split(', ').map(Number))
    for (const w of [gd!, sgd!]) w.forEach((v, i) => expect(Math.abs(v - star![i]!)).toBeLessThan(1e-4))
    expect(Number(match![4])).toBeLessThan(1e-4)
  })

  it('runs logsig-neuron and states the gradient check', async () => {
    const { term, text } = recorder()
    expect(await runExamples(['logsig-neuron'], term)).toBe(0)
    expect(text()).toMatch(/40\/40 samples classified correctly; the symbolic gradient equals the lecture's formula: max difference \S+\n$/)
  })
})

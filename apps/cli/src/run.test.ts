import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parse } from '@backprop/graph'
import { repoRoot } from '@backprop/graph/testing/reference'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { differentiate } from './expression.js'
import { evaluateAt } from './expression-values.js'
import { run } from './run.js'

/** Runs `backprop` in-process and captures what it prints. */
const backprop = async (...argv: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const status = await run(argv, (l) => out.push(l), (l) => err.push(l))
  return { status, out: out.join('\n'), err: err.join('\n') }
}

/** Value of a text expression at a point, through our own parser and evaluator. */
const valueOf = (text: string, at: Record<string, number>): number => {
  const d = differentiate(text, [], 1)
  if (E.isLeft(d)) throw new Error(d.left.message)
  const v = evaluateAt(d.right, at)
  if (E.isLeft(v)) throw new Error(v.left.message)
  return v.right.value
}

describe('backprop eval', () => {
  it('prints value, gradient and Hessian as one JSON line', async () => {
    const r = await backprop('eval', 'x^2*y + sin(y)', '--at', 'x=1.5,y=-0.5', '--wrt', 'x,y', '--order', '2', '--json')
    expect(r.status).toBe(0)
    expect(r.out.split('\n')).toHaveLength(1)
    const [x, y] = [1.5, -0.5]
    expect(JSON.parse(r.out)).toEqual({
      value: x * x * y + Math.sin(y),
      gradient: { x: 2 * x * y, y: x * x + Math.cos(y) },
      hessian: { x: { x: 2 * y, y: 2 * x }, y: { x: 2 * x, y: -Math.sin(y) } },
    })
  })

  it('evaluates erf, gelu and step with their first and second derivatives', async () => {
    const at = async (expr: string) =>
      JSON.parse((await backprop('eval', expr, '--at', 'x=0.5', '--wrt', 'x', '--order', '2', '--json')).out)
    // erf(0.5), and gelu(0.5) = 0.5 Phi(0.5) with its derivatives Phi + x phi and phi (2 - x^2), to 15 digits (mpmath).
    const dErf = (2 / Math.sqrt(Math.PI)) * Math.exp(-0.25)
    const erf = await at('erf(x)')
    expect(erf.value).toBeCloseTo(0.5204998778130465, 15)
    expect(erf.gradient.x).toBeCloseTo(dErf, 15)
    expect(erf.hessian.x.x).toBeCloseTo(-2 * 0.5 * dErf, 15)
    const gelu = await at('gelu(x)')
    expect(gelu.value).toBeCloseTo(0.345731230637007, 14)
    expect(gelu.gradient.x).toBeCloseTo(0.867495124656163, 14)
    expect(gelu.hessian.x.x).toBeCloseTo(0.616114321837524, 14)
    expect(await at('step(x - 0.5) + step(x)')).toEqual({ value: 1, gradient: { x: 0 }, hessian: { x: { x: 0 } } })
  })

  it('omits gradient without --wrt and Hessian without --order 2', async () => {
    expect(JSON.parse((await backprop('eval', 'x*3', '--at', 'x=2', '--json')).out)).toEqual({ value: 6 })
    expect(JSON.parse((await backprop('eval', 'x*3', '--at', 'x=2', '--wrt', 'x', '--json')).out)).toEqual({
      value: 6,
      gradient: { x: 3 },
    })
  })

  it('prints values that are not finite as strings', async () => {
    const r = await backprop('eval', 'log(x) + 0*y/y', '--at', 'x=0,y=0', '--wrt', 'x', '--json')
    expect(JSON.parse(r.out)).toEqual({ value: 'NaN', gradient: { x: 'Infinity' } })
  })

  it('gives derivative 0 for a --wrt variable the expression does not use', async () => {
    const r = await backprop('eval', 'x^2', '--at', 'x=3', '--wrt', 'x,z', '--order', '2', '--json')
    expect(JSON.parse(r.out)).toEqual({ value: 9, gradient: { x: 6, z: 0 }, hessian: { x: { x: 2, z: 0 }, z: { x: 0, z: 0 } } })
  })
})

describe('backprop diff', () => {
  it('prints d/dv = <expr> lines that parse and evaluate to the derivative', async () => {
    const r = await backprop('diff', 'x^3*y - exp(x*y)', '--wrt', 'x,y')
    expect(r.status).toBe(0)
    const lines = r.out.split('\n')
    expect(lines.map((l) => l.slice(0, l.indexOf(' = ')))).toEqual(['d/dx', 'd/dy'])
    const at = { x: 0.7, y: -1.1 }
    const dx = valueOf(lines[0]!.split(' = ')[1]!, at)
    const dy = valueOf(lines[1]!.split(' = ')[1]!, at)
    expect(dx).toBeCloseTo(3 * at.x ** 2 * at.y - at.y * Math.exp(at.x * at.y), 12)
    expect(dy).toBeCloseTo(at.x ** 3 - at.x * Math.exp(at.x * at.y), 12)
  })

  it.each([
    ['relu(x)', 'x', 'step(x)'],
    ['max(x, y)', 'x', '1 - step(y - x)'],
    ['max(x, y)', 'y', 'step(y - x)'],
    ['abs(x)', 'x', 'step(x) - step(-x)'],
  ])('prints d/d%s of %s exactly at the kinks: %s', async (expr, v, printed) => {
    expect((await backprop('diff', expr, '--wrt', v)).out).toBe(`d/d${v} = ${printed}`)
  })

  it.each(['relu(x)*y', 'max(x, y)', 'min(x, 2*y)', 'abs(x - y)', 'relu(x)^2 + abs(y)', 'max(relu(x), y)'])(
    'prints derivatives of %s that equal the derivative graph everywhere, kinks included',
    async (expr) => {
      const lines = (await backprop('diff', expr, '--wrt', 'x,y')).out.split('\n')
      for (const at of [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 1 }, { x: -0.5, y: 0.25 }, { x: 0, y: -1 }]) {
        const graph = JSON.parse((await backprop('eval', expr, '--at', `x=${at.x},y=${at.y}`, '--wrt', 'x,y', '--json')).out)
        expect(valueOf(lines[0]!.split(' = ')[1]!, at), `d/dx at ${JSON.stringify(at)}`).toBeCloseTo(graph.gradient.x, 14)
        expect(valueOf(lines[1]!.split(' = ')[1]!, at), `d/dy at ${JSON.stringify(at)}`).toBeCloseTo(graph.gradient.y, 14)
      }
    },
  )

  it('simplifies: d/dx of x*x + 3*x is 2*x + 3 in some order', async () => {
    const r = await backprop('diff', 'x*x + 3*x', '--wrt', 'x')
    const text = r.out.replace('d/dx = ', '')
    expect(E.isRight(parse(text))).toBe(true)
    expect(text.replace(/\s/g, '').length).toBeLessThanOrEqual('2*x+3'.length)
  })

  it('--format json holds every node of the derivative graph: O(n) for sin(sin(...(x)))', async () => {
    for (const n of [5, 50, 200]) {
      const expr = `${'sin('.repeat(n)}x${')'.repeat(n)}`
      const r = await backprop('diff', expr, '--wrt', 'x', '--format', 'json')
      const json = JSON.parse(r.out) as { nodes: unknown[]; outputs: number[] }
      expect(json.nodes.length).toBeGreaterThan(n) // the forward sines are reused
      expect(json.nodes.length).toBeLessThanOrEqual(6 * n)
      expect(json.outputs).toHaveLength(1)
    }
  })

  it('--format latex and dot print the derivative', async () => {
    const latex = await backprop('diff', 'sqrt(x)', '--wrt', 'x', '--format', 'latex')
    expect(latex.out).toContain('\\sqrt{x}')
    const dot = await backprop('diff', 'sin(x)', '--wrt', 'x', '--format', 'dot')
    expect(dot.out).toMatch(/^digraph/)
    expect(dot.out).toContain('cos')
  })
})

describe('backprop graph', () => {
  it('draws forward and derivative nodes differently, as DOT and as SVG', async () => {
    const dot = await backprop('graph', 'sin(x)*x', '--wrt', 'x', '--format', 'dot')
    expect(dot.status).toBe(0)
    expect(dot.out).toContain('cluster_derivative')
    expect(dot.out).toContain('shape=ellipse') // forward
    expect(dot.out).toContain('shape=box') // derivative
    const svg = await backprop('graph', 'sin(x)*x', '--wrt', 'x', '--format', 'svg')
    expect(svg.out).toMatch(/<svg[\s\S]*<\/svg>/)
    expect(svg.out).toContain('cos')
  })

  it('--at writes every node\'s value and every forward node\'s adjoint, as on the lecture\'s slides', async () => {
    // E = 1/2 (w^T x - t)^2 with w = (0.5, -1), x = (2, 0.25), t = 3: z = w^T x = 0.75, u = z - t = -2.25, E = 2.53125;
    // dE/du = u = -2.25 = dE/dz, dE/dw1 = dE/dz x1 = -4.5, dE/dw2 = -0.5625, dE/dx1 = dE/dz w1 = -1.125, dE/dt = 2.25
    const r = await backprop('graph', '0.5*(w1*x1 + w2*x2 - t)^2', '--wrt', 'w1,w2', '--at', 'w1=0.5,w2=-1,x1=2,x2=0.25,t=3', '--format', 'dot')
    expect(r.status).toBe(0)
    const label = (head: string) => r.out.match(new RegExp(`label="${head}\\\\n([^"]*)"`))?.[1]?.split('\\n')
    expect(label('w1')).toEqual(['= 0.5', '∂E/∂v = -4.5'])
    expect(label('w2')).toEqual(['= -1', '∂E/∂v = -0.5625'])
    expect(label('x1')).toEqual(['= 2', '∂E/∂v = -1.125'])
    expect(label('t')).toEqual(['= 3', '∂E/∂v = 2.25'])
    expect(label('E')).toEqual(['×', '= 2.53125', '∂E/∂v = 1'])
    expect(label('∂E/∂w1')).toContain('= -4.5') // derivative nodes show their values
    expect(r.out).toContain('= 0.75\\n∂E/∂v = -2.25') // z = w^T x and its adjoint
    const svg = await backprop('graph', 'sin(x)*x', '--wrt', 'x', '--at', 'x=0', '--format', 'svg')
    expect(svg.out).toMatch(/<svg[\s\S]*∂E\/∂v = 0[\s\S]*<\/svg>/)
  })
})

describe('bad input', () => {
  it.each([
    [['diff', 'x^2*sin(x', '--wrt', 'x'], 'error: unexpected end of input at column 10'],
    [['diff', 'sin(x))', '--wrt', 'x'], "error: unexpected ')' at column 7"],
    [['diff', 'foo(x)', '--wrt', 'x'], "error: unknown function 'foo' at column 1"],
    [['eval', 'x + y', '--at', 'x=1', '--json'], "error: no value for 'y': add y=<number> to --at"],
    [['eval', 'x', '--at', 'x=abc', '--json'], "error: --at: 'x=abc' is not of the form name=number"],
    [['graph', 'x * y', '--wrt', 'x', '--at', 'x=1'], "error: no value for 'y': add y=<number> to --at"],
    [['graph', 'x * y', '--at', 'x=1,y'], "error: --at: 'y' is not of the form name=number"],
    [['diff', 'x', '--wrt', 'x', '--format', 'png'], "error: --format must be one of text|latex|dot|json, got 'png'"],
    [['diff', 'x', '--with', 'x'], 'error: unknown option --with (expected one of: --wrt, --format)'],
    [['frobnicate'], "error: unknown command 'frobnicate'"],
  ])('%j -> %s', async (argv, message) => {
    const r = await backprop(...argv)
    expect(r.status).toBe(2)
    expect(r.err.split('\n')).toHaveLength(1)
    expect(r.err.startsWith(message)).toBe(true)
    expect(r.out).toBe('')
  })

  it('the real command prints one line and exits with status 2, without a stack trace', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@backprop/source', join(repoRoot, 'apps/cli/src/main.ts'), 'diff', '(x', '--wrt', 'x'],
      { encoding: 'utf8', cwd: repoRoot },
    )
    expect(result.status).toBe(2)
    expect(result.stderr.trim()).toBe('error: unexpected end of input at column 3')
    expect(result.stdout).toBe('')
  })

  it('the real command ends quietly with status 0 when its reader goes away, as in `backprop train --json | head -1`', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@backprop/source', join(repoRoot, 'apps/cli/src/main.ts'), 'train', '--dataset', 'iris', '--layers', '4,8,3', '--epochs', '1000', '--json'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    // Close the reading end after the first event, while the run goes on writing.
    child.stdout.once('data', () => child.stdout.destroy())
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(err).toBe('')
    expect(status).toBe(0)
  })
})

describe('backprop dashboard wiring', () => {
  it("draws a model's graph with its derivative part for the page", async () => {
    const { modelSvg } = await import('./commands/dashboard.js')
    const { defaultSettings } = await import('./training.js')
    const svg = await modelSvg({ ...defaultSettings, dataset: 'iris', layers: [4, 8, 3], hidden: 'tanh' })
    expect(E.isRight(svg)).toBe(true)
    const text = E.isRight(svg) ? svg.right : ''
    expect(text).toMatch(/<svg[\s\S]*<\/svg>/)
    for (const label of ['∂E/∂W1', '∂E/∂b2', 'matmul']) expect(text).toContain(label)
    expect(text).toContain('#d6e6f5') // forward nodes
    expect(text).toContain('#fbd3a4') // derivative nodes
  })
})

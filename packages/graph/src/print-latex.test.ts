import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { type Builder, buildOrThrow } from './builder.js'
import { emptyGraph, type NodeId } from './graph.js'
import { parse } from './parse.js'
import { toLatex } from './print-latex.js'

const latexOf = (text: string): string => {
  const r = parse(text, { dialect: 'full' })
  if (E.isLeft(r)) throw new Error(r.left.message)
  return toLatex(r.right.graph, r.right.output)
}

const latexOfBuilt = (recipe: (b: Builder) => NodeId): string => {
  const { graph, result } = buildOrThrow(emptyGraph, recipe)
  return toLatex(graph, result)
}

describe('toLatex', () => {
  it.each([
    ['0.5*(sigmoid(w*x) - t)^2', String.raw`0.5 \cdot \left(\sigma\left(w \cdot x\right) - t\right)^{2}`],
    ['sqrt(x)/(1 + exp(-x))', String.raw`\frac{\sqrt{x}}{1 + e^{-x}}`],
    ['w1*x_2', String.raw`w_{1} \cdot x_{2}`],
    ['abs(x)^2', String.raw`\left|x\right|^{2}`],
    ['max(a, pi) - min(a, e)', String.raw`\max\left(a, \pi\right) - \min\left(a, e\right)`],
    ['x^y^z', String.raw`x^{y^{z}}`],
    ['(x^y)^z', String.raw`\left(x^{y}\right)^{z}`],
    ['x - (y - z)', String.raw`x - \left(y - z\right)`],
    ['x - y - z', String.raw`x - y - z`],
    ['-x^2', String.raw`-x^{2}`],
    ['(-x)^2', String.raw`\left(-x\right)^{2}`],
    ['-(x + y)', String.raw`-\left(x + y\right)`],
    ['x - (-y)', String.raw`x - \left(-y\right)`],
    ['tanh(x)*-2', String.raw`\tanh\left(x\right) \cdot \left(-2\right)`],
    ['(2*x)^2', String.raw`\left(2 \cdot x\right)^{2}`],
    ['square(a/b)', String.raw`\left(\frac{a}{b}\right)^{2}`],
    ['exp(x)^2', String.raw`\left(e^{x}\right)^{2}`],
    ['relu(x) + softplus(y)', String.raw`\operatorname{relu}\left(x\right) + \operatorname{softplus}\left(y\right)`],
    ['log(theta)*sin(x)', String.raw`\log\left(\theta\right) \cdot \sin\left(x\right)`],
    ['1e-7*x', String.raw`1 \cdot 10^{-7} \cdot x`],
    ['x^1.5e21', String.raw`x^{1.5 \cdot 10^{21}}`],
    ['(1e-7)^x', String.raw`\left(1 \cdot 10^{-7}\right)^{x}`],
    ['1e999 - 3', String.raw`\infty - 3`],
    ['greater(x, y) + greaterEqual(x, 0)', String.raw`\left[x > y\right] + \left[x \geq 0\right]`],
    ['sign(layer12) + a_b_c', String.raw`\operatorname{sign}\left(\mathrm{layer}_{12}\right) + a_{b\_c}`],
    ['alpha*Sigma*dx', String.raw`\alpha \cdot \Sigma \cdot \mathrm{dx}`],
  ])('%s', (text, latex) => {
    expect(latexOf(text)).toBe(latex)
  })

  it('writes a transpose as a superscript and a matrix product by juxtaposition', () => {
    const latex = latexOfBuilt((b) => b.sum(b.matmul(b.transpose(b.input('W', [3, 2])), b.input('z', [3, 1]))))
    expect(latex).toBe(String.raw`\sum\left(W^{\top} z\right)`)
  })

  it('notes the axes of a partial sum', () => {
    expect(latexOfBuilt((b) => b.sum(b.input('x', [2, 3]), [0]))).toBe(String.raw`\sum_{\mathrm{axes}=0}\left(x\right)`)
  })

  it('escapes names that are not identifiers', () => {
    expect(latexOfBuilt((b) => b.param('W.1$_{x}'))).toBe(String.raw`\mathrm{W.1\$\_\{x\}}`)
  })

  it('typesets small tensor constants as matrices', () => {
    expect(latexOfBuilt((b) => b.constant([1, -2, 3, 4], [2, 2]))).toBe(
      String.raw`\begin{bmatrix}1 & -2 \\ 3 & 4\end{bmatrix}`,
    )
  })
})

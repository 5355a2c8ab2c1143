import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { predictor } from '@backprop/nn'
import { toOnnx } from '@backprop/onnx'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { choiceOption, parseArgs } from '../args.js'
import { loadModel } from '../model-file.js'
import type { Command } from './command.js'

/** Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees half a model. */
const writeAtomically = (path: string, bytes: Uint8Array): E.Either<string, void> => {
  const temporary = `${path}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, bytes)
    renameSync(temporary, path)
    return E.right(undefined)
  } catch (e) {
    rmSync(temporary, { force: true })
    return E.left(`${path}: cannot write: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/**
 * `backprop export --model FILE --format onnx --out model.onnx`: the model's
 * inference graph as ONNX (opset 17): input `x` `[N, D]` of raw features in
 * the model's feature order (scaling inside the graph, N dynamic), output
 * `y` `[N, K]` after the output activation, in the model's dtype, with the
 * parameters as initialisers and the feature and class names as metadata.
 */
export const exportCommand: Command = async (argv, out) =>
  pipe(
    parseArgs(argv, { model: 'string', format: 'string', out: 'string' }),
    E.flatMap(({ positional, options }) => {
      if (positional.length > 0) return E.left(`export takes no arguments, got '${positional[0]}'`)
      if (typeof options['model'] !== 'string') return E.left('export needs --model FILE (a file written by train --checkpoint)')
      if (typeof options['out'] !== 'string') return E.left('export needs --out FILE, e.g. --out model.onnx')
      const modelPath = options['model']
      const outPath = options['out']
      return pipe(
        E.Do,
        E.bind('format', () => choiceOption('format', options['format'], ['onnx'] as const, 'onnx')),
        E.bind('loaded', () => loadModel(modelPath)),
        E.bind('onnx', ({ loaded: { model, params } }) =>
          pipe(
            predictor(model.architecture, { batch: 1, dtype: model.dtype, ...(model.scaling ? { scaling: model.scaling } : {}) }),
            E.mapLeft((e) => `${modelPath}: ${e.message}`),
            E.flatMap((p) =>
              pipe(
                toOnnx(p.graph, [p.y], {
                  outputNames: ['y'],
                  values: params,
                  batchInputs: ['x'],
                  description: `backprop model from ${modelPath}`,
                  metadata: {
                    features: JSON.stringify(model.features),
                    ...(model.classes ? { classes: JSON.stringify(model.classes) } : {}),
                    ...(model.targets ? { targets: JSON.stringify(model.targets) } : {}),
                  },
                }),
                E.mapLeft((e) => `${modelPath}: ${e.message}`),
              ),
            ),
          ),
        ),
        E.flatMap(({ onnx }) =>
          pipe(
            writeAtomically(outPath, onnx.bytes),
            E.map(() => out(`wrote ${outPath}: x [N,${onnx.inputs[0]!.shape[1]}] -> y [N,${onnx.outputs[0]!.shape[1]}] ${onnx.outputs[0]!.dtype}, ${onnx.bytes.length} bytes`)),
          ),
        ),
      )
    }),
  )

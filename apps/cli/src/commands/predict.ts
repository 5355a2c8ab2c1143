import { tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { predictor } from '@backprop/nn'
import { jsonLine } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { parseArgs } from '../args.js'
import { loadModel, readRows } from '../model-file.js'
import type { Command } from './command.js'

/** The index of the largest value of `row` (the first on a tie). */
const argmax = (row: ArrayLike<number>): number => {
  let best = 0
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k
  return best
}

/**
 * `backprop predict --model FILE --input rows.csv [--json]`: applies a
 * trained model to every row of a CSV file (raw features, found by name;
 * the model scales them itself). With `--json`, one line per row:
 * `{"row": 1, "outputs": [...], "class": "..."}` (`class` for classifiers);
 * otherwise a CSV of the outputs.
 */
export const predictCommand: Command = async (argv, out) =>
  pipe(
    parseArgs(argv, { model: 'string', input: 'string', json: 'flag' }),
    E.flatMap(({ positional, options }) => {
      if (positional.length > 0) return E.left(`predict takes no arguments, got '${positional[0]}'`)
      if (typeof options['model'] !== 'string') return E.left('predict needs --model FILE (a file written by train --checkpoint)')
      if (typeof options['input'] !== 'string') return E.left('predict needs --input rows.csv')
      const modelPath = options['model']
      const inputPath = options['input']
      return pipe(
        E.Do,
        E.bind('loaded', () => loadModel(modelPath)),
        E.bind('data', ({ loaded }) => readRows(inputPath, loaded.model.features)),
        E.bind('y', ({ loaded: { model, params }, data }) =>
          pipe(
            predictor(model.architecture, { batch: data.rows, dtype: model.dtype, ...(model.scaling ? { scaling: model.scaling } : {}) }),
            E.mapLeft((e) => `${modelPath}: ${e.message}`),
            E.flatMap((p) =>
              pipe(
                evaluate(p.graph, [p.y], { ...params, x: tensor(data.x, [data.rows, model.features.length], model.dtype) }),
                E.mapLeft((e) => `${modelPath}: ${e.message}`),
              ),
            ),
            E.map(([y]) => y!),
          ),
        ),
        E.map(({ loaded: { model }, data, y }) => {
          const K = y.shape[1]!
          const names = model.classes ?? model.targets ?? Array.from({ length: K }, (_, k) => `y${k + 1}`)
          if (!options['json']) out(['row', ...names, ...(model.classes ? ['class'] : [])].join(','))
          for (let i = 0; i < data.rows; i++) {
            const outputs = Array.from(y.data.subarray(i * K, (i + 1) * K))
            const cls = model.classes?.[argmax(outputs)]
            out(
              options['json']
                ? jsonLine({ row: i + 1, outputs, ...(cls !== undefined ? { class: cls } : {}) })
                : [i + 1, ...outputs, ...(cls !== undefined ? [cls] : [])].join(','),
            )
          }
        }),
      )
    }),
  )

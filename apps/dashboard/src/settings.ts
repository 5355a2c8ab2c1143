import * as E from 'fp-ts/lib/Either.js'

/**
 * The settings of one training run: the options of `backprop train` as a
 * plain object (CONTRACT.md §2), `--train-size` becoming `trainSize` and so on.
 *
 * @category Settings
 */
export interface RunSettings {
  /** `mnist`, `iris` or the path of a CSV file. */
  readonly dataset: string
  /** Layer sizes from input to output, e.g. `[784, 128, 10]`. */
  readonly layers: readonly number[]
  /** Activation of the hidden layers. */
  readonly hidden: 'logsig' | 'tanh' | 'relu'
  /** The loss (it fixes the output activation). */
  readonly loss: 'sse' | 'cross-entropy' | 'softmax-cross-entropy'
  /** The optimiser. */
  readonly optimizer: 'gd' | 'sgd' | 'momentum' | 'adam'
  /** Learning rate, positive. */
  readonly lr: number
  /** Batch size, a positive integer. */
  readonly batch: number
  /** Number of epochs, a positive integer. */
  readonly epochs: number
  /** Seed of initialisation and shuffling, an integer >= 0. */
  readonly seed: number
  /** Floating-point type of the computation. */
  readonly dtype: 'f32' | 'f64'
  /** `cpu`, `workers` or `workers:N`. */
  readonly backend: string
  /** How a batch's per-sample losses are combined. */
  readonly reduction: 'mean' | 'sum'
  /** Training samples to use; absent for all of them. */
  readonly trainSize?: number
  /** Test samples to use; absent for all of them. */
  readonly testSize?: number
}

/**
 * The name of one setting.
 *
 * @category Settings
 */
export type SettingName = keyof RunSettings

/**
 * Messages for invalid settings, one line each, keyed by setting name (or by
 * an unknown field's name), so that a page can show each next to its field;
 * the key `_` holds an error about the settings as a whole.
 *
 * @category Settings
 */
export type FieldErrors = Readonly<Record<string, string>>

/**
 * The settings the dashboard's form starts with, and that fill in whatever a
 * start request leaves out: a small network on iris that trains in seconds.
 *
 * @category Settings
 */
export const defaultSettings: RunSettings = {
  dataset: 'iris',
  layers: [4, 8, 3],
  hidden: 'tanh',
  loss: 'softmax-cross-entropy',
  optimizer: 'adam',
  lr: 0.01,
  batch: 16,
  epochs: 50,
  seed: 1,
  dtype: 'f64',
  backend: 'cpu',
  reduction: 'mean',
}

/**
 * The choices of each setting that has a fixed set of them.
 *
 * @category Settings
 */
export const settingChoices = {
  hidden: ['logsig', 'tanh', 'relu'],
  loss: ['sse', 'cross-entropy', 'softmax-cross-entropy'],
  optimizer: ['gd', 'sgd', 'momentum', 'adam'],
  dtype: ['f32', 'f64'],
  reduction: ['mean', 'sum'],
} as const satisfies Partial<Record<SettingName, readonly string[]>>

/** Every setting name, in the order of `backprop train`'s usage. */
const settingNames: readonly SettingName[] = [
  'dataset',
  'layers',
  'hidden',
  'loss',
  'optimizer',
  'lr',
  'batch',
  'epochs',
  'seed',
  'dtype',
  'backend',
  'reduction',
  'trainSize',
  'testSize',
]

/**
 * The command-line spelling of a setting: `trainSize` -> `train-size`.
 *
 * @category Settings
 */
export const optionName = (name: SettingName): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** A field's value, or its error message. */
type Check<A> = E.Either<string, A>

/** Accepts a number, or a string holding one (form fields send strings). */
const numberOf = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '') return Number(value.trim())
  return undefined
}

const positiveNumber = (value: unknown): Check<number> => {
  const n = numberOf(value)
  return n !== undefined && Number.isFinite(n) && n > 0 ? E.right(n) : E.left('must be a positive number')
}

const nonNegativeInteger = (value: unknown): Check<number> => {
  const n = numberOf(value)
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? E.right(n) : E.left('must be an integer >= 0')
}

const positiveInteger = (value: unknown): Check<number> => {
  const n = numberOf(value)
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? E.right(n) : E.left('must be a positive integer')
}

const choice =
  <C extends string>(choices: readonly C[]) =>
  (value: unknown): Check<C> =>
    typeof value === 'string' && (choices as readonly string[]).includes(value)
      ? E.right(value as C)
      : E.left(`must be one of ${choices.join(', ')}`)

const dataset = (value: unknown): Check<string> =>
  typeof value === 'string' && value.trim() !== '' ? E.right(value.trim()) : E.left('must name a dataset: mnist, iris or a CSV file')

/** Layer sizes as an array of numbers or a comma-separated string (`4,8,3`). */
const layers = (value: unknown): Check<readonly number[]> => {
  const parts: unknown[] | undefined = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(',').map((s) => s.trim())
      : undefined
  const message = 'must be at least two positive integers, input to output, e.g. 4,8,3'
  if (parts === undefined || parts.length < 2) return E.left(message)
  const sizes = parts.map(numberOf)
  return sizes.every((n): n is number => n !== undefined && Number.isSafeInteger(n) && n > 0) ? E.right(sizes) : E.left(message)
}

const backend = (value: unknown): Check<string> =>
  typeof value === 'string' && /^(cpu|workers(:[1-9]\d*)?)$/.test(value.trim())
    ? E.right(value.trim())
    : E.left('must be cpu, workers or workers:N with N a positive integer')

/** A blank, null or absent size means "all samples". */
const optionalSize = (value: unknown): Check<number | undefined> =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
    ? E.right(undefined)
    : positiveInteger(value)

/** The check of each setting; `undefined` input never reaches these (defaults fill it) except for the sizes. */
const checks: { readonly [K in SettingName]-?: (value: unknown) => Check<RunSettings[K]> } = {
  dataset,
  layers,
  hidden: choice(settingChoices.hidden),
  loss: choice(settingChoices.loss),
  optimizer: choice(settingChoices.optimizer),
  lr: positiveNumber,
  batch: positiveInteger,
  epochs: positiveInteger,
  seed: nonNegativeInteger,
  dtype: choice(settingChoices.dtype),
  backend,
  reduction: choice(settingChoices.reduction),
  trainSize: optionalSize,
  testSize: optionalSize,
}

/**
 * Reads run settings from a parsed JSON body: every field is checked, and a
 * field left out takes its value from `defaults`. Numbers may come as
 * numbers or numeric strings (as HTML forms send them), layer sizes as an
 * array or a comma-separated string, and a blank `trainSize`/`testSize`
 * means all samples. Unknown fields are errors, so that a typo is not
 * silently ignored. The result is either the settings or one message per
 * invalid field (`_` for a body that is not an object).
 *
 * @example
 * ```ts
 * parseSettings({ layers: '4,16,3', lr: '0.05' }) // right({ ...defaultSettings, layers: [4, 16, 3], lr: 0.05 })
 * parseSettings({ lr: -1 })                      // left({ lr: 'must be a positive number' })
 * ```
 * @category Settings
 */
export const parseSettings = (
  body: unknown,
  defaults: RunSettings = defaultSettings,
): E.Either<FieldErrors, RunSettings> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return E.left({ _: 'settings must be a JSON object' })
  }
  const input = body as Readonly<Record<string, unknown>>
  const errors: Record<string, string> = {}
  for (const key of Object.keys(input)) {
    if (!(settingNames as readonly string[]).includes(key)) errors[key] = `unknown setting (expected one of: ${settingNames.join(', ')})`
  }
  const out: Record<string, unknown> = {}
  for (const name of settingNames) {
    const given = Object.hasOwn(input, name) ? input[name] : defaults[name]
    const checked = (checks[name] as (value: unknown) => Check<unknown>)(given)
    if (E.isLeft(checked)) errors[name] = checked.left
    else if (checked.right !== undefined) out[name] = checked.right
  }
  return Object.keys(errors).length > 0 ? E.left(errors) : E.right(out as unknown as RunSettings)
}

/**
 * The setting an error message is about, if it names one: as a command-line
 * option (`--train-size must be ...`) or as a leading field name
 * (`layers: ...`). Lets a one-line error from the trainer be shown next to
 * the field it concerns.
 *
 * @example
 * ```ts
 * settingNamed('--lr must be positive')        // 'lr'
 * settingNamed('layers: 5 inputs, iris has 4') // 'layers'
 * settingNamed('dataset file not found')       // undefined
 * ```
 * @category Settings
 */
export const settingNamed = (message: string): SettingName | undefined => {
  const trimmed = message.trim()
  return settingNames.find((name) => {
    const option = optionName(name)
    return (
      new RegExp(`(^|[^\\w-])--${option}(?![\\w-])`).test(trimmed) ||
      trimmed.startsWith(`${name}:`) ||
      trimmed.startsWith(`${option}:`)
    )
  })
}

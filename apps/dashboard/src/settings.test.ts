import * as E from 'fp-ts/lib/Either.js'
import { defaultSettings, optionName, parseSettings, settingNamed } from './settings.js'

describe('parseSettings', () => {
  it('fills every field left out from the defaults', () => {
    expect(parseSettings({})).toEqual(E.right(defaultSettings))
    expect(parseSettings({ epochs: 3 })).toEqual(E.right({ ...defaultSettings, epochs: 3 }))
  })

  it('reads the strings an HTML form sends', () => {
    const parsed = parseSettings({
      dataset: ' mnist ',
      layers: '784, 128,10',
      hidden: 'relu',
      loss: 'cross-entropy',
      optimizer: 'momentum',
      lr: '0.5',
      batch: '32',
      epochs: '2',
      seed: '7',
      dtype: 'f32',
      backend: 'workers:4',
      reduction: 'sum',
      trainSize: '1000',
      testSize: '',
    })
    expect(parsed).toEqual(
      E.right({
        dataset: 'mnist',
        layers: [784, 128, 10],
        hidden: 'relu',
        loss: 'cross-entropy',
        optimizer: 'momentum',
        lr: 0.5,
        batch: 32,
        epochs: 2,
        seed: 7,
        dtype: 'f32',
        backend: 'workers:4',
        reduction: 'sum',
        trainSize: 1000,
      }),
    )
  })

  it('names every invalid field with its own message', () => {
    const parsed = parseSettings({ layers: '4', lr: 0, batch: 1.5, hidden: 'sigmoid', backend: 'gpu', testSize: -2 })
    expect(E.isLeft(parsed)).toBe(true)
    const fields = E.isLeft(parsed) ? parsed.left : {}
    expect(Object.keys(fields).sort()).toEqual(['backend', 'batch', 'hidden', 'layers', 'lr', 'testSize'])
    expect(fields['hidden']).toBe('must be one of logsig, tanh, relu')
    expect(fields['lr']).toBe('must be a positive number')
    expect(fields['batch']).toBe('must be a positive integer')
  })

  it.each([
    ['layers', 'a,b'],
    ['layers', [4, 0, 3]],
    ['layers', 43],
    ['lr', 'fast'],
    ['lr', Number.POSITIVE_INFINITY],
    ['epochs', 0],
    ['seed', 0.5],
    ['seed', -1],
    ['dataset', '   '],
    ['backend', 'workers:0'],
    ['dtype', 'f16'],
    ['reduction', null],
  ])('refuses %s = %j', (field, value) => {
    const parsed = parseSettings({ [field]: value })
    expect(E.isLeft(parsed) ? Object.keys(parsed.left) : []).toEqual([field])
  })

  it('refuses unknown fields and bodies that are not objects', () => {
    const unknown = parseSettings({ learningRate: 0.1 })
    expect(E.isLeft(unknown) && unknown.left['learningRate']).toMatch(/unknown setting/)
    expect(parseSettings([1, 2])).toEqual(E.left({ _: 'settings must be a JSON object' }))
    expect(parseSettings(null)).toEqual(E.left({ _: 'settings must be a JSON object' }))
  })

  it('uses the defaults it is given', () => {
    const defaults = { ...defaultSettings, dataset: 'mnist', layers: [784, 10] }
    expect(parseSettings({ lr: 1 }, defaults)).toEqual(E.right({ ...defaults, lr: 1 }))
  })
})

describe('settingNamed', () => {
  it('finds the setting a one-line error names', () => {
    expect(settingNamed('--lr must be positive')).toBe('lr')
    expect(settingNamed('error: --train-size 0 is not a positive integer')).toBe('trainSize')
    expect(settingNamed('layers: the first size 5 does not match the 4 features of iris')).toBe('layers')
    expect(settingNamed('test-size: too large')).toBe('testSize')
  })

  it('finds none where no setting is named as such', () => {
    expect(settingNamed('dataset file not found')).toBeUndefined()
    expect(settingNamed('--lrx is unknown')).toBeUndefined()
    expect(settingNamed('the layers do not fit')).toBeUndefined()
  })

  it('spells options as the command line does', () => {
    expect(optionName('trainSize')).toBe('train-size')
    expect(optionName('lr')).toBe('lr')
  })
})

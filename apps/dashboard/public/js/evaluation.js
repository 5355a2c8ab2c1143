// @ts-check
/**
 * The evaluation views of a classifier: its latest test confusion matrix
 * with per-class accuracy, and (for image data sets) the test images it
 * gets wrong.
 */

/**
 * A cell of a table.
 * @param {'td' | 'th'} tag
 * @param {string} text
 * @param {string} [title]
 */
const cell = (tag, text, title) => {
  const el = document.createElement(tag)
  el.textContent = text
  if (title !== undefined) el.title = title
  return el
}

/**
 * Fills `table` with the confusion matrix (rows: true class, columns:
 * predicted class), each row ending with that class's accuracy, cells
 * shaded by their share of the row.
 * @param {HTMLTableElement} table
 * @param {number[][]} confusion
 */
export const showConfusion = (table, confusion) => {
  const classes = confusion.length
  const head = document.createElement('tr')
  head.append(cell('th', 'true \\ predicted'), ...confusion.map((_, k) => cell('th', String(k))), cell('th', 'accuracy'))
  const rows = confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0)
    const tr = document.createElement('tr')
    tr.append(cell('th', String(i)))
    row.forEach((count, j) => {
      const td = cell('td', String(count), `true ${i}, predicted ${j}: ${count} of ${total}`)
      const share = total === 0 ? 0 : count / total
      // Right answers in green, mistakes in red, the stronger the larger their share of the row.
      td.style.background = count === 0 ? '' : i === j ? `rgba(26,127,55,${0.15 + 0.6 * share})` : `rgba(180,35,24,${0.1 + 0.7 * share})`
      tr.append(td)
    })
    tr.append(cell('td', total === 0 ? '–' : `${((100 * row[i]) / total).toFixed(1)}%`))
    tr.dataset['class'] = String(i)
    return tr
  })
  table.replaceChildren(head, ...rows)
  table.dataset['classes'] = String(classes)
}

/**
 * @typedef {{ sample: number, width: number, height: number, pixels: number[] }} SampleImage
 * @typedef {{ sample: number, actual: number, predicted: number }} Mistake
 */

/**
 * Draws the misclassified test images in `strip`, each with its true and
 * predicted class; `images` are grey levels 0..255, row by row.
 * @param {HTMLElement} strip
 * @param {Mistake[]} mistakes
 * @param {SampleImage[]} images
 */
export const showMistakes = (strip, mistakes, images) => {
  const bySample = new Map(images.map((image) => [image.sample, image]))
  const figures = mistakes.flatMap((m) => {
    const image = bySample.get(m.sample)
    if (image === undefined) return []
    const canvas = document.createElement('canvas')
    canvas.width = image.width
    canvas.height = image.height
    const context = canvas.getContext('2d')
    if (context !== null) {
      const data = context.createImageData(image.width, image.height)
      image.pixels.forEach((v, i) => {
        // Ink dark on white, as digits are written.
        data.data.set([255 - v, 255 - v, 255 - v, 255], 4 * i)
      })
      context.putImageData(data, 0, 0)
    }
    const figure = document.createElement('figure')
    const caption = document.createElement('figcaption')
    caption.textContent = `${m.actual} → ${m.predicted}`
    caption.title = `test sample ${m.sample}: true class ${m.actual}, predicted ${m.predicted}`
    figure.append(canvas, caption)
    return [figure]
  })
  strip.replaceChildren(...figures)
}

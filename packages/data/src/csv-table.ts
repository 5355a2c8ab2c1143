import * as E from 'fp-ts/lib/Either.js'
import { dataError, type DataError } from './errors.js'

/**
 * One record of a CSV file: its fields (unquoted, not trimmed) and the line each
 * field starts on, so that errors can point at the right line even after a quoted
 * field that spans lines.
 *
 * @category CSV
 */
export interface CsvRecord {
  /** 1-based line on which the record starts. */
  readonly line: number
  /** The fields, with quotes removed and `""` turned into `"`. */
  readonly fields: readonly string[]
  /** 1-based line on which each field starts (same length as `fields`). */
  readonly fieldLines: readonly number[]
}

/**
 * A CSV file split into a header and data records; see {@link parseCsvTable}.
 *
 * @category CSV
 */
export interface CsvTable {
  /** Column names from the first non-blank record, trimmed. */
  readonly header: readonly string[]
  /** The data records after the header; blank lines are left out. */
  readonly rows: readonly CsvRecord[]
}

const QUOTE = 0x22
const COMMA = 0x2c
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const TAB = 0x09

/**
 * The text before an error message: `data.csv line 7, column 3` or `line 7, column 3`
 * for unnamed text.
 *
 * @category CSV
 */
export const csvPlace = (source: string | undefined, line: number, column?: number): string =>
  `${source === undefined ? '' : `${source} `}line ${line}${column === undefined ? '' : `, column ${column}`}`

/**
 * Splits CSV text into records (RFC 4180 with lenient edges): fields are separated by
 * commas; a field may be quoted with `"` and then contain commas, line breaks and
 * doubled quotes `""`; spaces around a quoted field are ignored; lines end with LF,
 * CRLF or CR; a leading byte-order mark is skipped; blank lines (including a
 * trailing one) are skipped. The first non-blank record is the header.
 *
 * Fails on an unterminated quoted field, on text after a closing quote, and on text
 * without a header. Errors name the line and column: `data.csv line 3, column 2:
 * unterminated quoted field`.
 *
 * @example
 * ```ts
 * parseCsvTable('a,b\n1,"x, y"\n') // Right({ header: ['a', 'b'], rows: [{ line: 2, fields: ['1', 'x, y'], ... }] })
 * ```
 *
 * @category CSV
 */
export const parseCsvTable = (text: string, source?: string): E.Either<DataError, CsvTable> => {
  const n = text.length
  const records: CsvRecord[] = []
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  const fail = (l: number, column: number, what: string) =>
    E.left(dataError(`${csvPlace(source, l, column)}: ${what}`, { source, line: l, column }))
  while (i < n) {
    const recordLine = line
    const fields: string[] = []
    const fieldLines: number[] = []
    let quotedAny = false
    for (;;) {
      const fieldLine = line
      const column = fields.length + 1
      let j = i
      while (j < n && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j++
      if (j < n && text.charCodeAt(j) === QUOTE) {
        quotedAny = true
        i = j + 1
        let value = ''
        let start = i
        for (;;) {
          if (i >= n) return fail(fieldLine, column, 'unterminated quoted field')
          const c = text.charCodeAt(i)
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              value += text.slice(start, i + 1)
              i += 2
              start = i
              continue
            }
            value += text.slice(start, i)
            i++
            break
          }
          if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++
          i++
        }
        while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++
        const after = text.charCodeAt(i)
        if (i < n && after !== COMMA && after !== LF && after !== CR) {
          return fail(line, column, `unexpected ${JSON.stringify(text[i])} after a closing quote`)
        }
        fields.push(value)
      } else {
        const start = i
        for (let c = text.charCodeAt(i); i < n && c !== COMMA && c !== LF && c !== CR; c = text.charCodeAt(++i));
        fields.push(text.slice(start, i))
      }
      fieldLines.push(fieldLine)
      if (i < n && text.charCodeAt(i) === COMMA) {
        i++
        continue
      }
      if (i < n) {
        i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1
        line++
      }
      break
    }
    const blank = !quotedAny && fields.length === 1 && fields[0]!.trim() === ''
    if (!blank) records.push({ line: recordLine, fields, fieldLines })
  }
  const [head, ...rows] = records
  if (head === undefined) {
    return E.left(dataError(`${source ?? 'csv'}: no header row (the text is empty)`, { source }))
  }
  return E.right({ header: head.fields.map((f) => f.trim()), rows })
}

// The reference cases of CONTRACT.md §3 for the tests of every package: the
// one place that decides which folders of cases are read.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (this file is packages/graph/src/testing). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))

/** The repository's own copy of the public cases, which every clone runs. */
export const vendoredDir = join(repoRoot, 'reference')

/** Where further cases are looked for when BACKPROP_REFERENCE_DIR is not set (used if it exists). */
const besideRepository = '../shared/reference'

/**
 * The folders of reference cases: the repository's `reference/` always, then
 * every folder BACKPROP_REFERENCE_DIR names (several separated by the path
 * delimiter, `:` on POSIX), or when it is unset, `../shared/reference` if that
 * exists. Relative paths are taken from the repository root, since test
 * runners change directory. A folder that is named but missing is an error:
 * a typo must not quietly run fewer cases.
 */
export const referenceDirs = (env: string | undefined = process.env['BACKPROP_REFERENCE_DIR']): string[] => {
  const absolute = (dir: string) => (isAbsolute(dir) ? dir : resolve(repoRoot, dir))
  const added = env === undefined || env === '' ? [besideRepository].map(absolute).filter((dir) => existsSync(dir)) : env.split(delimiter).map(absolute)
  const missing = added.find((dir) => !existsSync(dir))
  if (missing !== undefined) throw new Error(`BACKPROP_REFERENCE_DIR names ${missing}, which does not exist`)
  return [vendoredDir, ...added].filter((dir, i, all) => all.indexOf(dir) === i)
}

/** One file of cases. */
export interface ReferenceFile {
  /** The file's path from the repository root, which test names start with. */
  readonly name: string
  readonly kind: string
  readonly cases: readonly unknown[]
}

/**
 * Every `*.json` file of every folder, folder by folder, each in name order.
 * A file whose text equals one already read (the public cases are both
 * vendored and beside the repository) is read once.
 */
export const referenceFiles = (dirs: readonly string[] = referenceDirs()): ReferenceFile[] => {
  const seen = new Set<string>()
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .flatMap((f) => {
        const text = readFileSync(join(dir, f), 'utf8')
        if (seen.has(text)) return []
        seen.add(text)
        const { kind, cases } = JSON.parse(text) as { kind: string; cases: unknown[] }
        return [{ name: relative(repoRoot, join(dir, f)), kind, cases }]
      }),
  )
}

/** Every case of `kind` in the files, its id prefixed by its file's name so ids stay unique across files. */
export const referenceCases = <C extends { readonly id: string }>(kind: string, files: readonly ReferenceFile[] = referenceFiles()): C[] =>
  files.filter((f) => f.kind === kind).flatMap((f) => (f.cases as C[]).map((c) => ({ ...c, id: `${f.name}: ${c.id}` })))

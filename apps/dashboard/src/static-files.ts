import { readFile, realpath, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { extname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import type { HttpError } from './http.js'

/**
 * The folder of the page's files, `apps/dashboard/public`: beside `src/`
 * when running from source and beside `dist/` when built, so one relative
 * path serves both.
 *
 * @internal
 */
export const publicDir = fileURLToPath(new URL('../public/', import.meta.url))

const require = createRequire(import.meta.url)

/**
 * Files served from packages rather than from `public/`: a fixed table, so
 * no request path ever reaches into `node_modules`.
 *
 * @internal
 */
export const vendorFiles: Readonly<Record<string, string>> = {
  '/vendor/uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  '/vendor/uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
}

/**
 * Content types of the files the page is made of; a file with any other
 * extension is not served.
 *
 * @internal
 */
export const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

const notFound: HttpError = { status: 404, message: 'not found' }

/**
 * The file under `root` that a URL path names, or why there is none. The
 * path is split into segments, each percent-decoded on its own, and any
 * segment that is `.`, `..`, hidden (starts with a dot), or holds a slash,
 * backslash or NUL once decoded is refused outright, so no spelling of
 * `../` (`%2e%2e`, `..%2f`, `..\`) can leave the folder; `/` is
 * `index.html`. Symbolic links are checked separately by
 * {@link readPublicFile}.
 *
 * @example
 * ```ts
 * publicPath('/srv/public', '/js/app.js')       // right('/srv/public/js/app.js')
 * publicPath('/srv/public', '/%2e%2e/secret')   // left({ status: 400, ... })
 * ```
 * @internal
 */
export const publicPath = (root: string, pathname: string): E.Either<HttpError, string> => {
  if (!pathname.startsWith('/')) return E.left({ status: 400, message: 'the path must start with /' })
  const raw = pathname === '/' ? ['index.html'] : pathname.slice(1).split('/')
  const segments: string[] = []
  for (const part of raw) {
    let segment: string
    try {
      segment = decodeURIComponent(part)
    } catch {
      return E.left({ status: 400, message: 'the path is not valid percent-encoding' })
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) {
      return E.left({ status: 400, message: 'the path may not have empty, hidden, dot or escaping segments' })
    }
    segments.push(segment)
  }
  if (!(extname(segments[segments.length - 1]!) in contentTypes)) return E.left(notFound)
  const path = join(root, ...segments)
  return path.startsWith(root.endsWith(sep) ? root : root + sep) ? E.right(path) : E.left(notFound)
}

/**
 * Reads a file that {@link publicPath} found, refusing one whose real path
 * (symbolic links followed) lies outside `root` and anything that is not a
 * regular file.
 *
 * @internal
 */
export const readPublicFile = async (root: string, path: string): Promise<E.Either<HttpError, Buffer>> => {
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(path)])
    if (!realFile.startsWith(realRoot + sep) || !(await stat(realFile)).isFile()) return E.left(notFound)
    return E.right(await readFile(realFile))
  } catch {
    return E.left(notFound)
  }
}

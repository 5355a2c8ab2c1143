import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { publicPath, readPublicFile } from './static-files.js'

describe('publicPath', () => {
  const root = join('/srv', 'public')

  it('maps page paths into the folder, / to index.html', () => {
    expect(publicPath(root, '/')).toEqual(E.right(join(root, 'index.html')))
    expect(publicPath(root, '/js/app.js')).toEqual(E.right(join(root, 'js', 'app.js')))
    expect(publicPath(root, '/my%20file.css')).toEqual(E.right(join(root, 'my file.css')))
  })

  it.each([
    '/../package.json',
    '/js/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/..%2fpackage.json',
    '/js%2f..%2f..%2fpackage.json',
    '/..\\package.json',
    '/..%5cpackage.json',
    '/.hidden.js',
    '/./index.html',
    '//etc/passwd.html',
    '/index.html%00.js',
    '/%zz.js',
    'index.html',
  ])('refuses %s', (path) => {
    const resolved = publicPath(root, path)
    expect(E.isLeft(resolved) && resolved.left.status).toBe(400)
  })

  it('serves only the kinds of file a page is made of', () => {
    const resolved = publicPath(root, '/notes.txt')
    expect(E.isLeft(resolved) && resolved.left.status).toBe(404)
  })
})

describe('readPublicFile', () => {
  let base = ''
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'dashboard-static-'))
    await mkdir(join(base, 'public'))
    await writeFile(join(base, 'public', 'page.html'), '<p>page</p>')
    await writeFile(join(base, 'secret.html'), 'secret')
    await symlink(join(base, 'secret.html'), join(base, 'public', 'link.html'))
    await mkdir(join(base, 'public', 'dir.html'))
  })
  afterAll(() => rm(base, { recursive: true, force: true }))

  it('reads a file in the folder', async () => {
    const read = await readPublicFile(join(base, 'public'), join(base, 'public', 'page.html'))
    expect(E.isRight(read) && read.right.toString()).toBe('<p>page</p>')
  })

  it('refuses a symbolic link that leads out of the folder, a directory and a missing file', async () => {
    for (const name of ['link.html', 'dir.html', 'missing.html']) {
      const read = await readPublicFile(join(base, 'public'), join(base, 'public', name))
      expect(E.isLeft(read) && read.left.status).toBe(404)
    }
  })
})

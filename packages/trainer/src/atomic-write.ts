import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * The file operations an atomic write needs. The default works on the real
 * file system; tests substitute one that fails half-way to show that a crash
 * never leaves a half-written file behind.
 *
 * @category Checkpoints
 */
export interface AtomicIo {
  /** Creates (or truncates) `path`, writes `text`, flushes it to disk and closes it. */
  writeFile(path: string, text: string): Promise<void>
  /** Renames `from` to `to`, replacing `to` atomically. */
  rename(from: string, to: string): Promise<void>
  /** Removes `path`. */
  unlink(path: string): Promise<void>
}

/**
 * The real file system: `writeFile` opens, writes, fsyncs and closes, so the
 * data is on disk before the rename makes it visible.
 *
 * @category Checkpoints
 */
export const nodeIo: AtomicIo = {
  writeFile: async (path, text) => {
    const handle = await open(path, 'w')
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
  rename,
  unlink,
}

let sequence = 0

/**
 * A fresh temporary name beside `path` (same directory, so that the rename
 * stays within one file system and is atomic). @internal
 */
export const tempPathFor = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`)

/**
 * Writes `text` to `path` atomically: first to a temporary file in the same
 * directory, flushed to disk, then renamed over `path`. Readers see either
 * the old file or the complete new one, never a partial write; if anything
 * fails, the temporary file is removed and the old file is untouched.
 * Resolves to `undefined` on success and to the failure's message otherwise.
 *
 * @internal
 */
export const writeAtomic = async (path: string, text: string, io: AtomicIo = nodeIo): Promise<string | undefined> => {
  const temp = tempPathFor(path)
  try {
    await io.writeFile(temp, text)
    await io.rename(temp, path)
    return undefined
  } catch (e) {
    await io.unlink(temp).catch(() => undefined) // it may never have been created
    return e instanceof Error ? e.message : String(e)
  }
}

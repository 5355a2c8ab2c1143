/** Bytes in the smallest page an operating system backs memory with. */
const PAGE_BYTES = 4096

/**
 * Writes one byte of every page of `buffer` (its own value back, so the
 * contents are unchanged). An operating system backs a page of fresh
 * memory only when it is first written, at a cost that can exceed the
 * computing done on it (a few milliseconds per megabyte on some virtual
 * machines): done once when a buffer is made, rather than by the first
 * runs that write each region.
 *
 * @category Backend
 */
export const touchPages = (buffer: ArrayBufferLike): void => {
  const bytes = new Uint8Array(buffer)
  for (let i = 0; i < bytes.length; i += PAGE_BYTES) bytes[i] = bytes[i]!
}

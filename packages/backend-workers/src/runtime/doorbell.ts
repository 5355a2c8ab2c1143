/**
 * A worker's doorbell: four Int32 words shared between the calling thread
 * and one worker thread, through which a run can start without a message.
 *
 * Posting a run message and having the worker's event loop pick it up
 * takes a few tenths of a millisecond (the message is serialised, the
 * worker thread woken and its loop turned): at batch 512 on two cores the
 * calling thread spent 0.12 to 0.15 ms posting, and the worker started
 * its shard 0.15 to 0.2 ms after the calling thread had started its own.
 * So after each run a worker waits a little on its doorbell
 * ({@link PARK_MS}, in `Atomics.wait`, which costs no CPU): a run of the
 * same executable on the same buffers as the last run posted to it (every
 * training step after the first) is then started by writing its ids into
 * the doorbell and waking the worker, which takes microseconds. Anything
 * else (another buffer, a load, an unload) is a message as before, and
 * mail wakes a waiting worker so that it reads its messages at once.
 *
 * The words: {@link STATE} (the worker is {@link AWAY} in its event loop,
 * {@link PARKED} at the doorbell, {@link RUNG} for a run, or
 * {@link MAILED}), {@link EXE} and {@link RUN} (the run the bell is rung
 * for, written before the ring), and {@link MAIL} (messages posted to the
 * worker so far, which it compares with the messages it has read before
 * it waits). Every change of STATE away from PARKED is a
 * compare-and-exchange, so a ring and the worker giving up waiting never
 * both succeed: a ring that finds the worker away is a message instead.
 */

/** Word: what the worker is doing ({@link AWAY}, {@link PARKED}, {@link RUNG} or {@link MAILED}). @internal */
export const STATE = 0
/** Word: the executable the bell was rung for. @internal */
export const EXE = 1
/** Word: the id of the run the bell was rung for. @internal */
export const RUN = 2
/** Word: how many messages have been posted to the worker. @internal */
export const MAIL = 3

/** The worker is in its event loop (or running). @internal */
export const AWAY = 0
/** The worker waits at the doorbell. @internal */
export const PARKED = 1
/** The calling thread rang for the run in EXE and RUN. @internal */
export const RUNG = 2
/** The calling thread posted a message: the worker goes back to its event loop to read it. @internal */
export const MAILED = 3

/**
 * How long a worker waits at its doorbell after a run, in milliseconds:
 * longer than what a trainer does between two steps (drawing the next
 * batch, its bookkeeping: about a millisecond), short enough that
 * messages posted meanwhile (which wake it anyway) and a thread left idle
 * lose nothing.
 *
 * @internal
 */
export const PARK_MS = 20

/** A fresh doorbell: the worker away, no mail. @internal */
export const newDoorbell = (): Int32Array => new Int32Array(new SharedArrayBuffer(4 * 4))

/**
 * Calling thread: rings for run `run` of executable `exe` if the worker
 * waits at the doorbell; false (nothing done) when it does not, and the
 * run must be posted.
 *
 * @internal
 */
export const ring = (door: Int32Array, exe: number, run: number): boolean => {
  Atomics.store(door, EXE, exe)
  Atomics.store(door, RUN, run)
  if (Atomics.compareExchange(door, STATE, PARKED, RUNG) !== PARKED) return false
  Atomics.notify(door, STATE)
  return true
}

/**
 * Calling thread, right after posting a message to the worker: counts it,
 * and wakes the worker if it waits at the doorbell.
 *
 * @internal
 */
export const mailed = (door: Int32Array): void => {
  Atomics.add(door, MAIL, 1)
  if (Atomics.compareExchange(door, STATE, PARKED, MAILED) === PARKED) Atomics.notify(door, STATE)
}

/**
 * Worker: waits at the doorbell for at most `parkMs` at a time,
 * serving every ring (`serve` with the rung executable and run ids) and
 * waiting again after each; returns, with the worker away, once a wait
 * runs out, mail comes, or messages it has not read (`read` of them so
 * far) are pending.
 *
 * @internal
 */
export const park = (door: Int32Array, read: () => number, serve: (exe: number, run: number) => void, parkMs = PARK_MS): void => {
  for (;;) {
    Atomics.store(door, STATE, PARKED)
    // Parked first, then the mail count: a message posted after this check finds the worker parked and wakes it.
    if (Atomics.load(door, MAIL) !== read()) {
      if (Atomics.compareExchange(door, STATE, PARKED, AWAY) === PARKED) return
    } else {
      Atomics.wait(door, STATE, PARKED, parkMs)
    }
    const state = Atomics.compareExchange(door, STATE, PARKED, AWAY)
    if (state === PARKED) return
    Atomics.store(door, STATE, AWAY)
    if (state === MAILED) return
    serve(Atomics.load(door, EXE), Atomics.load(door, RUN))
  }
}

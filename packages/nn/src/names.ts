/**
 * The name of layer `l`'s (1-based) weight matrix, e.g. `W1`.
 *
 * @category Networks
 */
export const weightName = (l: number): string => `W${l}`

/**
 * The name of layer `l`'s (1-based) bias vector, e.g. `b1`.
 *
 * @category Networks
 */
export const biasName = (l: number): string => `b${l}`

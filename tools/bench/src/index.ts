/**
 * Placeholder entry point of `@backprop/bench`, to be replaced by its real exports.
 */
export const placeholder = true;

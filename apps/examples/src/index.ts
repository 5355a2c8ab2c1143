/**
 * Placeholder entry point of `@backprop/examples`, to be replaced by its real exports.
 */
export const placeholder = true;

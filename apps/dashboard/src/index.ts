/**
 * Placeholder entry point of `@backprop/dashboard`, to be replaced by its real exports.
 */
export const placeholder = true;

/**
 * Placeholder entry point of `@backprop/backend-workers`, to be replaced by its real exports.
 */
export const placeholder = true;

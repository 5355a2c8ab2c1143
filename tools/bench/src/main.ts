/**
 * Benchmarks. Placeholder until the first benchmark lands.
 */
console.log('bench: no benchmarks yet');

import { instance } from '@viz-js/viz'

/** Renders Graphviz DOT to SVG with Graphviz compiled to WebAssembly (no system binary needed). */
export const renderSvg = async (dot: string): Promise<string> => (await instance()).renderString(dot, { format: 'svg' })

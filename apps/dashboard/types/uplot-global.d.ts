// The page loads uPlot's IIFE build with a <script> tag, which defines the
// global `uPlot`; this tells the type checker of public/js about it.
import type UPlot from 'uplot'

declare global {
  const uPlot: typeof UPlot
}

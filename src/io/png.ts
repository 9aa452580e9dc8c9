/**
 * SVG → PNG for the report's figures/*.png, with resvg (Rust, prebuilt binaries in the npm package; no browser,
 * no system libraries). System fonts are loaded so text renders as in the SVG; `scale` 2 gives sharp images.
 */
import { Resvg } from '@resvg/resvg-js';

export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: scale } });
  return resvg.render().asPng();
}

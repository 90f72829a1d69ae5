/**
 * Test harness for the 3D view (built as a page of its own by tests/e2e/volume3d.test.ts): renders
 * the synthetic phantoms and reports pixel statistics, context counts and fps on window.__harness.
 */
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import type { Vec3, Volume } from '../../../shared/volume.js';
import { imageGeometry, indexToWorld } from './geometry.js';
import { ctPhantom, LABEL_COLORS, labelPhantom, mrPhantom } from './harness-volumes.js';
import { createVolumeView3d, liveVtkObjectCount, type CropBox, type Preset3d, type TransferPoint, type VolumeView3d } from './volume-view.js';
import type { Counts, Harness, PhantomKind, PixelStats } from './harness-api.js';

declare global {
  interface Window {
    __harness?: Harness;
  }
}

// Count every WebGL context the page creates, without keeping them alive.
const contexts: WeakRef<WebGLRenderingContext | WebGL2RenderingContext>[] = [];
const seen = new WeakSet<object>();
const originalGetContext = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function getContext(this: HTMLCanvasElement, type: string, options?: unknown) {
  const context = (originalGetContext as (this: HTMLCanvasElement, t: string, o?: unknown) => RenderingContext | null).call(this, type, options);
  if (context && (context instanceof WebGL2RenderingContext || context instanceof WebGLRenderingContext) && !seen.has(context)) {
    seen.add(context);
    contexts.push(new WeakRef(context));
  }
  return context;
} as typeof originalGetContext;

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI}`));

const BACKGROUND = [0.07 * 255, 0.08 * 255, 0.1 * 255];
const host = document.getElementById('view')!;
const phantoms = new Map<PhantomKind, Volume>();
let labels: Uint8Array | null = null;
let view: VolumeView3d | null = null;

function phantom(kind: PhantomKind): Volume {
  let volume = phantoms.get(kind);
  if (!volume) {
    volume = kind === 'mr' ? mrPhantom() : ctPhantom(kind === 'ct-oblique' ? 30 : kind === 'ct-rot90' ? 90 : 0);
    phantoms.set(kind, volume);
  }
  return volume;
}

function current(): VolumeView3d {
  view ??= createVolumeView3d(host);
  return view;
}

/** Render now and read the frame back in the same task (the drawing buffer is not preserved). */
function stats(): PixelStats {
  const v = current();
  v.render();
  const canvas = host.querySelector('canvas')!;
  const gl = canvas.getContext('webgl2')!;
  const { width, height } = canvas;
  const pixels = new Uint8Array(width * height * 4);
  gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  let sum = 0;
  let fg = 0;
  let [sr, sg, sb, sx, sy] = [0, 0, 0, 0, 0]; // sums over the foreground
  let red = 0;
  let blue = 0;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let p = 0, y = 0; y < height; y++)
    for (let x = 0; x < width; x++, p += 4) {
      const [r, g, b] = [pixels[p]!, pixels[p + 1]!, pixels[p + 2]!];
      sum += 0.299 * r + 0.587 * g + 0.114 * b;
      if (Math.abs(r - BACKGROUND[0]!) > 10 || Math.abs(g - BACKGROUND[1]!) > 10 || Math.abs(b - BACKGROUND[2]!) > 10) {
        fg++;
        [sr, sg, sb, sx, sy] = [sr + r, sg + g, sb + b, sx + x, sy + y];
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
      if (r > 90 && r > 1.8 * g && r > 1.8 * b) red++;
      if (b > 90 && b > 1.6 * r && b > 1.3 * g) blue++;
    }
  const n = width * height;
  const [bw, bh] = x1 < 0 ? [0, 0] : [x1 - x0 + 1, y1 - y0 + 1];
  const f = Math.max(1, fg);
  // readPixels rows run bottom-up, so +y here is up on screen
  const centroid: [number, number] = bw ? [(sx / f - (x0 + x1) / 2) / (bw / 2), (sy / f - (y0 + y1) / 2) / (bh / 2)] : [0, 0];
  return {
    width,
    height,
    mean: sum / n,
    nonBackgroundFraction: fg / n,
    redFraction: red / n,
    blueFraction: blue / n,
    footprint: (bw * bh) / n,
    bboxAspect: bh ? bw / bh : 0,
    centroid,
    foregroundRgb: [sr / f, sg / f, sb / f],
  };
}

function counts(): Counts {
  return {
    canvases: document.querySelectorAll('canvas').length,
    webglContextsCreated: contexts.length,
    webglContextsLive: contexts.filter((ref) => {
      const context = ref.deref();
      return !!context && !context.isContextLost();
    }).length,
    liveVtkObjects: liveVtkObjectCount(),
  };
}

window.__harness = {
  load(kind, preset) {
    current().setVolume(phantom(kind), preset ? { preset } : {});
    return stats();
  },
  setPreset: (preset) => (current().setPreset(preset), stats()),
  setShading: (on) => (current().setShading(on), stats()),
  setTransferFunction: (points) => (current().setTransferFunction(points), stats()),
  setCrop: (box) => (current().setCropBox(box), stats()),
  setLabels(on, hidden = [], fresh = false) {
    labels ??= labelPhantom();
    const visible = Object.fromEntries(hidden.map((v) => [v, false]));
    current().setLabelMap(on ? { data: fresh ? labels.slice() : labels, colors: LABEL_COLORS, visible } : null);
    return stats();
  },
  eraseLabelInPlace(value, slices) {
    const data = labelPhantom();
    current().setLabelMap({ data, colors: LABEL_COLORS });
    current().render();
    for (let i = 0; i < data.length; i++) if (data[i] === value) data[i] = 0;
    current().setLabelMap({ data, colors: LABEL_COLORS, changed: slices ?? true });
    return stats();
  },
  resetCamera: () => (current().resetCamera(), stats()),
  stats,
  rotateFps: (frames, degrees) => current().measureRotateFps(frames, degrees),
  dispose() {
    view?.dispose();
    view = null;
    return counts();
  },
  cycle(n) {
    for (let i = 0; i < n; i++) {
      const box = document.createElement('div');
      box.style.cssText = 'width:200px;height:200px';
      document.body.appendChild(box);
      const v = createVolumeView3d(box);
      v.setVolume(phantom('ct'));
      v.setLabelMap({ data: (labels ??= labelPhantom()), colors: LABEL_COLORS });
      v.setCropBox({ min: [0, 0, 0], max: [40, 63, 63] });
      v.render();
      v.dispose();
      box.remove();
    }
    return counts();
  },
  counts,
  cspViolations: () => [...violations],
  cspBlocksEval() {
    try {
      return new Function('return 1')() !== 1;
    } catch {
      return true;
    }
  },
  geometryError() {
    const volume = phantom('ct-oblique');
    const g = imageGeometry(volume);
    const image = vtkImageData.newInstance();
    image.setDimensions([...volume.dims]);
    image.setSpacing([...g.spacing]);
    image.setOrigin([...g.origin]);
    image.setDirection(...g.direction);
    let worst = 0;
    for (const ijk of [[0, 0, 0], [63, 0, 0], [0, 63, 0], [0, 0, 63], [10, 20, 30], [63, 63, 63]] as Vec3[]) {
      const a = indexToWorld(volume.affineLps, ijk);
      const b = image.indexToWorld(ijk);
      worst = Math.max(worst, Math.hypot(a[0] - b[0]!, a[1] - b[1]!, a[2] - b[2]!));
    }
    image.delete();
    return worst;
  },
};

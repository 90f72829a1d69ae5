/**
 * The 3D volume-rendering view: a vtk.js GPU ray caster in a canvas of its own, created into a
 * container element and disposed without leaving anything behind (vtk objects, listeners, canvas,
 * WebGL context). Plain TypeScript so any component (or the test harness) can drive it.
 *
 * Mouse: left-drag rotates, wheel or right-drag zooms, middle- or shift-left-drag pans
 * (vtk.js's trackball-camera style).
 */
import '@kitware/vtk.js/Rendering/Profiles/Volume'; // registers the OpenGL implementations
import vtkInteractorStyleTrackballCamera from '@kitware/vtk.js/Interaction/Style/InteractorStyleTrackballCamera';
import vtkCamera from '@kitware/vtk.js/Rendering/Core/Camera';
import vtkLight from '@kitware/vtk.js/Rendering/Core/Light';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkOpenGLRenderWindow from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import { voxelCount, type Volume } from '../../../shared/volume.js';
import type { CropBox } from './geometry.js';
import type { LabelMapInput } from './label-tf.js';
import { defaultPreset, intensityStats, presetPoints, type Preset3d, type TransferPoint } from './presets.js';
import { applyLighting, applyTransferFunction, createScene, releaseScene, setCropPlanes, setLabels, VtkOwner, type Scene } from './scene.js';

export type { Preset3d, TransferPoint, CropBox, LabelMapInput };
export { liveVtkObjectCount } from './scene.js';

export interface VolumeView3d {
  /** Show a scalar volume (replaces the previous one; crop box and label map are cleared). */
  setVolume(volume: Volume, options?: { preset?: Preset3d }): void;
  setPreset(preset: Preset3d): void;
  setShading(on: boolean): void;
  /** The simple TF editor's model; colours are RGB in 0–1. */
  setTransferFunction(points: TransferPoint[]): void;
  /** The points in force (the preset's until setTransferFunction); empty before a volume is shown. */
  transferFunction(): TransferPoint[];
  /** The shown volume's value range (the TF editor's axis); null before a volume is shown. */
  valueRange(): { min: number; max: number } | null;
  /** Keep voxels min..max (inclusive, index space) on each axis; null shows the whole volume. */
  setCropBox(box: CropBox | null): void;
  /** A label map on the volume's grid, coloured like the 2D overlay (colours 0–255); null removes it. */
  setLabelMap(labels: LabelMapInput | null): void;
  resetCamera(): void;
  /** Render now (the setters above render on the next animation frame by themselves). */
  render(): void;
  /** Frames rendered per second while rotating `frames` steps of `degrees` each (GPU-synchronised). */
  measureRotateFps(frames: number, degrees: number): number;
  /** Deletes every vtk object, removes listeners and the canvas, and loses the WebGL context. */
  dispose(): void;
}

/** vtkOpenGLRenderWindow has this at runtime but its typings omit it. */
interface GraphicsResourceOwner {
  releaseGraphicsResources(): void;
}

const BACKGROUND: [number, number, number] = [0.07, 0.08, 0.1];

export function createVolumeView3d(container: HTMLElement): VolumeView3d {
  const owner = new VtkOwner();

  // Our own wrapper, so the interactor's listeners and styles never touch the caller's element.
  const host = document.createElement('div');
  host.className = 'volume-view-3d';
  host.style.cssText = 'position:relative;width:100%;height:100%;overflow:hidden;outline:none';
  container.appendChild(host);

  const renderWindow = owner.own(vtkRenderWindow.newInstance());
  const renderer = owner.own(vtkRenderer.newInstance());
  renderer.setBackground(...BACKGROUND);
  // our own camera and headlight, so that every vtk object in the view is one we delete
  renderer.setAutomaticLightCreation(false);
  const camera = owner.own(vtkCamera.newInstance());
  renderer.setActiveCamera(camera);
  const light = owner.own(vtkLight.newInstance());
  light.setLightTypeToHeadLight();
  renderer.addLight(light);
  renderWindow.addRenderer(renderer);

  const glWindow = owner.own(vtkOpenGLRenderWindow.newInstance());
  renderWindow.addView(glWindow);
  glWindow.setContainer(host);
  const canvas = glWindow.getCanvas();
  if (canvas) canvas.style.cssText = 'display:block;width:100%;height:100%';

  const interactor = owner.own(vtkRenderWindowInteractor.newInstance());
  const style = owner.own(vtkInteractorStyleTrackballCamera.newInstance());
  interactor.setInteractorStyle(style);
  interactor.setView(glWindow);
  interactor.initialize(); // renders once, which creates the WebGL2 context
  interactor.bindEvents(host);
  const gl = canvas?.getContext('webgl2') ?? null; // the context vtk created (same object)

  let scene: Scene | null = null;
  let shading = true;
  let cropBox: CropBox | null = null;
  let points: TransferPoint[] = [];
  let frame = 0;
  let disposed = false;

  function resize(): void {
    const { width, height } = host.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    glWindow.setSize(Math.max(1, Math.floor(width * dpr)), Math.max(1, Math.floor(height * dpr)));
  }
  const observer = new ResizeObserver(() => {
    resize();
    scheduleRender();
  });
  observer.observe(host);
  resize();

  function scheduleRender(): void {
    if (!frame && !disposed) frame = requestAnimationFrame(() => ((frame = 0), renderNow()));
  }
  function renderNow(): void {
    if (disposed) return;
    if (frame) cancelAnimationFrame(frame), (frame = 0);
    renderWindow.render();
  }
  function live(): void {
    if (disposed) throw new Error('the 3D view has been disposed');
  }

  function resetCameraTo(s: Scene | null): void {
    // Anterior view, head up: looking along +Y (anterior → posterior) with +Z (superior) up in LPS,
    // so the patient's left is on the right of the screen, as when facing the patient.
    const bounds = s?.image.getBounds();
    const centre = bounds ? [(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2] : [0, 0, 0];
    camera.setFocalPoint(centre[0]!, centre[1]!, centre[2]!);
    camera.setPosition(centre[0]!, centre[1]! - 1, centre[2]!);
    camera.setViewUp(0, 0, 1);
    renderer.resetCamera(bounds); // keeps the direction, fits the distance to the bounds
  }

  return {
    setVolume(volume, options = {}) {
      live();
      if (volume.components !== 1) throw new Error('3D rendering needs a scalar volume (RGB volumes are not supported)');
      if (volume.data.length !== voxelCount(volume.dims)) throw new RangeError(`volume has ${volume.data.length} voxels, dims say ${voxelCount(volume.dims)}`);
      if (scene) {
        renderer.removeVolume(scene.actor);
        releaseScene(owner, scene);
        scene = null;
      }
      cropBox = null;
      const stats = intensityStats(volume.data);
      points = presetPoints(options.preset ?? defaultPreset(stats), stats);
      scene = createScene(owner, volume, stats, points, shading);
      renderer.addVolume(scene.actor);
      resetCameraTo(scene);
      scheduleRender();
    },

    setPreset(preset) {
      live();
      if (!scene) return;
      points = presetPoints(preset, scene.stats);
      applyTransferFunction(scene, points);
      scheduleRender();
    },

    setShading(on) {
      live();
      shading = on;
      if (scene) applyLighting(scene, shading);
      scheduleRender();
    },

    setTransferFunction(next) {
      live();
      if (next.length === 0) throw new RangeError('a transfer function needs at least one point');
      if (!scene) return;
      points = next.map((p) => ({ ...p, color: [...p.color] }));
      applyTransferFunction(scene, points);
      scheduleRender();
    },

    transferFunction: () => points.map((p) => ({ ...p, color: [...p.color] })),

    valueRange: () => (scene ? { min: scene.stats.min, max: scene.stats.max } : null),

    setCropBox(box) {
      live();
      cropBox = box ? { min: [...box.min], max: [...box.max] } : null;
      if (scene) setCropPlanes(owner, scene, cropBox);
      scheduleRender();
    },

    setLabelMap(labels) {
      live();
      if (!scene) return;
      if (labels && labels.data.length !== voxelCount(scene.volume.dims)) {
        throw new RangeError(`label map has ${labels.data.length} voxels, the volume ${voxelCount(scene.volume.dims)}`);
      }
      setLabels(owner, scene, labels);
      scheduleRender();
    },

    resetCamera() {
      live();
      resetCameraTo(scene);
      scheduleRender();
    },

    render() {
      live();
      renderNow();
    },

    measureRotateFps(frames, degrees) {
      live();
      const pixel = new Uint8Array(4);
      // readPixels waits for the GPU, so each frame is timed to completion, not just submission
      const finish = () => gl?.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
      renderNow();
      finish();
      const start = performance.now();
      for (let i = 0; i < frames; i++) {
        camera.azimuth(degrees);
        renderer.resetCameraClippingRange();
        renderWindow.render();
        finish();
      }
      const seconds = (performance.now() - start) / 1000;
      return seconds > 0 ? frames / seconds : Infinity;
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      if (frame) cancelAnimationFrame(frame);
      observer.disconnect();
      interactor.unbindEvents();
      // GPU textures, buffers and shaders go while the context is still alive
      (glWindow as unknown as GraphicsResourceOwner).releaseGraphicsResources();
      renderer.removeAllViewProps();
      if (scene) releaseScene(owner, scene);
      scene = null;
      // the window pieces first (glWindow.delete() also takes the canvas out of `host`), then the rest
      for (const object of [style, interactor, glWindow, renderWindow, renderer, light, camera]) owner.release(object);
      owner.releaseAll();
      gl?.getExtension('WEBGL_lose_context')?.loseContext();
      host.remove();
    },
  };
}

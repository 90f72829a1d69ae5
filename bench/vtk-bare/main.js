// Bare vtk.js volume rendering of the same synthetic CT as the 3D view's harness, with the same
// settings as src/renderer/viewer/volume3d/volume-view.ts (sample distance, lighting, bone preset,
// background, anterior camera, 400 px canvas) but none of our code around vtk.js: the baseline for
// the 3D rotate benchmark. Plain JavaScript because bench/ is compiled for Node (no DOM types).
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkInteractorStyleTrackballCamera from '@kitware/vtk.js/Interaction/Style/InteractorStyleTrackballCamera';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkOpenGLRenderWindow from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import { ctPhantom } from '../../src/renderer/viewer/volume3d/harness-volumes.ts';
import { intensityStats, presetPoints } from '../../src/renderer/viewer/volume3d/presets.ts';

const volume = ctPhantom();
const a = volume.affineLps;
const image = vtkImageData.newInstance();
image.setDimensions(volume.dims);
image.setSpacing(volume.spacing);
image.setOrigin([a[3], a[7], a[11]]);
image.getPointData().setScalars(vtkDataArray.newInstance({ name: 'scalars', numberOfComponents: 1, values: volume.data }));

const colorTf = vtkColorTransferFunction.newInstance();
const opacityTf = vtkPiecewiseFunction.newInstance();
for (const p of presetPoints('ct-bone', intensityStats(volume.data))) {
  colorTf.addRGBPoint(p.value, ...p.color);
  opacityTf.addPoint(p.value, p.opacity);
}

const mapper = vtkVolumeMapper.newInstance();
mapper.setSampleDistance(0.7);
mapper.setMaximumSamplesPerRay(1000);
mapper.setInputData(image);
const actor = vtkVolume.newInstance();
actor.setMapper(mapper);
const property = actor.getProperty();
property.setRGBTransferFunction(0, colorTf);
property.setScalarOpacity(0, opacityTf);
property.setScalarOpacityUnitDistance(0, 1);
property.setInterpolationTypeToLinear();
property.setShade(true);
property.setAmbient(0.25);
property.setDiffuse(0.75);
property.setSpecular(0.25);
property.setSpecularPower(12);

const renderWindow = vtkRenderWindow.newInstance();
const renderer = vtkRenderer.newInstance();
renderer.setBackground(0.07, 0.08, 0.1);
renderWindow.addRenderer(renderer);
const glWindow = vtkOpenGLRenderWindow.newInstance();
renderWindow.addView(glWindow);
const container = document.getElementById('view');
glWindow.setContainer(container);
const { width, height } = container.getBoundingClientRect();
glWindow.setSize(Math.floor(width * devicePixelRatio), Math.floor(height * devicePixelRatio));
// the usual vtk.js set-up has an interactor (the volume mapper also asks it whether it is animating)
const interactor = vtkRenderWindowInteractor.newInstance();
interactor.setInteractorStyle(vtkInteractorStyleTrackballCamera.newInstance());
interactor.setView(glWindow);
interactor.initialize();
interactor.bindEvents(container);
renderer.addVolume(actor);
const camera = renderer.getActiveCamera();
camera.setFocalPoint(0, 0, 0);
camera.setPosition(0, -1, 0);
camera.setViewUp(0, 0, 1);
renderer.resetCamera();
renderWindow.render();
const gl = glWindow.getCanvas().getContext('webgl2');

window.__bench = {
  /** frames per second over `frames` azimuth steps of `degrees`, each frame waited for (readPixels) */
  rotateFps(frames, degrees) {
    const pixel = new Uint8Array(4);
    renderWindow.render();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    const start = performance.now();
    for (let i = 0; i < frames; i++) {
      camera.azimuth(degrees);
      renderer.resetCameraClippingRange();
      renderWindow.render();
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    }
    return frames / ((performance.now() - start) / 1000);
  },
};

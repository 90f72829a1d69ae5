/**
 * The vtk.js objects behind one rendered volume (image, mapper, property, transfer functions, crop
 * planes, optional label layer) and an owner that records every vtk object a view creates, so that
 * disposing the view can delete them all.
 *
 * The label map is a second input of the same volume mapper rather than a second vtkVolume: vtk.js
 * then composites both along each ray (labels correctly hidden or shown by bone in front of them),
 * with the ADDITIVE colour mix weighting each component's colour by its opacity.
 */
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import vtkPlane from '@kitware/vtk.js/Common/DataModel/Plane';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkVolumeProperty from '@kitware/vtk.js/Rendering/Core/VolumeProperty';
import { ColorMixPreset } from '@kitware/vtk.js/Rendering/Core/VolumeProperty/Constants';
import type { Volume } from '../../../shared/volume.js';
import { cropPlanes, imageGeometry, type CropBox } from './geometry.js';
import { labelTextureWidth, labelTransferFunctions, type LabelMapInput } from './label-tf.js';
import type { IntensityStats, TransferPoint } from './presets.js';

/** What every vtk.js object offers; enough to own and delete them. */
export interface VtkObject {
  delete(): void;
  isDeleted(): boolean;
}

let liveObjects = 0;

/** vtk objects created by 3D views and not yet deleted (all views in this page). */
export function liveVtkObjectCount(): number {
  return liveObjects;
}

/** Records the vtk objects one view creates; `release` deletes one, `releaseAll` the rest. */
export class VtkOwner {
  readonly #owned = new Set<VtkObject>();

  own<T extends VtkObject>(object: T): T {
    this.#owned.add(object);
    liveObjects++;
    return object;
  }

  release(object: VtkObject | null | undefined): void {
    if (!object || !this.#owned.delete(object)) return;
    object.delete();
    liveObjects--;
  }

  releaseAll(): void {
    for (const object of [...this.#owned]) this.release(object);
  }
}

const LIGHTING = { ambient: 0.25, diffuse: 0.75, specular: 0.25, specularPower: 12 };
/** Ray samples per voxel: a little above 1 avoids wood-grain artefacts on thin bone. */
const SAMPLES_PER_VOXEL = 1 / 0.7;

export type ImageData = ReturnType<typeof vtkImageData.newInstance>;
type Mapper = ReturnType<typeof vtkVolumeMapper.newInstance>;
type Property = ReturnType<typeof vtkVolumeProperty.newInstance>;
type ColorTf = ReturnType<typeof vtkColorTransferFunction.newInstance>;
type OpacityTf = ReturnType<typeof vtkPiecewiseFunction.newInstance>;
type Plane = ReturnType<typeof vtkPlane.newInstance>;

export interface LabelLayer {
  source: LabelMapInput['data'];
  image: ImageData;
  property: Property;
  colorTf: ColorTf;
  opacityTf: OpacityTf;
  maxLabel: number;
}

export interface Scene {
  volume: Volume;
  stats: IntensityStats;
  image: ImageData;
  actor: ReturnType<typeof vtkVolume.newInstance>;
  mapper: Mapper;
  property: Property;
  colorTf: ColorTf;
  opacityTf: OpacityTf;
  planes: Plane[];
  labels: LabelLayer | null;
  /** the distance (mm) over which a TF opacity applies: the smallest voxel spacing */
  unitDistance: number;
}

/** A vtkImageData on the volume's grid (origin, spacing, direction cosines from the affine). */
function makeImage(owner: VtkOwner, volume: Volume, values: Volume['data'] | LabelMapInput['data'], name: string): ImageData {
  const geometry = imageGeometry(volume);
  const image = owner.own(vtkImageData.newInstance());
  image.setDimensions([...volume.dims]);
  image.setSpacing([...geometry.spacing]);
  image.setOrigin([...geometry.origin]);
  image.setDirection(...geometry.direction);
  const scalars = owner.own(vtkDataArray.newInstance({ name, numberOfComponents: 1, values }));
  image.getPointData().setScalars(scalars);
  return image;
}

export function applyTransferFunction(s: Scene, points: TransferPoint[]): void {
  const sorted = [...points].sort((a, b) => a.value - b.value);
  s.colorTf.removeAllPoints();
  s.opacityTf.removeAllPoints();
  for (const p of sorted) {
    s.colorTf.addRGBPoint(p.value, p.color[0], p.color[1], p.color[2]);
    s.opacityTf.addPoint(p.value, Math.min(1, Math.max(0, p.opacity)));
  }
}

export function applyLighting(s: Scene, shading: boolean): void {
  s.property.setShade(shading);
  s.property.setAmbient(LIGHTING.ambient);
  s.property.setDiffuse(LIGHTING.diffuse);
  s.property.setSpecular(LIGHTING.specular);
  s.property.setSpecularPower(LIGHTING.specularPower);
}

/**
 * A mapper with the image (and the label map when there is one) as inputs. It is rebuilt only when
 * the label map appears or goes: vtk.js keeps per-input GPU state sized for the inputs it first saw.
 */
function buildMapper(owner: VtkOwner, s: Scene): Mapper {
  const mapper = owner.own(vtkVolumeMapper.newInstance());
  const sampleDistance = s.unitDistance / SAMPLES_PER_VOXEL;
  const [sx, sy, sz] = imageGeometry(s.volume).spacing;
  const diagonal = Math.hypot(s.volume.dims[0] * sx, s.volume.dims[1] * sy, s.volume.dims[2] * sz);
  mapper.setSampleDistance(sampleDistance);
  mapper.setMaximumSamplesPerRay(Math.max(1000, Math.ceil(diagonal / sampleDistance) + 2));
  mapper.setInputData(s.image, 0);
  if (s.labels) {
    mapper.addInputData(s.labels.image); // port 1 (a fresh mapper has only port 0)
    mapper.setColorTextureWidth(labelTextureWidth(s.labels.maxLabel));
    mapper.setOpacityTextureWidth(labelTextureWidth(s.labels.maxLabel));
  }
  mapper.setClippingPlanes(s.planes);
  // one component: DEFAULT (ADDITIVE would make vtk treat it as two independent components)
  s.property.setColorMixPreset(s.labels ? ColorMixPreset.ADDITIVE : ColorMixPreset.DEFAULT);
  s.actor.setProperties(s.labels ? [s.property, s.labels.property] : [s.property]);
  return mapper;
}

export function rebuildMapper(owner: VtkOwner, s: Scene): void {
  const previous = s.mapper;
  s.mapper = buildMapper(owner, s);
  s.actor.setMapper(s.mapper);
  owner.release(previous); // its OpenGL node is dropped (and its textures released) on the next render
}

export function createScene(owner: VtkOwner, volume: Volume, stats: IntensityStats, points: TransferPoint[], shading: boolean): Scene {
  const [sx, sy, sz] = imageGeometry(volume).spacing;
  const s: Scene = {
    volume,
    stats,
    image: makeImage(owner, volume, volume.data, 'scalars'),
    actor: owner.own(vtkVolume.newInstance()),
    mapper: null as unknown as Mapper, // built below, once the rest of the scene exists
    property: owner.own(vtkVolumeProperty.newInstance()),
    colorTf: owner.own(vtkColorTransferFunction.newInstance()),
    opacityTf: owner.own(vtkPiecewiseFunction.newInstance()),
    planes: [],
    labels: null,
    unitDistance: Math.min(sx, sy, sz),
  };
  s.property.setRGBTransferFunction(0, s.colorTf);
  s.property.setScalarOpacity(0, s.opacityTf);
  s.property.setScalarOpacityUnitDistance(0, s.unitDistance);
  s.property.setInterpolationTypeToLinear();
  applyLighting(s, shading);
  applyTransferFunction(s, points);
  s.mapper = buildMapper(owner, s);
  s.actor.setMapper(s.mapper);
  return s;
}

export function setCropPlanes(owner: VtkOwner, s: Scene, box: CropBox | null): void {
  const planes = box ? cropPlanes(s.volume, box).map((p) => owner.own(vtkPlane.newInstance({ origin: p.origin, normal: p.normal }))) : [];
  s.mapper.removeAllClippingPlanes(); // setClippingPlanes appends
  s.mapper.setClippingPlanes(planes);
  s.planes.forEach((plane) => owner.release(plane));
  s.planes = planes;
}

/** The label image, its voxels and its property; `withTfs` also the label transfer functions. */
function releaseLabels(owner: VtkOwner, layer: LabelLayer | null, withTfs = true): void {
  if (!layer) return;
  owner.release(layer.image.getPointData().getScalars());
  for (const object of [layer.image, layer.property]) owner.release(object);
  if (withTfs) for (const object of [layer.colorTf, layer.opacityTf]) owner.release(object);
}

/** Show, update or (null) remove the label layer of a scene. */
export function setLabels(owner: VtkOwner, s: Scene, labels: LabelMapInput | null): void {
  if (!labels) {
    if (!s.labels) return;
    const old = s.labels;
    s.labels = null;
    rebuildMapper(owner, s);
    releaseLabels(owner, old);
    return;
  }
  const hadLabels = !!s.labels;
  let layer = s.labels;
  if (!layer || layer.source !== labels.data) {
    const previous = layer;
    const property = owner.own(vtkVolumeProperty.newInstance());
    property.setInterpolationTypeToNearest(); // label values must never be blended
    layer = {
      source: labels.data,
      image: makeImage(owner, s.volume, labels.data, 'labels'),
      property,
      colorTf: previous?.colorTf ?? owner.own(vtkColorTransferFunction.newInstance()),
      opacityTf: previous?.opacityTf ?? owner.own(vtkPiecewiseFunction.newInstance()),
      maxLabel: 0,
    };
    if (previous) {
      s.mapper.setInputData(layer.image, 1);
      s.actor.setProperties([s.property, layer.property]);
      releaseLabels(owner, previous, false); // its TFs live on in the new layer
    }
  }
  else if (Array.isArray(labels.changed)) {
    // only these slices go to the GPU: the mapper updates the texture by extents on the next render
    if (labels.changed.length) layer.property.setUpdatedExtents(sliceExtents(labels.changed, s.volume.dims));
  } else if (labels.changed) layer.image.getPointData().getScalars().modified(); // vtk re-uploads on a newer mtime
  layer.maxLabel = labelTransferFunctions(labels, layer.colorTf, layer.opacityTf);
  // with several inputs vtk.js reads every component's TFs from the first input's property
  s.property.setRGBTransferFunction(1, layer.colorTf);
  s.property.setScalarOpacity(1, layer.opacityTf);
  s.property.setScalarOpacityUnitDistance(1, s.unitDistance);
  s.labels = layer;
  if (!hadLabels) rebuildMapper(owner, s);
  else {
    s.mapper.setColorTextureWidth(labelTextureWidth(layer.maxLabel));
    s.mapper.setOpacityTextureWidth(labelTextureWidth(layer.maxLabel));
  }
}

export function releaseScene(owner: VtkOwner, s: Scene): void {
  releaseLabels(owner, s.labels);
  s.planes.forEach((plane) => owner.release(plane));
  owner.release(s.image.getPointData().getScalars());
  for (const object of [s.actor, s.mapper, s.property, s.colorTf, s.opacityTf, s.image]) owner.release(object);
}

/** Runs of consecutive k slices as vtk extents [i0, i1, j0, j1, k0, k1]. */
export function sliceExtents(slices: number[], dims: readonly number[]): [number, number, number, number, number, number][] {
  const sorted = [...new Set(slices)].sort((a, b) => a - b);
  const extents: [number, number, number, number, number, number][] = [];
  for (const k of sorted) {
    const last = extents[extents.length - 1];
    if (last && last[5] === k - 1) last[5] = k;
    else extents.push([0, dims[0]! - 1, 0, dims[1]! - 1, k, k]);
  }
  return extents;
}

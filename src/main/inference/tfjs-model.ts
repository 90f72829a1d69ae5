/**
 * Reads a TensorFlow.js "layers-model" (model.json: a Keras topology plus a weights manifest) into
 * plain data for the ONNX converter (tfjs-converter.ts): the layer applications in the order the
 * graph needs them, and the float32 weights by name.
 */

type Json = Record<string, unknown>;

/** One call of a layer on its input tensors (a shared layer is called more than once). */
export interface LayerCall {
  name: string;
  className: string;
  config: Json;
  /** the tensors it reads, as keys `layer:node:tensor` */
  inputs: string[];
  /** the tensor it writes */
  output: string;
}

export interface TfjsModel {
  name: string;
  /** the declared input of the InputLayer: [batch, D, H, W, C], null where free */
  inputShape: (number | null)[];
  inputKey: string;
  outputKey: string;
  /** in an order where every call's inputs are written before it runs */
  calls: LayerCall[];
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  generatedBy?: string;
  convertedBy?: string;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const key = (layer: string, node = 0, tensor = 0): string => `${layer}:${node}:${tensor}`;

function fail(message: string): never {
  throw new Error(`tfjs model: ${message}`);
}

function declaredShape(config: Json): (number | null)[] | undefined {
  const shape = config.batch_input_shape ?? config.batchInputShape;
  if (!Array.isArray(shape)) return undefined;
  return shape.map((d) => (typeof d === 'number' ? d : null));
}

/** Keras 2 inbound_nodes: one entry per call, each a list of [layer, node, tensor, kwargs]. */
function inboundKeys(layerName: string, node: unknown): string[] {
  if (!Array.isArray(node)) fail(`layer "${layerName}": inbound_nodes in an unsupported format`);
  return node.map((ref) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string') fail(`layer "${layerName}": unreadable inbound tensor reference`);
    return key(ref[0], Number(ref[1] ?? 0), Number(ref[2] ?? 0));
  });
}

function readTopology(topology: Json): Omit<TfjsModel, 'weights' | 'generatedBy' | 'convertedBy'> {
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const className = model.class_name;
  const config = model.config;
  const layerList = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layerList) || layerList.length === 0) fail('the topology has no layers');
  const name = isObject(config) && typeof config.name === 'string' ? config.name : String(className ?? 'model');
  const layers = layerList.map((l, i) => {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) fail(`layer ${i} is unreadable`);
    const layerName = typeof l.name === 'string' ? l.name : typeof l.config.name === 'string' ? l.config.name : `layer_${i}`;
    return { name: layerName, className: l.class_name, config: l.config, inbound: l.inbound_nodes };
  });

  if (className === 'Sequential') {
    const calls: LayerCall[] = [];
    let previous: string;
    let inputShape: (number | null)[] | undefined;
    let start = 0;
    if (layers[0]!.className === 'InputLayer') {
      inputShape = declaredShape(layers[0]!.config);
      previous = key(layers[0]!.name);
      start = 1;
    } else {
      inputShape = declaredShape(layers[0]!.config);
      previous = key(`${name}_input`);
    }
    if (!inputShape) fail('the first layer declares no batch_input_shape');
    const inputKey = previous;
    for (const l of layers.slice(start)) {
      calls.push({ name: l.name, className: l.className, config: l.config, inputs: [previous], output: key(l.name) });
      previous = key(l.name);
    }
    return { name, inputShape, inputKey, outputKey: previous, calls };
  }
  if (className !== 'Functional' && className !== 'Model') fail(`unsupported model class "${String(className)}"`);

  const cfg = config as Json;
  const refs = (v: unknown, what: string): string[] => {
    if (!Array.isArray(v)) fail(`${what} missing`);
    // [[name, node, tensor], ...] or a single [name, node, tensor]
    const list = typeof v[0] === 'string' ? [v] : v;
    return list.map((r) => (Array.isArray(r) && typeof r[0] === 'string' ? key(r[0], Number(r[1] ?? 0), Number(r[2] ?? 0)) : fail(`${what} unreadable`)));
  };
  const inputs = refs(cfg.input_layers, 'input_layers');
  const outputs = refs(cfg.output_layers, 'output_layers');
  if (inputs.length !== 1 || outputs.length !== 1) fail(`expected one input and one output, found ${inputs.length} and ${outputs.length}`);

  let inputShape: (number | null)[] | undefined;
  const pending: LayerCall[] = [];
  for (const l of layers) {
    if (l.className === 'InputLayer') {
      if (key(l.name) === inputs[0]) inputShape = declaredShape(l.config);
      continue;
    }
    const nodes = Array.isArray(l.inbound) ? l.inbound : [];
    nodes.forEach((node, n) => pending.push({ name: l.name, className: l.className, config: l.config, inputs: inboundKeys(l.name, node), output: key(l.name, n) }));
  }
  if (!inputShape) fail('the input layer declares no batch_input_shape');
  // order the calls so that each one's inputs exist (Keras lists them in order; do not rely on it)
  const known = new Set([inputs[0]!]);
  const calls: LayerCall[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((c) => c.inputs.every((k) => known.has(k)));
    if (i < 0) fail(`layer "${pending[0]!.name}" reads a tensor that no layer writes`);
    const call = pending.splice(i, 1)[0]!;
    calls.push(call);
    known.add(call.output);
  }
  if (!known.has(outputs[0]!)) fail(`the output ${outputs[0]} is never written`);
  return { name, inputShape, inputKey: inputs[0]!, outputKey: outputs[0]!, calls };
}

/** The weights manifest's float32 tensors, read from `bytes` (all shards concatenated in manifest order). */
function readWeights(manifest: unknown, bytes: Uint8Array): TfjsModel['weights'] {
  if (!Array.isArray(manifest)) fail('weightsManifest missing');
  const weights: TfjsModel['weights'] = new Map();
  let offset = 0;
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.weights)) fail('weightsManifest group unreadable');
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) fail('weight entry unreadable');
      if (w.dtype !== 'float32' || w.quantization) fail(`weight "${w.name}": only unquantised float32 weights are supported (dtype ${String(w.dtype)}${w.quantization ? ', quantised' : ''})`);
      const shape = w.shape.map(Number);
      const size = shape.reduce((a, b) => a * b, 1) * 4;
      if (offset + size > bytes.length) fail(`the weight data ends before "${w.name}" (${bytes.length} bytes)`);
      const data = new Float32Array(bytes.slice(offset, offset + size).buffer);
      weights.set(w.name, { shape, data });
      offset += size;
    }
  }
  if (offset !== bytes.length) fail(`the manifest describes ${offset} bytes of weights, the data has ${bytes.length}`);
  return weights;
}

export function readTfjsModel(modelJson: unknown, weightBytes: Uint8Array): TfjsModel {
  if (!isObject(modelJson) || !isObject(modelJson.modelTopology)) fail('not a model.json (no modelTopology)');
  if (modelJson.format !== undefined && modelJson.format !== 'layers-model') fail(`format "${String(modelJson.format)}" is not a layers-model`);
  const model: TfjsModel = { ...readTopology(modelJson.modelTopology), weights: readWeights(modelJson.weightsManifest, weightBytes) };
  if (typeof modelJson.generatedBy === 'string') model.generatedBy = modelJson.generatedBy;
  if (typeof modelJson.convertedBy === 'string') model.convertedBy = modelJson.convertedBy;
  return model;
}

/** The shard file names of a model.json, in the order their bytes are concatenated. */
export function weightPaths(modelJson: unknown): string[] {
  if (!isObject(modelJson) || !Array.isArray(modelJson.weightsManifest)) fail('weightsManifest missing');
  return modelJson.weightsManifest.flatMap((g) => (isObject(g) && Array.isArray(g.paths) ? g.paths.map(String) : fail('weightsManifest group without paths')));
}
